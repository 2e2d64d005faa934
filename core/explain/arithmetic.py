"""The arithmetic of a layer's parameter count, on the current model, as a sentence.

"Dense 300 after 784 inputs: 784 x 300 + 300 = 235,500 parameters." The counts are Keras's own
rules (tests/test_explain.py checks them against Keras on every bundled preset); this module
never loads Keras, so the Build view can say it while the model is still being checked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from nnbench.core import catalog

NO_WEIGHTS = frozenset({
    "Input", "Activation", "Flatten", "Reshape", "Dropout", "Rescaling", "GlobalAveragePooling1D",
    "GlobalMaxPooling1D", "MaxPooling1D", "MaxPooling2D", "AveragePooling2D",
    "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Add", "Concatenate"})
"""Catalog layers that learn nothing."""

Shape = Sequence[int | None] | str


def _last_axis(shape: Shape) -> int | None:
    """The size of the last axis (features, channels) of "(None, 784)" or (None, 784)."""
    if isinstance(shape, str):
        parts = [p.strip() for p in shape.strip("()[] ").split(",") if p.strip()]
        if not parts:
            return None
        last = parts[-1]
        return int(last) if last.isdigit() else None
    if not shape:
        return None
    value = shape[-1]
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _given(layer_type: str, kwargs: Mapping[str, Any], name: str) -> Any:
    """A keyword argument, or the catalog's value when the preset leaves it out."""
    if name in kwargs:
        return kwargs[name]
    kind = catalog.LAYERS.get(layer_type)
    param = next((p for p in kind.params if p.name == name), None) if kind else None
    if param is not None and param.own_default is not None:
        return param.own_default
    return True if name == "use_bias" else None


def _kernel(value: Any, axes: int) -> tuple[str, int]:
    """How a kernel is written ("3 x 3") and how many cells it has (9)."""
    sizes = list(value) if isinstance(value, (list, tuple)) else [int(value)] * axes
    return " x ".join(str(s) for s in sizes), math.prod(sizes)


def _recurrent(layer_type: str, n: int, units: int) -> tuple[str, dict[str, int]]:
    one = (n + units) * units
    if layer_type == "SimpleRNN":
        return "simple_rnn", {"total": one + units}
    if layer_type == "LSTM":
        return "lstm", {"total": 4 * (one + units)}
    # Keras's GRU default reset_after=True keeps two biases per gate.
    return "gru", {"total": 3 * (one + 2 * units)}


def _count(layer_type: str, input_shape: Shape, kwargs: Mapping[str, Any]
           ) -> tuple[str, dict[str, Any]] | None:
    """(arithmetic template key, its numbers with ``total``), or None where it can't be said."""
    if layer_type in NO_WEIGHTS:
        return "no_weights", {"total": 0}
    n = _last_axis(input_shape)
    if n is None and layer_type != "Embedding":
        return None
    n = n or 0
    bias = bool(_given(layer_type, kwargs, "use_bias"))
    if layer_type == "Dense":
        units = int(kwargs["units"])
        return ("dense" if bias else "dense_no_bias"), {
            "units": units, "inputs": n, "total": n * units + (units if bias else 0)}
    if layer_type in ("Conv1D", "Conv2D"):
        filters = int(kwargs["filters"])
        shown, cells = _kernel(_given(layer_type, kwargs, "kernel_size"),
                               1 if layer_type == "Conv1D" else 2)
        return ("conv" if bias else "conv_no_bias"), {
            "filters": filters, "kernel": shown, "kernel_cells": cells, "channels": n,
            "total": cells * n * filters + (filters if bias else 0)}
    if layer_type == "Embedding":
        dim, out = int(kwargs["input_dim"]), int(kwargs["output_dim"])
        return "embedding", {"input_dim": dim, "output_dim": out, "total": dim * out}
    if layer_type in ("SimpleRNN", "LSTM", "GRU"):
        units = int(kwargs["units"])
        key, numbers = _recurrent(layer_type, n, units)
        return key, {"units": units, "inputs": n, **numbers}
    if layer_type == "BatchNormalization":
        return "batch_norm", {"channels": n, "trainable": 2 * n, "fixed": 2 * n, "total": 4 * n}
    return None


def layer_param_count(layer_type: str, input_shape: Shape, kwargs: Mapping[str, Any]
                      ) -> int | None:
    """How many parameters Keras gives this layer on this input, or None where it can't say
    (a layer it doesn't know, an input whose last axis has no size, a missing argument)."""
    try:
        counted = _count(layer_type, input_shape, kwargs)
    except (KeyError, TypeError, ValueError):
        return None
    return None if counted is None else int(counted[1]["total"])


def layer_arithmetic(layer_type: str, input_shape: Shape, kwargs: Mapping[str, Any],
                     lang: str | None = None) -> str | None:
    """The parameter count of one layer as a sentence with its arithmetic, e.g. "Dense 300 after
    784 inputs: 784 x 300 + 300 = 235,500 parameters.", or None where it can't be said.

    Args:
        layer_type: the Keras class name (``Dense``).
        input_shape: the layer's input, as Keras prints it (``"(None, 784)"``) or a tuple; only
            its last axis counts.
        kwargs: the layer's keyword arguments as in the preset (``units``, ``use_bias`` ...).
        lang: ``en`` or ``ko``; the locale's when None.
    """
    from nnbench.core.explain import ui_text

    try:
        counted = _count(layer_type, input_shape, kwargs)
    except (KeyError, TypeError, ValueError):
        return None
    if counted is None:
        return None
    key, numbers = counted
    shown = {name: f"{value:,}" if isinstance(value, int) else value
             for name, value in numbers.items()}
    return ui_text("arithmetic", key, lang, type=layer_type, **shown)


def model_arithmetic(spec: Any, rows: Sequence[Any], index: int, lang: str | None = None
                     ) -> str | None:
    """``layer_arithmetic`` of layer ``index`` of a ModelSpec, its input read off the rows of
    ``nnbench.core.model.analyze`` (``.index``, ``.name``, ``.output_shape``): the previous layer's
    output, or the one layer it names in ``inputs``. None where it can't be said (the layer is not
    built yet, or merges several inputs and has weights)."""
    from nnbench.core.names import auto_names

    if not 0 <= index < len(spec.layers):
        return None
    layer = spec.layers[index]
    by_index = {row.index: row for row in rows}
    if layer.inputs:
        if len(layer.inputs) != 1:
            return layer_arithmetic(layer.type, "()", layer.params, lang) \
                if layer.type in NO_WEIGHTS else None
        names = auto_names(spec)
        source = names.index(layer.inputs[0]) if layer.inputs[0] in names else -1
    else:
        source = index - 1
    if source < 0:
        shape: Shape = "()"
    elif source in by_index:
        shape = by_index[source].output_shape
    else:
        return None
    return layer_arithmetic(layer.type, shape, layer.params, lang)
