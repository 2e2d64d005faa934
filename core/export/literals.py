"""The one seam between a preset's values and the generated Python: literals (``repr`` of plain
data only), checked identifiers, and comments of one printable line each."""

from __future__ import annotations

import builtins
import keyword
import math
import unicodedata
from collections.abc import Iterable
from typing import Any

from nnbench.core.errors import NnbenchError
from nnbench.core.i18n import N_


class ExportError(NnbenchError):
    """The preset (or run) cannot be written as a script."""

    title = N_("Export failed")


def literal(value: Any, where: str = "value") -> str:
    """``value`` as Python source that evaluates to it; only plain data is accepted."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else '-float("inf")'
        return repr(value)
    if isinstance(value, tuple):
        items = [literal(v, where) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v, where) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k, where)}: {literal(v, where)}"
                               for k, v in value.items()) + "}"
    raise ExportError(f"{where}: a {type(value).__name__} value ({value!r:.60}) cannot go into a "
                      "script; use a number, text, true/false or a list")


def _keyword_args(params: dict[str, Any], where: str) -> list[str]:
    out = []
    for key, value in params.items():
        if not (isinstance(key, str) and key.isidentifier() and not keyword.iskeyword(key)):
            raise ExportError(f"{where}: {key!r} is not a keyword argument name")
        out.append(f"{key}={literal(value, f'{where}.{key}')}")
    return out


def call(function: str, params: dict[str, Any], where: str, *first: str) -> str:
    """``function(*first, key=literal, ...)`` as source; raises ExportError (naming ``where``) for a
    key that is not a keyword argument name or a value with no literal."""
    return f"{function}({', '.join([*first, *_keyword_args(params, where)])})"


def attribute(name: str, where: str) -> str:
    """A Keras class name checked to be a plain identifier before it becomes ``keras.x.Name``."""
    if not (isinstance(name, str) and name.isidentifier() and name.isascii()
            and not keyword.iskeyword(name)):
        raise ExportError(f"{where}: {name!r} is not a Keras class name")
    return name


def comment(text: str) -> list[str]:
    """Text as comment lines: split where Python (or anything else) could see a line break, and
    every character that isn't printable shown as an escape."""
    lines = str(text).splitlines() or [""]
    out = []
    for line in lines:
        shown = line if line.isprintable() else repr(line)[1:-1]
        out.append(f"# {shown}".rstrip())
    return out


SCRIPT_NAMES = {"np", "keras", "layers", "tf", "ops", "csv", "math", "pathlib", "Any", "model",
                 "inputs", "input_shape", "load_data", "build_model", "main", "hold_out_test",
                 "is_number", "encode_target", "numeric_target", "as_labels", "task",
                 "num_classes", "MeanAbsoluteScaledError"}
"""Names the script itself defines or imports: a layer's output variable must not take one."""


class Identifiers:
    """Unique, valid Python names for layer outputs, close to the names a person gave the layers."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self.taken = {unicodedata.normalize("NFKC", n) for n in reserved}

    def add(self, name: str, fallback: str) -> str:
        # Python compares identifiers after NFKC, so "ﬁ" and "fi" are one name: compare the same way.
        text = unicodedata.normalize("NFKC", name)
        cleaned = "".join(c if ("_" + c).isidentifier() else "_" for c in text).strip("_")
        if cleaned[:1].isdigit():
            cleaned = f"layer_{cleaned}"
        if not cleaned or not cleaned.isidentifier():
            cleaned = fallback
        if (keyword.iskeyword(cleaned) or keyword.issoftkeyword(cleaned)
                or hasattr(builtins, cleaned)):
            cleaned += "_out"
        candidate, n = cleaned, 2
        while unicodedata.normalize("NFKC", candidate) in self.taken:
            candidate, n = f"{cleaned}_{n}", n + 1
        self.taken.add(unicodedata.normalize("NFKC", candidate))
        return candidate

