"""What nnbench offers: layers, activations, losses, optimizers, metrics, callbacks.

Names are Keras's own. Parameter names and defaults come from the Keras constructors
(``keras_parameters``, ``Param.default``); this file hand-writes only what Keras cannot say: which
parameters a form shows first, the choices of a field, the limits of a value (``LIMITS``) that
both the preset checker and the form apply, and a starting value where Keras has no default (a new
Dropout's rate, a new Conv2D's kernel_size).

The help texts (a layer's, a parameter's, a loss's or metric's line) are English here, marked with
``N_`` for the catalogue and said in the interface's language where shown, ``_(kind.help)``; the
problems ``check_layer_value`` and ``Limits`` give are in it already (core/i18n.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Literal, get_args

from nnbench.core.i18n import N_, _


@dataclass(frozen=True)
class Param:
    """A parameter shown in a form. ``kind`` is int, float, bool, str, shape or choice."""

    name: str
    kind: str
    own_default: Any = None
    """nnbench's value: where Keras has no default (a new Dropout starts at rate 0.5), or where
    nnbench passes another one (ModelCheckpoint keeps the best epoch only)."""
    choices: tuple[str, ...] = ()
    required: bool = False
    help: str = ""
    keras: str = ""
    """The Keras class whose constructor default this is, e.g. ``optimizers.SGD``."""

    @property
    def default(self) -> Any:
        """The value used when the preset leaves this parameter out."""
        if self.own_default is not None or not self.keras:
            return self.own_default
        from nnbench.core.keras_signature import keras_defaults

        value = keras_defaults(self.keras).get(self.name)
        if self.name in TUPLE_OR_INT and isinstance(value, tuple) and len(set(value)) == 1:
            # Conv2D's strides=(1, 1) is the one number Keras also takes: shown as 1, like a 1D's.
            return value[0]
        return value


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

_act = Param("activation", "choice", None, ACTIVATIONS, help=N_("applied to the layer's output"))


def _p(name: str, kind: str, default: Any = None, **kw: Any) -> Param:
    """A layer parameter. ``default`` only for a required one, as the value a new layer starts
    from: an optional one's default is read from the Keras class (``_keras_defaults``)."""
    return Param(name, kind, default, **kw)


def _keras_defaults(kind: LayerKind) -> LayerKind:
    """The layer's optional parameters take their defaults from ``keras.layers.<name>``."""
    params = tuple(p if p.required else replace(p, keras=f"layers.{kind.name}") for p in kind.params)
    return replace(kind, params=params)


