"""Do the loss, the output layer, the labels, the metrics and the callbacks fit together?

The one home of these rules. ``problems`` finds every incompatibility at once, each at the preset
key a person would change, with the fix the Keras tutorials use. The trainer refuses the first
before anything reaches Keras (and before a run folder exists); the TUI marks every one at its
field as soon as it is known. Pure Python: no TensorFlow, so it can run on every key press.

Example::

    >>> [p.key for p in problems(preset, info, (None, 10))]
    ['compile.loss', 'compile.metrics[1]']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from nnbench.core import catalog
from nnbench.core.events import DataInfo

Task = Literal["binary", "multiclass", "regression"]

CATEGORICAL_LOSSES = ("sparse_categorical_crossentropy", "categorical_crossentropy")
REGRESSION_LOSSES = ("mean_squared_error", "mean_absolute_error", "huber")
BINARY_ONLY_METRICS = ("precision", "recall", "auc")
REGRESSION_METRICS = ("mae", "mse", "rmse", "r2", "mase")
CALLBACKS_WITH_MONITOR = ("EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau")

# Layers after the output Dense that keep its width: the head is the Dense before them.
_SAME_WIDTH = ("Activation", "Dropout", "BatchNormalization")


@dataclass(frozen=True)
class Problem:
    """One incompatibility: ``key`` is the preset key path to change, e.g. ``compile.loss``."""

    key: str
    message: str


@dataclass(frozen=True)
class _Head:
    """What the model outputs per sample, as far as it is known."""

    units: int | None
    activation: str | None
    rank: int | None
    """Axes per sample (1 for a vector); None when the output shape is unknown."""
    dense_index: int | None
    """The output Dense (whose units and activation set the head), if there is one."""
    activation_key: str | None
    shape: str = ""
    """The output shape as written, e.g. (None, 10)."""


def task_of(data: DataInfo) -> Task:
    """What the labels ask for, as the loader decided: no classes means regression."""
    if data.num_classes is None:
        return "regression"
    return "binary" if data.num_classes == 2 else "multiclass"


def canonical_loss(loss: str) -> str:
    return catalog.LOSS_ALIASES.get(loss, loss)


def problems(preset: Any, data: DataInfo | None, output_shape: Sequence[Any] | None) -> list[Problem]:
    """Every loss / output / label / metric / callback incompatibility, in preset order.

    Args:
        preset: the ``Preset`` (its compile, fit, callbacks and model sections are read).
        data: what was loaded, or None before the data is loaded (fewer checks apply).
        output_shape: the built model's output shape with the batch axis, e.g. ``(None, 10)``, or
            None when the model has not been built (the last Dense's units are used instead).
    """
    head = _head(preset, output_shape)
    loss = canonical_loss(preset.compile.loss)
    found: list[Problem] = []
    found += _label_problems(data, loss)
    found += _loss_problems(preset, head, loss, data)
    found += _metric_problems(preset, head, loss, data)
    found += _monitor_problems(preset, data)
    # The same key twice would show twice at one field; keep the first.
    seen: set[str] = set()
    unique = []
    for problem in found:
        if problem.key not in seen:
            seen.add(problem.key)
            unique.append(problem)
    return unique


# --- the output head -----------------------------------------------------------------------------


def _head(preset: Any, output_shape: Sequence[Any] | None) -> _Head:
    layers = list(preset.model.layers)
    activation: str | None = None
    activation_key: str | None = None
    dense_index: int | None = None
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        if layer.type == "Activation" and activation is None:
            activation, activation_key = layer.params.get("activation"), f"model.layers[{i}].activation"
            continue
        if layer.type in _SAME_WIDTH:
            continue
        if layer.type == "Dense":
            dense_index = i
            if activation is None:
                activation = layer.params.get("activation") or "linear"
                activation_key = f"model.layers[{i}].activation"
        break
    units: int | None = None
    rank: int | None = None
    if output_shape is not None:
        dims = tuple(output_shape)[1:]
        rank = len(dims)
        units = dims[-1] if rank >= 1 and isinstance(dims[-1], int) else (1 if rank == 0 else None)
    elif dense_index is not None:
        value = layers[dense_index].params.get("units")
        units = value if isinstance(value, int) and not isinstance(value, bool) else None
        rank = None
    shape = ("(" + ", ".join("None" if d is None else str(d) for d in output_shape) + ")"
             if output_shape is not None else "")
    return _Head(units, activation, rank, dense_index, activation_key, shape)


def _units_key(preset: Any, head: _Head) -> str:
    if head.dense_index is not None:
        return f"model.layers[{head.dense_index}].units"
    return f"model.layers[{len(preset.model.layers) - 1}]"


def output_problem(output_shape: Sequence[Any], loss: str, num_classes: int | None) -> str | None:
    """Why this output can't train with this loss and these labels, or None (the stack's check)."""
    loss = canonical_loss(loss)
    output_shape = tuple(output_shape)
    if len(output_shape) > 2:
        dims = ", ".join("None" if d is None else str(d) for d in output_shape)
        return _PER_STEP.format(shape=f"({dims})")
    units = output_shape[-1] if len(output_shape) == 2 else 1
    if loss in CATEGORICAL_LOSSES and num_classes and units != num_classes and units != 1:
        return (f"the last layer has {units} outputs but the data has {num_classes} classes; "
                f"set units = {num_classes} (with softmax)")
    if loss in CATEGORICAL_LOSSES and units == 1:
        return (f"{loss} needs one output per class, the last layer has 1; use the loss "
                "binary_crossentropy with Dense(1, sigmoid), or set units = "
                f"{num_classes or 2} with softmax")
    if loss == "binary_crossentropy" and units != 1:
        return (f"binary_crossentropy needs one output (Dense 1, sigmoid), the last layer has "
                f"{units}; set units = 1 with sigmoid, or use sparse_categorical_crossentropy")
    return None


_PER_STEP = ("the model outputs {shape}: a vector per step or pixel, not one prediction per sample; "
             "add GlobalAveragePooling1D (sequences), or Flatten or GlobalAveragePooling2D "
             "(images), before the first Dense")


# --- labels and loss -------------------------------------------------------------------------------


def _label_problems(data: DataInfo | None, loss: str) -> list[Problem]:
    if data is None:
        return []
    found = []
    missing = getattr(data, "missing_labels", 0) or 0
    if missing:
        found.append(Problem("data.source", f"{missing:,} samples have no label (NaN); every loss "
                             "turns NaN; drop or fill those rows in the data"))
    if task_of(data) == "regression" and loss in (*CATEGORICAL_LOSSES, "binary_crossentropy",
                                                  "kl_divergence"):
        found.append(Problem("compile.loss", f"the labels of {data.source} are continuous numbers "
                             f"(regression), but {loss} is for classes; use mean_squared_error "
                             "(or mean_absolute_error) with a last Dense(1) and no activation"))
    return found


def _loss_problems(preset: Any, head: _Head, loss: str, data: DataInfo | None) -> list[Problem]:
    found: list[Problem] = []
    classes = data.num_classes if data is not None else None
    last = len(preset.model.layers) - 1
    units, act, units_key = head.units, head.activation, _units_key(preset, head)
    if head.rank is not None and head.rank > 1:
        at = head.dense_index if head.dense_index is not None else last
        found.append(Problem(f"model.layers[{at}]", _PER_STEP.format(shape=head.shape)))
        return found
    if units is None:
        return found
    multi_head = units > 1 and (act == "softmax" or classes is not None)
    if loss in REGRESSION_LOSSES and units > 1 and (data is None or classes is not None):
        what = f"{units} class probabilities ({act})" if act == "softmax" else f"{units} numbers"
        fix = (f"for {classes or units} classes use sparse_categorical_crossentropy"
               if multi_head or classes else "set units = 1")
        found.append(Problem("compile.loss", f"{loss} compares one number per sample with its "
                             f"label, but the model outputs {what}; {fix}"))
    if loss in CATEGORICAL_LOSSES:
        if units == 1:
            found.append(Problem("compile.loss", f"{loss} needs one output per class, but the last "
                                 "layer has 1 (Dense(1)" + (f", {act}" if act else "") + "); use "
                                 "binary_crossentropy for two classes, or set units = "
                                 f"{classes or 2} with softmax"))
            found.append(Problem(units_key, f"one output can't hold a probability per class for "
                                 f"{loss}; set units = {classes or 2} with softmax, or keep 1 "
                                 "and use the loss binary_crossentropy"))
        elif classes and units != classes:
            found.append(Problem(units_key, f"the last layer has {units} outputs but the data has "
                                 f"{classes} classes; set units = {classes} (with softmax)"))
    if loss == "binary_crossentropy":
        if classes is not None and classes > 2:
            found.append(Problem("compile.loss", f"binary_crossentropy is for two classes but "
                                 f"the data has {classes} (it would train to a negative loss); "
                                 f"use sparse_categorical_crossentropy with units = {classes} and "
                                 "softmax"))
            if units != classes:
                found.append(Problem(units_key, f"the data has {classes} classes: set units = "
                                     f"{classes} with softmax (and the loss "
                                     "sparse_categorical_crossentropy)"))
        elif units != 1:
            found.append(Problem(units_key, f"binary_crossentropy needs one output (Dense 1, "
                                 f"sigmoid), the last layer has {units}; set units = 1 with "
                                 "sigmoid, or use sparse_categorical_crossentropy"))
    if act == "softmax" and units == 1 and head.activation_key:
        found.append(Problem(head.activation_key, "softmax over one output is always 1, so the "
                             "model can't learn; use sigmoid for one output, or more units"))
    return found


# --- metrics ----------------------------------------------------------------------------------------


def _metric_problems(preset: Any, head: _Head, loss: str, data: DataInfo | None) -> list[Problem]:
    found: list[Problem] = []
    task: Task | None = task_of(data) if data is not None else _task_from_head(head, loss)
    units = head.units
    # Integer class labels against one probability per class: numbers can't be compared.
    sparse_classes = (loss not in ("categorical_crossentropy", "kl_divergence")
                      and (task in ("binary", "multiclass") or head.activation == "softmax"))
    for i, name in enumerate(preset.compile.metrics):
        name = name.lower()
        key = f"compile.metrics[{i}]"
        if name in BINARY_ONLY_METRICS:
            if task is not None and task != "binary":
                found.append(Problem(key, f"{name} works on two classes (one sigmoid output); "
                                     f"this data is {task}: use accuracy"
                                     + (" or r2/mae" if task == "regression" else "")))
            elif units is not None and units != 1:
                found.append(Problem(key, f"{name} compares one probability per sample with a 0/1 "
                                     f"label, but the model outputs {units}; use a last Dense(1, "
                                     "sigmoid) with binary_crossentropy, or use accuracy"))
        elif name == "f1":
            if task == "regression":
                found.append(Problem(key, "f1 counts right and wrong classes; this data is "
                                     "regression: use mae or r2"))
            elif task == "multiclass" and loss != "categorical_crossentropy":
                found.append(Problem(key, "f1 over several classes needs one-hot labels: use the "
                                     "loss categorical_crossentropy (nnbench one-hot encodes the "
                                     "labels)"))
        elif name in REGRESSION_METRICS and units is not None and units > 1 and sparse_classes:
            found.append(Problem(key, f"{name} measures numbers (regression), but the model outputs "
                                 f"{units} class probabilities for integer labels; use accuracy"))
        elif name == "accuracy" and task == "regression":
            found.append(Problem(key, "accuracy counts exact matches, which continuous numbers "
                                 "almost never are; use mae (mean absolute error) or r2"))
    return found


def _task_from_head(head: _Head, loss: str) -> Task | None:
    if loss in REGRESSION_LOSSES:
        return "regression" if head.units == 1 and head.activation in (None, "linear") else None
    if loss == "binary_crossentropy":
        return "binary"
    if loss in CATEGORICAL_LOSSES and head.units is not None and head.units > 2:
        return "multiclass"
    return None


# --- callbacks ---------------------------------------------------------------------------------------


def logged_names(preset: Any) -> list[str]:
    """What fit() logs each epoch for this preset, without the val_ prefix."""
    return ["loss", *(m.lower() for m in preset.compile.metrics)]


def _monitor_problems(preset: Any, data: DataInfo | None) -> list[Problem]:
    from nnbench.core.monitor import METRIC_DIRECTIONS

    found: list[Problem] = []
    logged = logged_names(preset)
    has_val = data.val_samples > 0 if data is not None else preset.fit.has_validation
    for name, params in preset.callbacks.items():
        if name not in CALLBACKS_WITH_MONITOR:
            continue
        monitor = params.get("monitor", "val_loss")
        key = f"callbacks.{name}.monitor"
        if not isinstance(monitor, str):
            continue  # the loader refuses it
        base = monitor.removeprefix("val_")
        if base not in logged:
            found.append(Problem(key, f"'{monitor}' is not something this model logs; use loss or "
                                 f"one of the metrics ({', '.join(sorted(set(logged)))}), with val_ "
                                 "in front for the validation value"))
            continue
        if monitor.startswith("val_") and not has_val:
            found.append(Problem(key, f"'{monitor}' needs validation data; set fit.validation_split "
                                 f"(e.g. 0.2) or monitor '{base}'"))
            continue
        mode = params.get("mode", "auto")
        better = METRIC_DIRECTIONS.get(base)
        if mode in ("min", "max") and better and mode != better:
            found.append(Problem(f"callbacks.{name}.mode", f"{base} gets better as it goes "
                                 f"{'down' if better == 'min' else 'up'}, so mode = \"{mode}\" "
                                 f"would treat worse as better; use \"{better}\" or \"auto\""))
    return found
