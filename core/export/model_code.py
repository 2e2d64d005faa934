"""``build_model()`` of a script: the preset's layers as core/model.py's build_model calls Keras,
with the names Keras gives them and variables named after them."""

from __future__ import annotations

from typing import Any

from nnbench.core import catalog
from nnbench.core.errors import ModelError, NnbenchError, PresetError
from nnbench.core.export.facts import Script
from nnbench.core.export.literals import (
    SCRIPT_NAMES,
    ExportError,
    Identifiers,
    attribute,
    call,
    literal,
)
from nnbench.core.keras_setup import model_name


def model_code(script: Script) -> list[str]:
    """build_model(), layer by layer as core/model.py's build_model calls Keras."""
    from nnbench.core import model as core_model

    preset = script.preset
    spec = preset.model
    if not spec.layers:
        raise ModelError("the model has no layers; add one (an Input, then Dense layers)")
    keras_names, input_name = _keras_layer_names(script)
    shown = _shown_names(spec)
    variables = Identifiers(SCRIPT_NAMES)
    by_name: dict[str, str] = {}
    has_input = spec.layers[0].type == "Input"
    if has_input:
        var = variables.add(shown[0], "inputs")
        lines = [_input_line(spec.layers[0], var, keras_names[0])]
        if spec.layers[0].name:
            by_name[spec.layers[0].name] = var
        by_name[shown[0]] = var
    else:
        var = "inputs"
        lines = [f"inputs = keras.Input(shape=input_shape, name={literal(input_name)})"]
    model_input = current = var
    for i, layer in enumerate(spec.layers):
        if i == 0 and has_input:
            continue
        kwargs = _layer_kwargs(layer, i, keras_names[i])
        argument = _layer_argument(layer, i, by_name, current)
        var = variables.add(shown[i], core_model.snake_case(layer.type))
        layer_class = "layers." + attribute(layer.type, f"model.layers[{i}].type")
        lines.append(f"{var} = {call(layer_class, kwargs, f'model.layers[{i}]')}({argument})")
        by_name[shown[i]] = var
        current = var
    name = model_name(preset.name)
    lines.append(f"return keras.Model(inputs={model_input}, outputs={current}, "
                 f"name={literal(name)})")
    signature = "def build_model():" if has_input else "def build_model(input_shape):"
    return [signature, '    """The layers of the preset, named as nnbench names them."""',
            *[f"    {line}" for line in lines]]


def _input_line(first: Any, var: str, keras_name: str) -> str:
    """``keras.Input`` for a first Input layer, its shape checked as build_model checks it."""
    from nnbench.core import model as core_model

    if first.params.get("shape") is None:
        raise PresetError("Input needs a shape, e.g. shape = [28, 28]", key="model.layers[0].shape")
    try:
        shape = core_model._shape(first.params["shape"])
    except (TypeError, ValueError):
        raise PresetError(f"bad Input shape {first.params['shape']!r}",
                          key="model.layers[0].shape") from None
    return f"{var} = keras.Input(shape={literal(shape)}, name={literal(keras_name)})"


def _layer_kwargs(layer: Any, i: int, keras_name: str) -> dict[str, Any]:
    """Layer ``i``'s constructor arguments as build_model passes them, with its Keras name."""
    from nnbench.core import model as core_model

    if layer.type == "Input":
        raise ModelError(f"layer {i + 1}: Input can only be the first layer", layer_index=i)
    if layer.type not in catalog.LAYERS:
        raise PresetError(f"unknown layer type '{layer.type}'", key=f"model.layers[{i}].type")
    kwargs = dict(core_model._kwargs(layer, i))
    kwargs["name"] = keras_name
    return kwargs


def _layer_argument(layer: Any, i: int, by_name: dict[str, str], current: str) -> str:
    """What layer ``i`` is called on: the variables of its ``inputs``, else the layer before."""
    if layer.inputs:
        missing = [n for n in layer.inputs if n not in by_name]
        if missing:
            raise ModelError(f"layer {i + 1} ({layer.type}): no earlier layer named "
                             f"{missing[0]!r}", layer_index=i)
        sources = [by_name[n] for n in layer.inputs]
    else:
        sources = [current]
    merges = catalog.LAYERS[layer.type].merges
    if merges and len(sources) < 2:
        raise ModelError(f"layer {i + 1} ({layer.type}) merges several layers: list them in "
                         'inputs = ["a", "b"]', layer_index=i)
    if not merges and len(sources) != 1:
        raise ModelError(f"layer {i + 1} ({layer.type}) takes one input, got {len(sources)}",
                         layer_index=i)
    return "[" + ", ".join(sources) + "]" if merges else sources[0]


def _shown_names(spec: Any) -> list[str]:
    """The names a person sees and references in ``inputs`` (the one naming rule, core/names.py)."""
    from nnbench.core.names import auto_names

    return list(auto_names(spec))


def _keras_layer_names(script: Script) -> tuple[list[str], str]:
    """The names core's build_model gives Keras: each layer's, and an implicit input's.

    When the input shape is known the model is built once, as the Trainer would build it, so a
    model that can't be built is refused here with build_model's own message.
    """
    from nnbench.core.model import build_model
    from nnbench.core.names import INPUT_NAME, keras_names, unused_name

    spec = script.preset.model
    if spec.layers[0].type == "Input" or script.facts.input_shape is not None:
        try:
            build_model(spec, script.facts.input_shape)
        except NnbenchError:
            raise
        except Exception as exc:  # Keras refusing something the checks let through
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ExportError(f"the model cannot be built: {type(exc).__name__}: {first}") from None
    scoped = list(keras_names(_shown_names(spec), [layer.type for layer in spec.layers]))
    return scoped, unused_name(INPUT_NAME, scoped)