LAYERS: dict[str, LayerKind] = {
    kind.name: _keras_defaults(kind)
    for kind in (
        LayerKind("Input", "core", N_("Declares the input shape (without the batch axis)"),
                  (_p("shape", "shape", required=True, help=N_("e.g. 28, 28 or None for any length")),)),
        LayerKind("Dense", "core", N_("Fully connected layer: units outputs, each sees every input"),
                  (_p("units", "int", required=True), _act, _p("use_bias", "bool"))),
        LayerKind("Activation", "core", N_("Applies an activation function"),
                  (Param("activation", "choice", "relu", ACTIVATIONS, required=True),)),
        LayerKind("Flatten", "reshaping", N_("Flattens each sample to one vector (28x28 -> 784)")),
        LayerKind("Reshape", "reshaping", N_("Reshapes each sample"),
                  (_p("target_shape", "shape", required=True),)),
        LayerKind("Dropout", "regularization", N_("Randomly zeroes a fraction of inputs while training"),
                  (_p("rate", "float", 0.5, required=True, help=N_("fraction dropped, 0 <= rate < 1")),)),
        LayerKind("BatchNormalization", "normalization", N_("Normalizes activations per batch"),
                  (_p("momentum", "float"), _p("epsilon", "float"))),
        LayerKind("Rescaling", "preprocessing", N_("Multiplies inputs by scale and adds offset"),
                  (_p("scale", "float", 1.0, required=True), _p("offset", "float"))),
        LayerKind("Embedding", "core", N_("Maps integer word indices to dense vectors"),
                  (_p("input_dim", "int", required=True, help=N_("vocabulary size")),
                   _p("output_dim", "int", required=True, help=N_("vector size")),
                   _p("mask_zero", "bool"))),
        LayerKind("GlobalAveragePooling1D", "pooling", N_("Averages over the steps axis: (steps, d) -> (d)")),
        LayerKind("GlobalMaxPooling1D", "pooling", N_("Max over the steps axis: (steps, d) -> (d)")),
        LayerKind("MaxPooling1D", "pooling", N_("Downsamples sequences by taking the max"),
                  (_p("pool_size", "int"), _p("padding", "choice", choices=PADDINGS))),
        LayerKind("Conv1D", "convolution", N_("1D convolution over sequences"),
                  (_p("filters", "int", required=True), _p("kernel_size", "int", 3, required=True),
                   _act, _p("padding", "choice", choices=PADDINGS), _p("strides", "int"))),
        LayerKind("Conv2D", "convolution", N_("2D convolution over images (height, width, channels)"),
                  (_p("filters", "int", required=True), _p("kernel_size", "int", 3, required=True),
                   _act, _p("padding", "choice", choices=PADDINGS), _p("strides", "int"))),
        LayerKind("MaxPooling2D", "pooling", N_("Downsamples images by taking the max"),
                  (_p("pool_size", "int"), _p("padding", "choice", choices=PADDINGS))),
        # Keras's AveragePooling2D, unlike MaxPooling2D, has no default pool_size.
        LayerKind("AveragePooling2D", "pooling", N_("Downsamples images by averaging"),
                  (_p("pool_size", "int", 2, required=True), _p("padding", "choice", choices=PADDINGS))),
        LayerKind("GlobalAveragePooling2D", "pooling", N_("Averages each channel: (h, w, c) -> (c)")),
        LayerKind("GlobalMaxPooling2D", "pooling", N_("Max of each channel: (h, w, c) -> (c)")),
        LayerKind("SimpleRNN", "recurrent", N_("Fully connected recurrent layer"),
                  (_p("units", "int", required=True), _p("return_sequences", "bool"),
                   Param("activation", "choice", choices=ACTIVATIONS), _p("dropout", "float"))),
        LayerKind("LSTM", "recurrent", N_("Long short-term memory layer"),
                  (_p("units", "int", required=True), _p("return_sequences", "bool"),
                   _p("dropout", "float"), _p("recurrent_dropout", "float"))),
        LayerKind("GRU", "recurrent", N_("Gated recurrent unit layer"),
                  (_p("units", "int", required=True), _p("return_sequences", "bool"),
                   _p("dropout", "float"), _p("recurrent_dropout", "float"))),
        LayerKind("Add", "merging", N_("Adds its inputs element-wise (a skip connection)"), merges=True),
        LayerKind("Concatenate", "merging", N_("Joins its inputs along an axis"),
                  (_p("axis", "int"),), merges=True),
    )
}

LOSSES: dict[str, str] = {
    "sparse_categorical_crossentropy": N_("classes as integers 0..K-1 (softmax output)"),
    "categorical_crossentropy": N_("classes one-hot (integer labels are one-hot encoded for you)"),
    "binary_crossentropy": N_("two classes, one sigmoid output"),
    "mean_squared_error": N_("regression; big errors cost more (MSE)"),
    "mean_absolute_error": N_("regression; robust to outliers (MAE)"),
    "huber": N_("regression; MSE near zero, MAE far away"),
    "kl_divergence": N_("distance between probability distributions"),
}
LOSS_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error",
                "kld": "kl_divergence", "kullback_leibler_divergence": "kl_divergence",
                "huber_loss": "huber"}

OPTIMIZER_CLASSES = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW",
                     "adagrad": "Adagrad", "nadam": "Nadam"}
"""Keras identifier -> the keras.optimizers class it names."""

MODES = ("auto", "min", "max")


def _from_keras(cls: str, *shown: tuple[str, str]) -> tuple[Param, ...]:
    """Parameters a form shows, in order; their defaults are the ``keras.<cls>`` constructor's."""
    return tuple(Param(name, kind, keras=cls, choices=MODES if name == "mode" else ())
                 for name, kind in shown)


