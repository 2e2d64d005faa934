"""The Inside callback: layer health and the live confusion matrix after every epoch.

Importing this module imports Keras and TensorFlow: only the Trainer does, after they loaded
(as core/keras_callbacks.py). The maths and the words are core/layer_health.py's; this is the thin
adapter that reads the model.

Bounded cost, two ways. Everything is measured on fixed samples drawn once — GRAD_SAMPLES
training inputs for the gradient; for the activations and the confusion matrix, validation inputs
numbering at most PROBE_SAMPLES and at most 1/PROBE_SHARE of the training set (but PROBE_MIN), so a
forward pass over them is ~1% of an epoch's work — with the reductions done in TensorFlow so only
per-unit counts cross into numpy. Nothing is re-run over the whole data set. And a governor keeps
the measuring time within BUDGET of the training time: the first two and the last epoch are always
measured, the others whenever the budget allows — every epoch once an epoch takes more than ~30
times one measurement (any model bigger than the digits MLP); every few epochs for the digits
presets, whose epochs take a fraction of a second. The calls run eagerly: tracing them as
``tf.function``s cost ~10 eager calls up front, more than a short run spends on them in all.
``NNBENCH_INSIDE=0`` turns it off (bench/bench_inside.py measures the cost either way).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from nnbench.core import layer_health as lh
from nnbench.core.events import ConfusionMatrixUpdated, Event, LayerHealth, LayerStats, Notice

log = logging.getLogger(__name__)

INSIDE_ENV = "NNBENCH_INSIDE"
GRAD_SAMPLES = 128
PROBE_SAMPLES = 2048
PROBE_MIN = 512
PROBE_SHARE = 32
CHUNK = 512
"""Probe inputs per call: bounds the memory a wide conv layer's activations take."""
MAX_CLASSES = 40
"""Above this many classes no confusion matrix is kept (a heat map that size is unreadable)."""
LAYERS_CSV = "layers.csv"
BUDGET = 0.03
"""The share of the training time measuring may take (the governor; tests set it to inf)."""


def inside_enabled() -> bool:
    return os.environ.get(INSIDE_ENV, "1").strip().lower() not in ("0", "off", "false", "no")


@dataclass
class Samples:
    x_grad: Any
    y_grad: Any
    x_probe: Any
    classes: np.ndarray | None
    """The probe's true classes (classification), else None."""
    split: str


def inside_callbacks(emit: Callable[[Event], None], model: Any, data: Any,
                     run_dir: Path) -> list[Any]:
    """The callbacks to append after the event adapter; [] when NNBENCH_INSIDE is off."""
    from nnbench.core.model import summarize

    if not inside_enabled():
        return []
    # The names the user sees (a Korean layer name is "dense_2" to Keras).
    names = {layer.name: row.name for layer, row in zip(model.layers, summarize(model).rows,
                                                         strict=True)}
    try:
        samples = draw_samples(data)
    except Exception as exc:  # an odd data set must not stop the run: it only loses the view
        log.exception("layer health: could not draw samples")
        emit(Notice(f"layer health is off for this run: could not sample the data ({exc})"))
        return []
    class_names = _class_names(data, model)
    return [InsideCallback(emit, samples, class_names, run_dir / LAYERS_CSV, names)]


def _take(x: Any, y: Any, n: int, seed: int) -> tuple[Any, Any]:
    if len(x) <= n:
        return x, y
    idx = np.sort(np.random.default_rng(seed).choice(len(x), size=n, replace=False))
    return x[idx], y[idx]


