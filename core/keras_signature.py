"""The defaults of a Keras constructor, read from its signature — without waiting for TensorFlow.

``inspect.signature`` needs the class, and the class needs ``import keras``: seconds of TensorFlow
the first screen must not wait for (the TUI shows Keras's defaults while it composes, and loads
TensorFlow in a thread). So the same signature is read from Keras's source, without running it:
the public module (``keras/optimizers/__init__.py``) names the file that defines the class, and its
``__init__``'s literal defaults are parsed. This reads Keras's private layout
(``keras/src/...``): tests/test_catalog.py compares both readings for every class nnbench offers
and fails loudly if the layout changes; at run time a reading that fails falls back to importing.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
from functools import cache
from pathlib import Path
from typing import Any

from nnbench.core.keras_env import import_keras


def signature_defaults(cls: Any) -> dict[str, Any]:
    """Keyword argument -> default of a class's constructor (None where it has none)."""
    params: dict[str, Any] = {}
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        params[name] = None if p.default is inspect.Parameter.empty else p.default
    return params


@cache
def keras_defaults(path: str) -> dict[str, Any]:
    """The constructor defaults of ``keras.<path>``, e.g. ``optimizers.SGD``."""
    # The source first, even when "keras" is in sys.modules: it is there from the moment another
    # thread starts importing it, and waiting on that import would freeze the UI thread.
    from_source = source_defaults(path)
    if from_source is not None:
        return from_source
    module, _, name = path.rpartition(".")
    keras = import_keras()
    return signature_defaults(getattr(getattr(keras, module), name))


def source_defaults(path: str) -> dict[str, Any] | None:
    """``keras_defaults`` read from Keras's source files, or None if they are not laid out as expected."""
    module, _, name = path.rpartition(".")
    spec = importlib.util.find_spec("keras")  # a top-level name: found, not imported
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    try:
        public = ast.parse((root / module.replace(".", "/") / "__init__.py").read_text(encoding="utf-8"))
        source = next(node.module for node in public.body if isinstance(node, ast.ImportFrom)
                      and node.module and node.module.startswith("keras.src.")
                      and any(alias.name == name for alias in node.names))
        tree = ast.parse((root / (source.removeprefix("keras.").replace(".", "/") + ".py"))
                         .read_text(encoding="utf-8"))
    except (OSError, SyntaxError, StopIteration):
        return None
    init = next((node for cls in tree.body if isinstance(cls, ast.ClassDef) and cls.name == name
                 for node in cls.body
                 if isinstance(node, ast.FunctionDef) and node.name == "__init__"), None)
    return None if init is None else _literal_defaults(init.args)


def _literal_defaults(args: ast.arguments) -> dict[str, Any] | None:
    positional = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += args.defaults
    pairs = list(zip(positional, defaults, strict=True)) + list(
        zip(args.kwonlyargs, args.kw_defaults, strict=True))
    out: dict[str, Any] = {}
    for arg, default in pairs:
        if arg.arg == "self":
            continue
        try:
            out[arg.arg] = None if default is None else ast.literal_eval(default)
        except ValueError:
            return None  # a computed default: only the real signature can say
    return out