OPTIMIZERS: dict[str, tuple[Param, ...]] = {
    name: _from_keras(f"optimizers.{OPTIMIZER_CLASSES[name]}", *shown) for name, shown in {
        "sgd": (("learning_rate", "float"), ("momentum", "float"), ("nesterov", "bool")),
        "rmsprop": (("learning_rate", "float"), ("rho", "float"), ("momentum", "float")),
        "adam": (("learning_rate", "float"), ("beta_1", "float"), ("beta_2", "float"),
                 ("amsgrad", "bool")),
        "adamw": (("learning_rate", "float"), ("weight_decay", "float"), ("beta_1", "float"),
                  ("beta_2", "float")),
        "adagrad": (("learning_rate", "float"), ("initial_accumulator_value", "float")),
        "nadam": (("learning_rate", "float"), ("beta_1", "float"), ("beta_2", "float")),
    }.items()
}
"""What the form shows of each optimizer."""

OPTIMIZER_COMMON = tuple(Param(name, kind) for name, kind in (
    ("clipnorm", "float"), ("clipvalue", "float"), ("global_clipnorm", "float"),
    ("weight_decay", "float"), ("use_ema", "bool")))
"""Keyword arguments every Keras optimizer takes besides its own (keras.optimizers.Optimizer's)."""


def optimizer_params(name: str) -> dict[str, Param]:
    """Every keyword argument a preset may give the optimizer ``name`` (a key of OPTIMIZERS),
    with that optimizer's Keras defaults."""
    own = OPTIMIZERS[name]
    # SGD is the one optimizer without a numerical-stability epsilon.
    extra = () if name == "sgd" else (Param("epsilon", "float"),)
    keras = f"optimizers.{OPTIMIZER_CLASSES[name]}"
    return {p.name: replace(p, keras=keras) for p in OPTIMIZER_COMMON + extra + own}


METRICS: dict[str, str] = {
    "accuracy": N_("fraction of correct predictions"),
    "precision": N_("binary: of predicted positives, how many are right"),
    "recall": N_("binary: of real positives, how many were found"),
    "auc": N_("binary: area under the ROC curve"),
    "f1": N_("binary: harmonic mean of precision and recall"),
    "mae": N_("mean absolute error"),
    "mse": N_("mean squared error"),
    "rmse": N_("root mean squared error"),
    "r2": N_("coefficient of determination (1 is perfect)"),
    "mase": N_("mean absolute scaled error (vs. the naive one-step forecast)"),
}

