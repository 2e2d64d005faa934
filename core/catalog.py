"""What nnbench offers: layers, activations, losses, optimizers, metrics, callbacks.

Names are Keras's own. Parameter names and defaults come from the Keras constructors
(``keras_parameters``); this file hand-writes only what Keras cannot say: which parameters a form
shows first and the choices of a field.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from functools import cache
from typing import Any


@dataclass(frozen=True)
class Param:
    """A parameter shown in a form. ``kind`` is int, float, bool, str, shape or choice."""

    name: str
    kind: str
    default: Any = None
    choices: tuple[str, ...] = ()
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class LayerKind:
    name: str
    group: str
    help: str
    params: tuple[Param, ...] = field(default_factory=tuple)
    merges: bool = False
    """Takes several inputs (Add, Concatenate)."""


ACTIVATIONS = ("relu", "sigmoid", "softmax", "tanh", "elu", "selu", "gelu", "silu", "linear")
PADDINGS = ("valid", "same")

_act = Param("activation", "choice", None, ACTIVATIONS, help="applied to the layer's output")


def _p(name: str, kind: str, default: Any = None, **kw: Any) -> Param:
    return Param(name, kind, default, **kw)


LAYERS: dict[str, LayerKind] = {
    kind.name: kind
    for kind in (
        LayerKind("Input", "core", "Declares the input shape (without the batch axis)",
                  (_p("shape", "shape", required=True, help="e.g. 28, 28 or None for any length"),)),
        LayerKind("Dense", "core", "Fully connected layer: units outputs, each sees every input",
                  (_p("units", "int", required=True), _act, _p("use_bias", "bool", True))),
        LayerKind("Activation", "core", "Applies an activation function",
                  (Param("activation", "choice", "relu", ACTIVATIONS, required=True),)),
        LayerKind("Flatten", "reshaping", "Flattens each sample to one vector (28x28 -> 784)"),
        LayerKind("Reshape", "reshaping", "Reshapes each sample",
                  (_p("target_shape", "shape", required=True),)),
        LayerKind("Dropout", "regularization", "Randomly zeroes a fraction of inputs while training",
                  (_p("rate", "float", 0.5, required=True, help="fraction dropped, 0 <= rate < 1"),)),
        LayerKind("BatchNormalization", "normalization", "Normalizes activations per batch",
                  (_p("momentum", "float", 0.99), _p("epsilon", "float", 0.001))),
        LayerKind("Rescaling", "preprocessing", "Multiplies inputs by scale and adds offset",
                  (_p("scale", "float", 1.0, required=True), _p("offset", "float", 0.0))),
        LayerKind("Embedding", "core", "Maps integer word indices to dense vectors",
                  (_p("input_dim", "int", required=True, help="vocabulary size"),
                   _p("output_dim", "int", required=True, help="vector size"),
                   _p("mask_zero", "bool", False))),
        LayerKind("GlobalAveragePooling1D", "pooling", "Averages over the steps axis: (steps, d) -> (d)"),
        LayerKind("GlobalMaxPooling1D", "pooling", "Max over the steps axis: (steps, d) -> (d)"),
        LayerKind("MaxPooling1D", "pooling", "Downsamples sequences by taking the max",
                  (_p("pool_size", "int", 2), _p("padding", "choice", "valid", choices=PADDINGS))),
        LayerKind("Conv1D", "convolution", "1D convolution over sequences",
                  (_p("filters", "int", required=True), _p("kernel_size", "int", 3, required=True),
                   _act, _p("padding", "choice", "valid", choices=PADDINGS), _p("strides", "int", 1))),
        LayerKind("Conv2D", "convolution", "2D convolution over images (height, width, channels)",
                  (_p("filters", "int", required=True), _p("kernel_size", "int", 3, required=True),
                   _act, _p("padding", "choice", "valid", choices=PADDINGS), _p("strides", "int", 1))),
        LayerKind("MaxPooling2D", "pooling", "Downsamples images by taking the max",
                  (_p("pool_size", "int", 2), _p("padding", "choice", "valid", choices=PADDINGS))),
        LayerKind("AveragePooling2D", "pooling", "Downsamples images by averaging",
                  (_p("pool_size", "int", 2), _p("padding", "choice", "valid", choices=PADDINGS))),
        LayerKind("GlobalAveragePooling2D", "pooling", "Averages each channel: (h, w, c) -> (c)"),
        LayerKind("GlobalMaxPooling2D", "pooling", "Max of each channel: (h, w, c) -> (c)"),
        LayerKind("SimpleRNN", "recurrent", "Fully connected recurrent layer",
                  (_p("units", "int", required=True), _p("return_sequences", "bool", False),
                   Param("activation", "choice", "tanh", ACTIVATIONS), _p("dropout", "float", 0.0))),
        LayerKind("LSTM", "recurrent", "Long short-term memory layer",
                  (_p("units", "int", required=True), _p("return_sequences", "bool", False),
                   _p("dropout", "float", 0.0), _p("recurrent_dropout", "float", 0.0))),
        LayerKind("GRU", "recurrent", "Gated recurrent unit layer",
                  (_p("units", "int", required=True), _p("return_sequences", "bool", False),
                   _p("dropout", "float", 0.0), _p("recurrent_dropout", "float", 0.0))),
        LayerKind("Add", "merging", "Adds its inputs element-wise (a skip connection)", merges=True),
        LayerKind("Concatenate", "merging", "Joins its inputs along an axis",
                  (_p("axis", "int", -1),), merges=True),
    )
}

LOSSES: dict[str, str] = {
    "sparse_categorical_crossentropy": "classes as integers 0..K-1 (softmax output)",
    "categorical_crossentropy": "classes one-hot (integer labels are one-hot encoded for you)",
    "binary_crossentropy": "two classes, one sigmoid output",
    "mean_squared_error": "regression; big errors cost more (MSE)",
    "mean_absolute_error": "regression; robust to outliers (MAE)",
    "huber": "regression; MSE near zero, MAE far away",
    "kl_divergence": "distance between probability distributions",
}
LOSS_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error",
                "kld": "kl_divergence", "kullback_leibler_divergence": "kl_divergence",
                "huber_loss": "huber"}

OPTIMIZERS: dict[str, tuple[Param, ...]] = {
    "sgd": (_p("learning_rate", "float", 0.01), _p("momentum", "float", 0.0),
            _p("nesterov", "bool", False)),
    "rmsprop": (_p("learning_rate", "float", 0.001), _p("rho", "float", 0.9),
                _p("momentum", "float", 0.0)),
    "adam": (_p("learning_rate", "float", 0.001), _p("beta_1", "float", 0.9),
             _p("beta_2", "float", 0.999), _p("amsgrad", "bool", False)),
    "adamw": (_p("learning_rate", "float", 0.001), _p("weight_decay", "float", 0.004),
              _p("beta_1", "float", 0.9), _p("beta_2", "float", 0.999)),
    "adagrad": (_p("learning_rate", "float", 0.001),
                _p("initial_accumulator_value", "float", 0.1)),
    "nadam": (_p("learning_rate", "float", 0.001), _p("beta_1", "float", 0.9),
              _p("beta_2", "float", 0.999)),
}

OPTIMIZER_CLASSES = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW",
                     "adagrad": "Adagrad", "nadam": "Nadam"}
"""Keras identifier -> the keras.optimizers class it names."""

METRICS: dict[str, str] = {
    "accuracy": "fraction of correct predictions",
    "precision": "binary: of predicted positives, how many are right",
    "recall": "binary: of real positives, how many were found",
    "auc": "binary: area under the ROC curve",
    "f1": "binary: harmonic mean of precision and recall",
    "mae": "mean absolute error",
    "mse": "mean squared error",
    "rmse": "root mean squared error",
    "r2": "coefficient of determination (1 is perfect)",
    "mase": "mean absolute scaled error (vs. the naive one-step forecast)",
}

CALLBACKS: dict[str, tuple[Param, ...]] = {
    "EarlyStopping": (
        _p("monitor", "str", "val_loss"), _p("patience", "int", 0), _p("min_delta", "float", 0.0),
        _p("mode", "choice", "auto", choices=("auto", "min", "max")),
        _p("restore_best_weights", "bool", False)),
    "ModelCheckpoint": (
        _p("monitor", "str", "val_loss"), _p("save_best_only", "bool", True),
        _p("mode", "choice", "auto", choices=("auto", "min", "max"))),
    "ReduceLROnPlateau": (
        _p("monitor", "str", "val_loss"), _p("factor", "float", 0.1), _p("patience", "int", 10),
        _p("min_delta", "float", 0.0001), _p("min_lr", "float", 0.0),
        _p("mode", "choice", "auto", choices=("auto", "min", "max"))),
}

LAYER_INT_RANGE = (1, 10_000_000)
"""Whole-number layer parameters (units, filters, kernel_size ...) lie in this range ..."""
LAYER_INT_RANGES = {"axis": (-16, 16)}
"""... except these."""
TUPLE_OR_INT = ("kernel_size", "pool_size", "strides")
"""Parameters Keras takes as one number or one per axis, e.g. kernel_size = [3, 3]."""
MAX_SHAPE_DIM = 10_000_000
MAX_WEIGHTS = 100_000_000
"""The most weights one layer may have: ~400 MB of float32, far beyond any tutorial model."""


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_layer_value(param: Param, value: Any) -> str | None:
    """Why ``value`` can't be this layer parameter (completes "Dense units ..."), or None.

    The types follow the Keras constructors: a bool is not a number here, and "false" in quotes is
    text, not false.
    """
    quoted = isinstance(value, str) and value.strip().lower() in ("true", "false")
    if param.kind == "bool" and not isinstance(value, bool):
        hint = f" (write {value.strip().lower()} without quotes)" if quoted else ""
        return f"must be true or false, not {value!r}{hint}"
    if param.kind == "int":
        low, high = LAYER_INT_RANGES.get(param.name, LAYER_INT_RANGE)
        values = value if param.name in TUPLE_OR_INT and isinstance(value, list) and value else [value]
        for v in values:
            if not _whole(v):
                per_axis = " or a list of them, e.g. [3, 3]" if param.name in TUPLE_OR_INT else ""
                return f"must be a whole number{per_axis}, not {value!r}"
            if not low <= v <= high:
                return f"must be between {low:,} and {high:,}, not {v!r}"
    if param.kind == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return f"must be a number, not {value!r}"
    if param.kind == "float" and value != value:  # NaN
        return "must be a number, not nan"
    if param.kind == "choice" and value not in param.choices:
        return f"{value!r} is not allowed; use " + ", ".join(param.choices)
    if param.kind == "str" and not isinstance(value, str):
        return f"must be text in quotes, not {value!r}"
    if param.kind == "shape":
        dims = value if isinstance(value, list) else [value]
        if not dims or not all(d in (None, "None", "none") or _whole(d) and -1 <= d <= MAX_SHAPE_DIM
                               for d in dims):
            return (f"must be a list of sizes like [28, 28] (0 or \"None\" for any length, -1 in "
                    f"a Reshape for the rest), not {value!r}")
    return None


SCALINGS = ("none", "divide255", "standardize")


@cache
def keras_parameters(layer_type: str) -> dict[str, Any]:
    """The keyword arguments the Keras layer class accepts, with their defaults (imports Keras)."""
    import keras

    cls = getattr(keras.layers, layer_type)
    params: dict[str, Any] = {}
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        params[name] = None if p.default is inspect.Parameter.empty else p.default
    # Keras takes these through **kwargs on every layer.
    params.setdefault("name", None)
    params.setdefault("dtype", None)
    return params
