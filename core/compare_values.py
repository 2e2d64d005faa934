"""A preset as a comparison reads it: dotted keys (``compile.optimizer.type``,
``model.layers[2].rate``) in one canonical form, and a value written as a person writes TOML."""

from __future__ import annotations

import tomllib
from typing import Any

from nnbench.core.errors import NnbenchError, RunStoreError


class _Missing:
    """A key one run's preset doesn't have."""

    def __repr__(self) -> str:
        return "MISSING"

    def __str__(self) -> str:
        return "—"


MISSING: Any = _Missing()


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys of a parsed TOML document; lists of tables by index (``model.layers[2].rate``),
    lists of plain values (``compile.metrics``) kept whole."""
    out: dict[str, Any] = {}
    if isinstance(tree, dict):
        for key, value in tree.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict) or _is_table_list(value):
                out.update(flatten(value, path))
            else:
                out[path] = value
    elif _is_table_list(tree):
        for i, item in enumerate(tree):
            out.update(flatten(item, f"{prefix}[{i}]"))
    else:
        out[prefix] = tree
    return out


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def normalized_preset(text: str, file: str) -> dict[str, Any]:
    """A preset.toml as a dict in one canonical form: validated and written back (so defaults
    are filled in and ``optimizer = "adam"`` reads as ``optimizer.type``); the raw TOML if it no
    longer validates (a run of an older nnbench still compares)."""
    from nnbench.core.preset import loads_preset

    try:
        raw = loads_preset(text, file=file).to_toml_dict()
    except NnbenchError:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RunStoreError(f"{file}: not valid TOML ({exc}); this run cannot be compared"
                                ) from None
    return canonical(raw)


def canonical(raw: dict[str, Any]) -> dict[str, Any]:
    """``optimizer = "adam"`` as ``optimizer.type = "adam"``, so both spellings compare equal."""
    compile_ = raw.get("compile")
    if isinstance(compile_, dict) and isinstance(compile_.get("optimizer"), str):
        compile_["optimizer"] = {"type": compile_["optimizer"]}
    return raw


def format_value(value: Any) -> str:
    """A preset value as a person writes it in TOML (bools lower case, lists in brackets)."""
    if value is MISSING:
        return str(MISSING)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={format_value(v)}" for k, v in value.items()) + "}"
    return str(value)
