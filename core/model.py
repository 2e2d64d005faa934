"""Layer specs -> a Keras model, one layer at a time, so a failure points at the row that breaks.

Sequential stacks and functional graphs share one path: each layer takes the previous layer's
output unless it names its ``inputs``; the last layer is the output.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

from nnbench.core import catalog
from nnbench.core.compat import output_problem
from nnbench.core.errors import ModelError, PresetError, did_you_mean, one_of
from nnbench.core.events import ModelSummary, SummaryRow
from nnbench.core.i18n import N_, _
from nnbench.core.names import (
    INPUT_NAME,
    auto_names,
    keras_names,
    model_name,
    snake_case,
    unused_layers,
    unused_message,
    unused_name,
)
from nnbench.core.preset import LayerSpec, ModelSpec

__all__ = ["LayerRow", "ModelAnalysis", "analyze", "auto_names", "build_model", "format_shape",
           "output_problem", "snake_case", "summarize"]


@dataclass(frozen=True)
class LayerRow:
    """What the build view shows for one layer spec: its shape and parameters, or what breaks."""

    index: int
    type: str
    name: str
    output_shape: str
    params: int
    error: str | None = None


@dataclass(frozen=True)
class ModelAnalysis:
    rows: list[LayerRow]
    summary: ModelSummary | None
    error: ModelError | PresetError | None

    @property
    def ok(self) -> bool:
        return self.error is None


def format_shape(shape: Any) -> str:
    dims = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _shape(value: Any) -> tuple[int | None, ...]:
    """A TOML shape list -> tuple; 0, "None" or "none" stand for any length."""
    dims = value if isinstance(value, (list, tuple)) else [value]
    return tuple(None if d in (0, "None", "none", None) else int(d) for d in dims)


def _kwargs(layer: LayerSpec, index: int) -> dict[str, Any]:
    allowed = catalog.keras_parameters(layer.type)
    kwargs: dict[str, Any] = {}
    for key, value in layer.params.items():
        if key not in allowed:
            raise PresetError(
                _("{layer} has no parameter '{key}'; its parameters are {allowed}.").format(
                    layer=layer.type, key=key, allowed=", ".join(sorted(allowed)))
                + did_you_mean(key, allowed),
                key=f"model.layers[{index}].{key}",
            )
        problem = _signature_problem(allowed[key], value)
        if problem:
            raise PresetError(f"{layer.type} {key} {problem}", key=f"model.layers[{index}].{key}")
        if key in ("target_shape", "kernel_size", "pool_size", "strides") and isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    return kwargs


def _signature_problem(default: Any, value: Any) -> str | None:
    """Whether ``value`` has the type of the Keras constructor's default (a bool is no number)."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            quoted = isinstance(value, str) and value.strip().lower() in ("true", "false")
            if quoted:
                return _("must be true or false, not {value} (write {word} without quotes)").format(
                    value=repr(value), word=value.strip().lower())
            return _("must be true or false, not {value}").format(value=repr(value))
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            return _("must be a whole number, not {value}").format(value=repr(value))
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            return _("must be a number, not {value}").format(value=repr(value))
    elif isinstance(default, tuple):
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
            return _("must be a whole number or a list of them, e.g. [3, 3], not {value}").format(
                value=repr(value))
    elif isinstance(default, str) and not isinstance(value, (str, dict)):
        return _("must be text in quotes (e.g. {example}), not {value}").format(
            example=repr(default), value=repr(value))
    return None


def _weights(layer_type: str, kwargs: dict[str, Any], shape: Any) -> int:
    """How many weights a layer would allocate on this input, before Keras allocates them."""
    features = shape[-1] if shape and shape[-1] is not None else 1

    def count(value: Any, axes: int) -> int:
        return math.prod(value) if isinstance(value, (list, tuple)) else int(value) ** axes

    units = kwargs.get("units", 0)
    if layer_type == "Dense":
        return features * units
    if layer_type in ("Conv1D", "Conv2D"):
        axes = 1 if layer_type == "Conv1D" else 2
        return count(kwargs.get("kernel_size", 1), axes) * features * kwargs.get("filters", 0)
    if layer_type == "Embedding":
        return kwargs.get("input_dim", 0) * kwargs.get("output_dim", 0)
    gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}.get(layer_type, 0)
    return gates * units * (features + units)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("Arguments received", "•", "Traceback")):
            return line[:300]
    return text[:300]


