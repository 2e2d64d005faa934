"""Layer specs -> a Keras model, one layer at a time, so a failure points at the row that breaks.

Sequential stacks and functional graphs share one path: each layer takes the previous layer's
output unless it names its ``inputs``; the last layer is the output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nnbench.core import catalog
from nnbench.core.errors import ModelError, PresetError, did_you_mean, one_of
from nnbench.core.events import ModelSummary, SummaryRow
from nnbench.core.preset import LayerSpec, ModelSpec


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


def snake_case(class_name: str) -> str:
    """Keras's automatic layer name for a class: GlobalAveragePooling1D -> global_average_pooling1d."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def auto_names(spec: ModelSpec) -> list[str]:
    """Every layer's name: its own, else dense, dense_1 ... as a fresh Keras session names them.

    Keras numbers automatic names per thread for the life of the process, so a stack checked a
    hundred times would read dense_157; naming here keeps the rows stable and like model.summary().
    """
    taken = {layer.name for layer in spec.layers if layer.name}
    counts: dict[str, int] = {}
    names = []
    for layer in spec.layers:
        if layer.name:
            names.append(layer.name)
            continue
        base = "input_layer" if layer.type == "Input" else snake_case(layer.type)
        while True:
            n = counts.get(base, 0)
            counts[base] = n + 1
            candidate = base if n == 0 else f"{base}_{n}"
            if candidate not in taken:
                break
        taken.add(candidate)
        names.append(candidate)
    return names


def _kwargs(layer: LayerSpec, index: int) -> dict[str, Any]:
    allowed = catalog.keras_parameters(layer.type)
    kwargs: dict[str, Any] = {}
    for key, value in layer.params.items():
        if key not in allowed:
            raise PresetError(
                f"{layer.type} has no parameter '{key}'; its parameters are "
                f"{', '.join(sorted(allowed))}." + did_you_mean(key, allowed),
                key=f"model.layers[{index}].{key}",
            )
        if key in ("target_shape", "kernel_size", "pool_size", "strides") and isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    return kwargs


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
        raise ModelError(f"layer {index + 1} ({layer.type}): {_first_line(exc)}",
                         layer_index=index) from None
    kind = catalog.LAYERS[layer.type]
    try:
        if kind.merges:
            if len(inputs) < 2:
                raise ModelError(f"layer {index + 1} ({layer.type}) merges several layers: list them "
                                 "in inputs = [\"a\", \"b\"]", layer_index=index)
            return keras_layer, keras_layer(inputs)
        if len(inputs) != 1:
            raise ModelError(f"layer {index + 1} ({layer.type}) takes one input, got {len(inputs)}",
                             layer_index=index)
        return keras_layer, keras_layer(inputs[0])
    except ModelError:
        raise
    except Exception as exc:  # Keras raises many kinds for impossible shapes
        shape = format_shape(inputs[0].shape) if len(inputs) == 1 else "several inputs"
        hint = _shape_hint(layer.type, inputs[0].shape) if len(inputs) == 1 else ""
        raise ModelError(f"layer {index + 1} ({layer.type}) cannot take input {shape}: "
                         f"{hint or _first_line(exc)}", layer_index=index) from None