def _from_dataset(ds: Any, n: int) -> tuple[Any, Any]:
    xs, ys, seen = [], [], 0
    for x, y in ds:
        xs.append(np.asarray(x))
        ys.append(np.asarray(y))
        seen += len(xs[-1])
        if seen >= n:
            break
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def draw_samples(data: Any) -> Samples:
    """Fixed samples (seeded, drawn once): a gradient batch and the probe."""
    n_train = data.info.train_samples
    size = min(PROBE_SAMPLES, max(PROBE_MIN, n_train // PROBE_SHARE))
    if data.x_train is not None:
        xg, yg = _take(data.x_train, data.y_train, GRAD_SAMPLES, 0)
        if data.x_val is not None and len(data.x_val):
            xp, yp, split = *_take(data.x_val, data.y_val, size, 1), "validation"
        else:
            xp, yp, split = *_take(data.x_train, data.y_train, size, 1), "training"
    else:
        # Iterating a shuffled training dataset once more would move its shuffle order: the
        # validation set (not shuffled) gives both samples when there is one.
        source = data.val_ds if data.val_ds is not None else data.train_ds
        split = "validation" if data.val_ds is not None else "training"
        xp, yp = _from_dataset(source, size)
        xg, yg = xp[:GRAD_SAMPLES], yp[:GRAD_SAMPLES]
    classes = _true_classes(yp) if data.task in ("binary", "multiclass") else None
    return Samples(xg, yg, xp, classes, split)


def _true_classes(y: Any) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] > 1:  # one-hot (categorical_crossentropy)
        return np.argmax(y, axis=-1)
    return np.rint(y.reshape(len(y), -1)[:, 0]).astype(np.int64)


def _class_names(data: Any, model: Any) -> list[str] | None:
    if data.task not in ("binary", "multiclass") or len(model.outputs) != 1:
        return None
    units = model.outputs[0].shape[-1] or 1
    k = data.info.num_classes or (2 if units == 1 else units)
    if units not in (1, k) or k > MAX_CLASSES:
        return None
    names = data.info.class_names
    return list(names) if names and len(names) == k else [str(i) for i in range(k)]


def activation_of(layer: Any) -> str | None:
    """The name of the activation a layer's output is (None: not one, e.g. an LSTM's state)."""
    if isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional)):
        return None
    if isinstance(layer, keras.layers.ReLU):
        plain = not float(layer.negative_slope) and not float(layer.threshold)
        return "relu" if plain else "leaky_relu"
    return getattr(getattr(layer, "activation", None), "__name__", None)


@dataclass
class _Layer:
    layer: Any
    name: str
    activation: str | None
    kernel: Any
    variables: list[Any]
    probed: bool


