"""Turning what a person typed into preset values, or into a reason it was refused.

Every parser raises ``ValueError`` with a sentence for the field's note; ``Parsed`` wraps one as a
Textual ``Validator`` so an ``Input`` refuses the value at the field. An empty field means "not set":
the key stays out of the preset and Keras's default applies. A number's limits are the catalog's
(``nnbench.core.catalog.LIMITS``): the preset checker refuses a TOML file that breaks the same ones.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from typing import Any

import tomli_w
from textual.validation import ValidationResult, Validator

from nnbench.core.catalog import LIMITS, NON_NEGATIVE, TUPLE_OR_INT, Limits


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""A field left empty: the key is not written and the default applies."""


def _check(value: float, limits: Limits | None) -> None:
    problem = limits.problem(value) if limits else None
    if problem:
        raise ValueError(problem)


def parse_int(text: str, limits: Limits | None = None) -> int:
    text = text.strip().replace("_", "").replace(",", "")
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"must be a whole number, not '{text}'") from None
    _check(value, limits or NON_NEGATIVE)
    return value


def parse_float(text: str, limits: Limits | None = None) -> float:
    text = text.strip().replace("_", "")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"must be a number (e.g. 0.001 or 1e-3), not '{text}'") from None
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, not '{text}'")
    _check(value, limits)
    return value


def _split(text: str) -> list[str]:
    return [part for part in text.replace("(", " ").replace(")", " ").replace("[", " ")
            .replace("]", " ").replace(",", " ").split() if part]


def parse_int_or_tuple(text: str, limits: Limits | None = None) -> int | list[int]:
    parts = _split(text)
    if len(parts) > 1:
        return [parse_int(p, limits) for p in parts]
    return parse_int(text, limits)


def parse_shape(text: str, *, length: int | None = None) -> list[int | str]:
    """'28, 28' -> [28, 28]; 'None' (any length) stays the string "None", as presets write it."""
    parts = _split(text)
    if not parts:
        raise ValueError("enter the sizes separated by commas, e.g. 28, 28")
    shape: list[int | str] = []
    for part in parts:
        if part.lower() == "none":
            shape.append("None")
            continue
        try:
            dim = int(part)
        except ValueError:
            raise ValueError(f"'{part}' is not a size; use whole numbers like 28, 28 "
                             "(None for any length)") from None
        if dim < 1:
            raise ValueError(f"sizes must be at least 1, not {dim}")
        shape.append(dim)
    if length is not None and len(shape) != length:
        raise ValueError(f"needs {length} sizes, e.g. 64, 64; got {len(shape)}")
    return shape


def parse_kwargs(text: str) -> dict[str, Any]:
    """'kernel_initializer = "he_normal", use_bias = false' (a TOML inline table's insides)."""
    if not text.strip():
        return {}
    try:
        return tomllib.loads(f"kwargs = {{ {text} }}")["kwargs"]
    except tomllib.TOMLDecodeError:
        # TOML's own message ("Expected '=' after a key ... column 15") points into the
        # wrapper this function adds, not into what the person typed.
        raise ValueError("write key = value pairs, e.g. use_bias = false; text in quotes, "
                         "e.g. padding = \"same\"") from None


def format_value(value: Any) -> str:
    """A preset value as a person types it into a field."""
    if value is UNSET or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value)
    return str(value)


def format_kwargs(params: dict[str, Any]) -> str:
    """The inverse of ``parse_kwargs``."""
    parts = []
    for key, value in params.items():
        parts.append(tomli_w.dumps({key: value}).strip() if not isinstance(value, dict)
                     else f"{key} = {{ {format_kwargs(value)} }}")
    return ", ".join(parts)


def parser_for(kind: str, name: str, *, required: bool = False) -> Callable[[str], Any]:
    """The parser of a catalog ``Param`` kind; empty text gives ``UNSET`` unless required."""
    limits = LIMITS.get(name)

    def parse(text: str) -> Any:
        if not text.strip():
            if required:
                raise ValueError("required; enter a value")
            return UNSET
        if kind == "int":
            return (parse_int_or_tuple(text, limits) if name in TUPLE_OR_INT
                    else parse_int(text, limits))
        if kind == "float":
            return parse_float(text, limits)
        if kind == "shape":
            return parse_shape(text, length=2 if name == "image_size" else None)
        return text.strip()

    return parse


class Parsed(Validator):
    """A Textual validator around one of the parsers above; the failure is the parser's reason."""

    def __init__(self, parse: Callable[[str], Any]) -> None:
        super().__init__()
        self.parse = parse

    def validate(self, value: str) -> ValidationResult:
        try:
            self.parse(value)
        except ValueError as exc:
            return self.failure(str(exc), value)
        return self.success()