# Axes per sample (after the batch axis) that layers of these kinds work on.
_SAMPLE_AXES = {
    **dict.fromkeys(("Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
                     "GlobalMaxPooling2D"), (3, "images: (height, width, channels)")),
    **dict.fromkeys(("Conv1D", "MaxPooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
                     "SimpleRNN", "LSTM", "GRU"), (2, "sequences: (steps, features)")),
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
        fix = ("add a Reshape before it (e.g. target_shape = [8, 8, 1] for 64 pixels)" if have == 1
               else "add a Reshape before it to give each sample (height, width, channels)")
    else:
        fix = ("add an Embedding (word indices) or a Reshape (e.g. target_shape = [steps, 1]) "
               "before it" if have == 1 else "add a Reshape before it to (steps, features)")
    return f"{layer_type} works on {what}, {axes} axes per sample, but gets {have}; {fix}"



def build_model(spec: ModelSpec, input_shape: tuple[int | None, ...] | None = None,
                *, name: str = "model", rows: list[LayerRow] | None = None) -> Any:
    """Build the Keras functional model. Fills ``rows`` as it goes, so callers see partial results."""
    import keras

    rows = rows if rows is not None else []
    layers = list(spec.layers)
    names = auto_names(spec)
    if not layers:
        raise ModelError("the model has no layers; add one (an Input, then Dense layers)")
    if layers[0].type == "Input":
        first = layers.pop(0)
        shape = first.params.get("shape")
        if shape is None:
            raise PresetError("Input needs a shape, e.g. shape = [28, 28]", key="model.layers[0].shape")
        try:
            tensor = keras.Input(shape=_shape(shape), name=names[0])
        except (TypeError, ValueError) as exc:
            raise PresetError(f"bad Input shape {shape!r}: {_first_line(exc)}",
                              key="model.layers[0].shape") from None
        offset = 1
        if input_shape is not None and not _shapes_agree(tuple(tensor.shape[1:]), tuple(input_shape)):
            raise ModelError(
                f"layer 1 (Input) takes samples of shape {format_shape(tensor.shape[1:])} but the "
                f"data's samples have shape {format_shape(input_shape)}; set its shape to "
                f"{list(input_shape)}", layer_index=0)
        rows.append(LayerRow(0, "Input", names[0], format_shape(tensor.shape), 0))
    elif input_shape is not None:
        tensor = keras.Input(shape=tuple(input_shape), name="input_layer")
        offset = 0
    else:
        raise ModelError("the input shape is unknown: add an Input layer first (e.g. shape = [64]) "
                         "or load the data so nnbench can read it", layer_index=0)
    by_name: dict[str, Any] = {}
    if offset and layers_name(spec, 0):
        by_name[layers_name(spec, 0)] = tensor
    model_input = tensor
    current = tensor
    for i, layer in enumerate(layers, start=offset):
        if layer.type == "Input":
            raise ModelError(f"layer {i + 1}: Input can only be the first layer", layer_index=i)
        if layer.inputs:
            missing = [n for n in layer.inputs if n not in by_name]
            if missing:
                raise ModelError(f"layer {i + 1} ({layer.type}): no earlier layer named "
                                 f"{missing[0]!r}; use {one_of(by_name) if by_name else 'a name'}",
                                 layer_index=i)
            inputs = [by_name[n] for n in layer.inputs]
        else:
            inputs = [current]
        keras_layer, current = _call_layer(keras, layer, i, inputs, names[i])
        by_name[keras_layer.name] = current
        rows.append(LayerRow(i, layer.type, keras_layer.name, format_shape(current.shape),
                             int(keras_layer.count_params())))
    return keras.Model(inputs=model_input, outputs=current, name=name)


def _shapes_agree(declared: tuple[Any, ...], actual: tuple[Any, ...]) -> bool:
    return len(declared) == len(actual) and all(
        d is None or a is None or d == a for d, a in zip(declared, actual, strict=True))


def layers_name(spec: ModelSpec, index: int) -> str | None:
    return spec.layers[index].name


def summarize(model: Any) -> ModelSummary:
    """Model summary rows and totals, computed as ``model.summary()`` computes them."""
    from keras.src.utils.summary_utils import count_params

    rows = [
        SummaryRow(layer.name, type(layer).__name__, format_shape(layer.output.shape),
                   int(layer.count_params()))
        for layer in model.layers
    ]
    trainable = int(count_params(model.trainable_weights))
    non_trainable = int(count_params(model.non_trainable_weights))
    return ModelSummary(rows, trainable + non_trainable, trainable, non_trainable)


def output_problem(output_shape: tuple[Any, ...], loss: str, num_classes: int | None) -> str | None:
    """Why this output can't train with this loss and these labels, or None."""
    loss = catalog.LOSS_ALIASES.get(loss, loss)
    if len(output_shape) > 2:
        return (f"the model outputs {format_shape(output_shape)}: a vector per step or pixel, not "
                "one prediction per sample; add GlobalAveragePooling1D (sequences), or Flatten or "
                "GlobalAveragePooling2D (images), before the first Dense")
    units = output_shape[-1] if len(output_shape) == 2 else 1
    categorical = loss in ("sparse_categorical_crossentropy", "categorical_crossentropy")
    if categorical and num_classes and units != num_classes:
        return (f"the last layer has {units} outputs but the data has {num_classes} classes; "
                f"set units = {num_classes} (with softmax)")
    if loss == "binary_crossentropy" and units != 1:
        return (f"binary_crossentropy needs one output (Dense 1, sigmoid), the last layer has "
                f"{units}")
    return None


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
            rows.append(LayerRow(index, layer.type, layer.name or "", "?", 0,
                                 getattr(exc, "reason", None) or exc.message))
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