class InsideCallback(keras.callbacks.Callback):
    """Measures after each epoch and emits ``LayerHealth`` (and ``ConfusionMatrixUpdated``)."""

    def __init__(self, emit: Callable[[Event], None], samples: Samples,
                 class_names: list[str] | None, csv_path: Path, names: dict[str, str]) -> None:
        super().__init__()
        self.emit = emit
        self.samples = samples
        self.class_names = class_names
        self.csv = lh.LayersCsv(csv_path)
        self.names = names
        self.off = False
        self.rows: list[_Layer] = []
        self.before: dict[str, np.ndarray] = {}
        self.kept_before: dict[str, np.ndarray] = {}
        """``before`` as it was when the last unmeasured epoch began."""
        self.norms: list[float | None] = []
        self.history: list[list[LayerStats]] = []
        self.flags: list[Any] = []
        self.probe: Any = None
        self.grads: Any = None
        self.epoch_began = 0.0
        self.governor = lh.Governor(BUDGET)

    # --- setting up (once) --------------------------------------------------------------------

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._guard(self._setup)

    def _setup(self) -> None:
        model = self.model
        for layer in model.layers:
            act = activation_of(layer)
            weights = list(layer.trainable_weights)
            probed = lh.probe_kind(act) is not None and len(model.inputs) == 1
            if not weights and not probed:
                continue
            kernel = max(weights, key=lambda v: math.prod(v.shape)) if weights else None
            self.rows.append(_Layer(layer, self.names.get(layer.name, layer.name), act, kernel,
                                    weights, probed))
        self.before = {r.name: r.kernel.numpy() for r in self.rows if r.kernel is not None}
        if len(model.inputs) == 1:
            self.probe = self._make_probe()
            self.grads = self._make_grads()

    def _make_probe(self) -> Any:
        model = self.model
        probed = [r for r in self.rows if r.probed]
        outputs = [r.layer.output for r in probed]
        confusion = self.class_names is not None and self.samples.classes is not None
        if confusion:
            outputs.append(model.outputs[0])
        if not outputs:
            return None
        # model.input, not .inputs: a one-element list makes Keras warn at every call.
        inner = keras.Model(model.input, outputs)
        bounds = [lh.saturation_bounds(r.activation) if r.activation in lh.SATURATING
                  else (-math.inf, math.inf) for r in probed]
        last = model.layers[-1]
        threshold = 0.5 if activation_of(last) in ("sigmoid", "softmax") else 0.0

        def probe(x: Any) -> Any:
            outs = inner(x, training=False)
            outs = outs if isinstance(outs, (list, tuple)) else [outs]
            tallies = []
            for out, (low, high) in zip(outs[:len(probed)], bounds, strict=True):
                units = tf.reshape(out, [-1, tf.shape(out)[-1]])
                active = tf.reduce_sum(tf.cast(units > 0, tf.int32), axis=0)
                stuck = tf.reduce_sum(tf.cast((units <= low) | (units >= high), tf.int32), axis=0)
                tallies.append((active, stuck, tf.shape(units)[0]))
            if not confusion:
                return tallies, tf.zeros([0], tf.int64)
            y = outs[-1]
            if y.shape[-1] == 1:
                predicted = tf.cast(tf.reshape(y, [-1]) > threshold, tf.int64)
            else:
                predicted = tf.argmax(y, axis=-1)
            return tallies, predicted

        return probe

    def _make_grads(self) -> Any:
        model = self.model
        variables = list(model.trainable_variables)
        if not variables:
            return None

        def grads(x: Any, y: Any) -> Any:
            with tf.GradientTape() as tape:
                y_pred = model(x, training=False)
                loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
            found = tape.gradient(loss, variables)
            return [tf.reduce_sum(tf.square(tf.cast(g, tf.float32))) if g is not None
                    else tf.constant(0.0) for g in found]

        self._grad_variables = variables
        self._grad_x = tf.convert_to_tensor(self.samples.x_grad)
        self._grad_y = tf.convert_to_tensor(self.samples.y_grad)
        return grads

    # --- after each epoch ---------------------------------------------------------------------

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch_began = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        began = time.perf_counter()
        governor = self.governor
        governor.trained += began - self.epoch_began
        if isinstance(self.params, dict) and isinstance(self.params.get("epochs"), int):
            governor.epochs = self.params["epochs"]
        # The callbacks before this one (EarlyStopping, TerminateOnNonFinite, the adapter's "stop
        # after this epoch") have decided by now whether this epoch is the last: measure it while
        # its weights are still there (EarlyStopping restores the best ones in on_train_end).
        if governor.due(epoch + 1, stopping=bool(getattr(self.model, "stop_training", False))):
            self._guard(lambda: self._measure(epoch + 1))
            governor.measured(epoch + 1, time.perf_counter() - began)
        else:
            self._guard(self._keep_kernels)
        governor.spent += time.perf_counter() - began

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        # A stop that no callback before this one announced at its epoch's end: measure the epoch
        # the run ended on now, its update ratio over that epoch as an epoch-end measurement's is.
        epoch = self.governor.unmeasured_end()
        if epoch is not None:
            self.before = self.kept_before
            self._guard(lambda: self._measure(epoch))
            self.governor.measured(epoch, 0.0)

    def _keep_kernels(self) -> None:
        # An unmeasured epoch still moves the yardstick: the update ratio is always one epoch's.
        self.kept_before = dict(self.before)  # on_train_end may yet measure this epoch
        for r in self.rows:
            if r.kernel is not None:
                self.before[r.name] = r.kernel.numpy()

    def _guard(self, step: Callable[[], None]) -> None:
        if self.off:
            return
        try:
            step()
        except Exception as exc:  # the run goes on without the view, and says why once
            self.off = True
            log.exception("layer health failed")
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            self.emit(Notice(f"layer health is off for the rest of this run: "
                             f"{type(exc).__name__}: {first}"))

    def _measure(self, epoch: int) -> None:
        began = time.perf_counter()
        grad_sq = self._gradients()
        tallies, predicted = self._run_probe()
        stats = [self._layer_stats(r, grad_sq, tallies) for r in self.rows]
        total = (math.sqrt(sum(grad_sq.values())) if grad_sq else None)
        flags = lh.rules(stats, total, self.norms, self.history,
                         output_layer=self.rows[-1].name if self.rows else None)
        fired = lh.newly_fired(flags, self.flags)
        self.norms.append(total)
        self.history = [*self.history, stats][-lh.GROWTH_EPOCHS:]
        self.flags = flags
        confusion = self._confusion(epoch, predicted)
        health = LayerHealth(epoch, stats, total, flags, fired, len(self.samples.x_probe)
                             if self.probe is not None else 0, time.perf_counter() - began)
        self.emit(health)
        if confusion is not None:
            self.emit(confusion)
        self.csv.write(health)

    def _gradients(self) -> dict[str, float]:
        """Layer name -> squared gradient norm on the fixed batch."""
        if self.grads is None:
            return {}
        values = self.grads(self._grad_x, self._grad_y)
        owner = {id(v): r.name for r in self.rows for v in r.variables}
        out: dict[str, float] = {}
        for var, value in zip(self._grad_variables, values, strict=True):
            name = owner.get(id(var))
            if name is not None:
                out[name] = out.get(name, 0.0) + float(value)
        return out

    def _run_probe(self) -> tuple[dict[str, lh.UnitTally], np.ndarray | None]:
        if self.probe is None:
            return {}, None
        probed = [r for r in self.rows if r.probed]
        tallies = {r.name: lh.UnitTally() for r in probed}
        predicted = []
        x = self.samples.x_probe
        for start in range(0, len(x), CHUNK):
            counts, pred = self.probe(x[start:start + CHUNK])
            for r, (active, stuck, positions) in zip(probed, counts, strict=True):
                tallies[r.name].add(active.numpy(), stuck.numpy(), int(positions))
            predicted.append(pred.numpy())
        joined = np.concatenate(predicted) if predicted else None
        return tallies, joined if joined is not None and joined.size else None

    def _layer_stats(self, r: _Layer, grad_sq: dict[str, float],
                     tallies: dict[str, lh.UnitTally]) -> LayerStats:
        now = r.kernel.numpy() if r.kernel is not None else None
        w = lh.summarize_weights(now)
        ratio = lh.update_ratio(self.before.get(r.name), now)
        if now is not None:
            self.before[r.name] = now
        tally = tallies.get(r.name)
        kind = lh.probe_kind(r.activation)
        grad = math.sqrt(grad_sq[r.name]) if r.name in grad_sq else None
        return LayerStats(
            name=r.name, type=type(r.layer).__name__, activation=r.activation, weights=w.count,
            mean=w.mean, std=w.std, min=w.min, max=w.max, histogram=w.histogram,
            update_ratio=ratio, grad_norm=grad,
            dead=tally.dead() if tally is not None and kind == "dead" else None,
            saturated=tally.saturated_share() if tally is not None and kind == "saturated" else None,
            units=tally.units if tally is not None else None)

    def _confusion(self, epoch: int, predicted: np.ndarray | None) -> ConfusionMatrixUpdated | None:
        truth, names = self.samples.classes, self.class_names
        if predicted is None or truth is None or names is None:
            return None
        matrix = lh.confusion(truth, predicted, len(names))
        rows = [[int(c) for c in row] for row in matrix]
        return ConfusionMatrixUpdated(epoch, names, rows, lh.recall(rows), int(len(truth)),
                                      self.samples.split)