def _call_layer(keras: Any, layer: LayerSpec, index: int, inputs: list[Any], name: str) -> Any:
    kwargs = _kwargs(layer, index)
    kwargs["name"] = name
    try:
        keras_layer = getattr(keras.layers, layer.type)(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ModelError(_("layer {n} ({layer}): {reason}").format(
            n=index + 1, layer=layer.type, reason=_first_line(exc)), layer_index=index) from None
    kind = catalog.LAYERS[layer.type]
    if len(inputs) == 1:
        try:
            weights = _weights(layer.type, kwargs, tuple(inputs[0].shape))
        except (TypeError, ValueError, OverflowError):
            weights = 0
        if weights > catalog.MAX_WEIGHTS:
            raise ModelError(_("layer {n} ({layer}) would have {weights} weights, more than "
                               "nnbench builds ({most}); make it smaller (fewer units or "
                               "filters), or shrink its input").format(
                n=index + 1, layer=layer.type, weights=f"{weights:,}",
                most=f"{catalog.MAX_WEIGHTS:,}"), layer_index=index)
    try:
        if kind.merges:
            if len(inputs) < 2:
                raise ModelError(_("layer {n} ({layer}) merges several layers: list them in "
                                   "inputs = [\"a\", \"b\"]").format(n=index + 1, layer=layer.type),
                                 layer_index=index)
            return keras_layer, keras_layer(inputs)
        if len(inputs) != 1:
            raise ModelError(_("layer {n} ({layer}) takes one input, got {count}").format(
                n=index + 1, layer=layer.type, count=len(inputs)), layer_index=index)
        return keras_layer, keras_layer(inputs[0])
    except ModelError:
        raise
    except Exception as exc:  # Keras raises many kinds for impossible shapes
        shape = format_shape(inputs[0].shape) if len(inputs) == 1 else _("several inputs")
        hint = _shape_hint(layer.type, inputs[0].shape) if len(inputs) == 1 else ""
        raise ModelError(_("layer {n} ({layer}) cannot take input {shape}: {reason}").format(
            n=index + 1, layer=layer.type, shape=shape, reason=hint or _first_line(exc)),
            layer_index=index) from None


# Axes per sample (after the batch axis) that layers of these kinds work on.
_SAMPLE_AXES = {
    **dict.fromkeys(("Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
                     "GlobalMaxPooling2D"), (3, N_("images: (height, width, channels)"))),
    **dict.fromkeys(("Conv1D", "MaxPooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
                     "SimpleRNN", "LSTM", "GRU"), (2, N_("sequences: (steps, features)"))),
}


def _shape_hint(layer_type: str, shape: Any) -> str:
    """Say in words what a layer needs when the axes are wrong, and which layer gets there."""
    if layer_type not in _SAMPLE_AXES:
        return ""
    axes, what = _SAMPLE_AXES[layer_type]
    have = len(shape) - 1
    if have == axes:
        return ""
    if axes == 3:
        fix = (_("add a Reshape before it (e.g. target_shape = [8, 8, 1] for 64 pixels)")
               if have == 1 else
               _("add a Reshape before it to give each sample (height, width, channels)"))
    else:
        fix = (_("add an Embedding (word indices) or a Reshape (e.g. target_shape = [steps, 1]) "
                 "before it") if have == 1 else _("add a Reshape before it to (steps, features)"))
    return _("{layer} works on {what}, {axes} axes per sample, but gets {have}; {fix}").format(
        layer=layer_type, what=_(what), axes=axes, have=have, fix=fix)



_DISPLAY_NAMES: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()
"""Built model -> {Keras layer name: the name the user sees}, for ``summarize``."""


def build_model(spec: ModelSpec, input_shape: tuple[int | None, ...] | None = None,
                *, name: str = "model", rows: list[LayerRow] | None = None) -> Any:
    """Build the Keras functional model. Fills ``rows`` as it goes, so callers see partial results.

    Layers are referenced by the names the stack shows (``names.auto_names``); Keras gets
    ``names.keras_names`` of them, so any name a person picks (Korean, symbols) builds and trains.
    """
    import keras

    rows = rows if rows is not None else []
    layers = list(spec.layers)
    if not layers:
        raise ModelError(_("the model has no layers; add one (an Input, then Dense layers)"))
    names = auto_names(spec)
    scoped = keras_names(names, [layer.type for layer in layers])
    for i, layer in enumerate(layers):
        if layer.type == "Input" and i > 0:
            raise ModelError(_("layer {n}: Input can only be the first layer").format(n=i + 1),
                             layer_index=i)
    model_input = current = _model_input(keras, layers[0], input_shape, scoped)
    offset = 1 if layers[0].type == "Input" else 0
    if offset:
        rows.append(LayerRow(0, "Input", names[0], format_shape(model_input.shape), 0))
    by_name: dict[str, Any] = {names[0]: model_input} if offset else {}
    for i in range(offset, len(layers)):
        layer = layers[i]
        inputs = _layer_inputs(layer, i, by_name) if layer.inputs else [current]
        keras_layer, current = _call_layer(keras, layer, i, inputs, scoped[i])
        by_name[names[i]] = current
        rows.append(LayerRow(i, layer.type, names[i], format_shape(current.shape),
                             int(keras_layer.count_params())))
    unused = unused_layers([layer.inputs for layer in layers], names)
    if unused:
        i = unused[0]
        raise ModelError(unused_message(i, layers[i].type, names[i]), layer_index=i)
    model = keras.Model(inputs=model_input, outputs=current, name=model_name(name))
    _DISPLAY_NAMES[model] = dict(zip(scoped, names, strict=True))
    return model


def _model_input(keras: Any, first: LayerSpec, input_shape: tuple[int | None, ...] | None,
                 scoped: list[str]) -> Any:
    """The model's input tensor: the first layer's when it is an Input (checked against the
    data's sample shape), else one of the data's shape."""
    if first.type != "Input":
        if input_shape is None:
            raise ModelError(_("the input shape is unknown: add an Input layer first (e.g. shape "
                               "= [64]) or load the data so nnbench can read it"), layer_index=0)
        return keras.Input(shape=tuple(input_shape), name=unused_name(INPUT_NAME, scoped))
    shape = first.params.get("shape")
    if shape is None:
        raise PresetError(_("Input needs a shape, e.g. shape = [28, 28]"),
                          key="model.layers[0].shape")
    try:
        tensor = keras.Input(shape=_shape(shape), name=scoped[0])
    except (TypeError, ValueError, OverflowError) as exc:
        raise PresetError(_("bad Input shape {shape}: {reason}").format(
            shape=repr(shape), reason=_first_line(exc)),
                          key="model.layers[0].shape") from None
    if input_shape is not None and not _shapes_agree(tuple(tensor.shape[1:]), tuple(input_shape)):
        raise ModelError(
            _("layer 1 (Input) takes samples of shape {declared} but the data's samples have "
              "shape {actual}; set its shape to {fix}").format(
                declared=format_shape(tensor.shape[1:]), actual=format_shape(input_shape),
                fix=list(input_shape)), layer_index=0)
    return tensor


def _layer_inputs(layer: LayerSpec, i: int, by_name: dict[str, Any]) -> list[Any]:
    """The tensors of the earlier layers ``layer.inputs`` names (layer ``i`` of the stack)."""
    missing = [n for n in layer.inputs if n not in by_name]
    if missing:
        raise ModelError(_("layer {n} ({layer}): no earlier layer named {name}; use {names}").format(
            n=i + 1, layer=layer.type, name=repr(missing[0]),
            names=one_of(by_name) if by_name else _("a name")),
                         layer_index=i)
    return [by_name[n] for n in layer.inputs]


def _shapes_agree(declared: tuple[Any, ...], actual: tuple[Any, ...]) -> bool:
    return len(declared) == len(actual) and all(
        d is None or a is None or d == a for d, a in zip(declared, actual, strict=True))


def summarize(model: Any) -> ModelSummary:
    """Model summary rows and totals, computed as ``model.summary()`` computes them."""
    from nnbench.core.keras_private import count_params

    shown = _DISPLAY_NAMES.get(model, {})
    rows = [
        SummaryRow(shown.get(layer.name, layer.name), type(layer).__name__,
                   format_shape(layer.output.shape), int(layer.count_params()))
        for layer in model.layers
    ]
    trainable = int(count_params(model.trainable_weights))
    non_trainable = int(count_params(model.non_trainable_weights))
    return ModelSummary(rows, trainable + non_trainable, trainable, non_trainable)


def analyze(spec: ModelSpec, input_shape: tuple[int | None, ...] | None = None, *,
            loss: str | None = None, num_classes: int | None = None) -> ModelAnalysis:
    """Build the stack and report every row; the first row that breaks carries the error."""
    rows: list[LayerRow] = []
    try:
        model = build_model(spec, input_shape, rows=rows)
    except (ModelError, PresetError) as exc:
        index = getattr(exc, "layer_index", None)
        if index is None and isinstance(exc, PresetError) and exc.key:
            index = _index_from_key(exc.key)
        if index is not None and 0 <= index < len(spec.layers):
            layer = spec.layers[index]
            built = {row.index: row for row in rows}
            shape, params = ((built[index].output_shape, built[index].params) if index in built
                             else ("?", 0))
            failed = LayerRow(index, layer.type, auto_names(spec)[index], shape, params,
                              getattr(exc, "reason", None) or exc.message)
            rows = [row for row in rows if row.index < index] + [failed] + [
                row for row in rows if row.index > index]
        return ModelAnalysis(rows, None, exc)
    summary = summarize(model)
    if loss:
        problem = output_problem(tuple(model.output.shape), loss, num_classes)
        if problem:
            at = _row_to_blame(rows)
            row = rows[at]
            rows[at] = LayerRow(row.index, row.type, row.name, row.output_shape, row.params, problem)
            return ModelAnalysis(rows, summary, ModelError(problem, layer_index=row.index))
    return ModelAnalysis(rows, summary, None)


def _row_to_blame(rows: list[LayerRow]) -> int:
    """The first Dense that works per step (e.g. right after an Embedding), else the last row."""
    for at, row in enumerate(rows):
        if row.type == "Dense" and row.output_shape.count(",") >= 2:
            return at
    return len(rows) - 1


def _index_from_key(key: str) -> int | None:
    if key.startswith("model.layers["):
        try:
            return int(key[len("model.layers["):].split("]")[0])
        except ValueError:
            return None
    return None