CALLBACKS: dict[str, tuple[Param, ...]] = {
    "EarlyStopping": _from_keras(
        "callbacks.EarlyStopping", ("monitor", "str"), ("patience", "int"), ("min_delta", "float"),
        ("mode", "choice"), ("restore_best_weights", "bool")),
    "ModelCheckpoint": (
        Param("monitor", "str", keras="callbacks.ModelCheckpoint"),
        # The Trainer keeps best.keras, the best epoch's model (core/training.py), not the last.
        Param("save_best_only", "bool", True, keras="callbacks.ModelCheckpoint"),
        Param("mode", "choice", choices=MODES, keras="callbacks.ModelCheckpoint")),
    "ReduceLROnPlateau": _from_keras(
        "callbacks.ReduceLROnPlateau", ("monitor", "str"), ("factor", "float"), ("patience", "int"),
        ("min_delta", "float"), ("min_lr", "float"), ("mode", "choice")),
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
        if quoted:
            return _("must be true or false, not {value} (write {word} without quotes)").format(
                value=repr(value), word=value.strip().lower())
        return _("must be true or false, not {value}").format(value=repr(value))
    if param.kind == "int":
        low, high = LAYER_INT_RANGES.get(param.name, LAYER_INT_RANGE)
        values = value if param.name in TUPLE_OR_INT and isinstance(value, list) and value else [value]
        for v in values:
            if not _whole(v):
                if param.name in TUPLE_OR_INT:
                    return _("must be a whole number or a list of them, e.g. [3, 3], not {value}"
                             ).format(value=repr(value))
                return _("must be a whole number, not {value}").format(value=repr(value))
            if not low <= v <= high:
                return _("must be between {low} and {high}, not {value}").format(
                    low=f"{low:,}", high=f"{high:,}", value=repr(v))
    if param.kind == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return _("must be a number, not {value}").format(value=repr(value))
    if param.kind == "float" and value != value:  # NaN
        return _("must be a number, not {value}").format(value="nan")
    if param.kind == "choice" and value not in param.choices:
        return _("{value} is not allowed; use {choices}").format(
            value=repr(value), choices=", ".join(param.choices))
    if param.kind == "str" and not isinstance(value, str):
        return _("must be text in quotes, not {value}").format(value=repr(value))
    if param.kind == "shape":
        dims = value if isinstance(value, list) else [value]
        if not dims or not all(d in (None, "None", "none") or _whole(d) and -1 <= d <= MAX_SHAPE_DIM
                               for d in dims):
            return _('must be a list of sizes like [28, 28] (0 or "None" for any length, -1 in '
                     'a Reshape for the rest), not {value}').format(value=repr(value))
    return None


# --- limits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Bounds of a number; ``low_open``/``high_open`` exclude the bound itself."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def problem(self, value: float) -> str | None:
        """Why ``value`` is out of bounds ("must be at most 1, not 1.5"), or None."""
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            below = (_("must be greater than {bound}, not {value}") if self.low_open
                     else _("must be at least {bound}, not {value}"))
            return below.format(bound=_num(self.low), value=_num(value))
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            above = (_("must be less than {bound}, not {value}") if self.high_open
                     else _("must be at most {bound}, not {value}"))
            return above.format(bound=_num(self.high), value=_num(value))
        return None

    def allowed(self, name: str) -> str:
        """The bounds as a person writes them: "0 <= momentum <= 1", "learning_rate > 0"."""
        if self.low is not None and self.high is None:
            return f"{name} {'>' if self.low_open else '>='} {_num(self.low)}"
        low = "" if self.low is None else f"{_num(self.low)} {'<' if self.low_open else '<='} "
        high = "" if self.high is None else f" {'<' if self.high_open else '<='} {_num(self.high)}"
        return f"{low}{name}{high}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


FRACTION = Limits(0, 1)
FRACTION_BELOW_ONE = Limits(0, 1, high_open=True)
OPEN_FRACTION = Limits(0, 1, low_open=True, high_open=True)
POSITIVE = Limits(0, low_open=True)
NON_NEGATIVE = Limits(0)
COUNT = Limits(1)

LIMITS: dict[str, Limits] = {
    # optimizers
    "learning_rate": POSITIVE, "epsilon": POSITIVE, "momentum": FRACTION, "rho": FRACTION,
    "beta_1": FRACTION_BELOW_ONE, "beta_2": FRACTION_BELOW_ONE, "weight_decay": NON_NEGATIVE,
    "initial_accumulator_value": NON_NEGATIVE, "clipnorm": POSITIVE, "clipvalue": POSITIVE,
    # layers
    "rate": FRACTION_BELOW_ONE, "dropout": FRACTION, "recurrent_dropout": FRACTION,
    "units": COUNT, "filters": COUNT, "input_dim": COUNT, "output_dim": COUNT,
    "kernel_size": COUNT, "pool_size": COUNT, "strides": COUNT,
    # callbacks
    "factor": OPEN_FRACTION, "min_delta": NON_NEGATIVE, "min_lr": NON_NEGATIVE,
    # [fit] and [data]
    "test_split": OPEN_FRACTION, "validation_split": OPEN_FRACTION,
    "epochs": Limits(1, 100_000), "batch_size": COUNT, "validation_first": COUNT,
    "num_words": POSITIVE, "maxlen": POSITIVE, "max_samples": POSITIVE,
}
"""What Keras would reject later (or train nonsense with), by parameter name: the preset checker
refuses a preset that breaks one, and the form refuses the value while it is typed."""


def out_of_limits(name: str, value: Any) -> str | None:
    """Why a preset's number breaks the limits of parameter ``name``, with the range, or None."""
    limits = LIMITS.get(name)
    if limits is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    problem = limits.problem(value)
    if not problem:
        return None
    return _("{problem} (allowed: {range})").format(problem=problem, range=limits.allowed(name))


Scaling = Literal["none", "divide255", "standardize"]
"""How [data] scales the features: as they are, pixels 0..255 to 0..1, or to mean 0 and std 1."""
SCALINGS: tuple[str, ...] = get_args(Scaling)


@cache
def keras_parameters(layer_type: str) -> dict[str, Any]:
    """The keyword arguments the Keras layer class accepts, with their defaults (imports Keras)."""
    import keras

    from nnbench.core.keras_signature import signature_defaults

    params = signature_defaults(getattr(keras.layers, layer_type))
    # Keras takes these through **kwargs on every layer.
    params.setdefault("name", None)
    params.setdefault("dtype", None)
    return params
