"""Inside the model: per-layer health after each epoch and the rules that flag a sick layer.

Pure numpy, no Keras: core/health_callback.py (imported only after Keras) hands arrays in, this
module turns them into plain events (core/events.py ``LayerHealth``, ``ConfusionMatrixUpdated``)
and words. What is measured, per layer:

* the weights (its kernel: the layer's largest trainable variable): mean, std, min, max and a
  ``HIST_BINS``-bin histogram, drawn as a sparkline;
* the update ratio ``|w_end - w_start| / |w_start|`` over the epoch (Frobenius norms, the kernel);
* the gradient norm of all the layer's trainable variables on one fixed training batch;
* for ReLU-family layers, the share of units that never activate on a fixed validation sample
  (dead); for sigmoid/tanh, the share of units stuck near their limits on most of it (saturated).

Rules fire in words (``rules``); a flag is printed under the epoch only when it is new
(``LayerHealth.fired``), while the Inside view shows every flag that holds.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnbench.core.events import HealthFlag, LayerHealth, LayerStats

HIST_BINS = 12
DEAD_FLAG = 0.5
"""A ReLU layer is flagged when at least this share of its units never activates."""
SATURATED_FLAG = 0.5
"""A sigmoid/tanh layer is flagged when at least this share of its units is saturated."""
SATURATION = 0.97
"""|tanh| above this (sigmoid below 0.015 or above 0.985) is saturated: its gradient is < 6%."""
SATURATED_SHARE = 0.9
"""A unit is saturated when it is saturated on at least this share of the sample."""
GROWTH_FLAG = 100.0
GROWTH_EPOCHS = 3
"""The gradient norm growing GROWTH_FLAG times within GROWTH_EPOCHS epochs is flagged."""

DEAD_FAMILY = frozenset({"relu", "relu6"})
"""Activations whose unit is dead when it is zero for every input (its gradient is zero)."""
SATURATING = frozenset({"sigmoid", "tanh", "hard_sigmoid", "softsign"})
CENTERED = frozenset({"tanh", "softsign"})
"""Saturating activations in [-1, 1]; the others are in [0, 1]."""


def probe_kind(activation: str | None) -> str | None:
    """'dead' or 'saturated' for the activations those rules watch, else None."""
    if activation in DEAD_FAMILY:
        return "dead"
    if activation in SATURATING:
        return "saturated"
    return None


def saturation_bounds(activation: str) -> tuple[float, float]:
    """(low, high): an activation at or below low, or at or above high, is saturated."""
    if activation in CENTERED:
        return -SATURATION, SATURATION
    margin = (1 - SATURATION) / 2
    return margin, 1 - margin


# --- weights ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightSummary:
    count: int
    mean: float | None
    std: float | None
    min: float | None
    max: float | None
    histogram: list[int]


def summarize_weights(w: np.ndarray | None, bins: int = HIST_BINS) -> WeightSummary:
    """Mean, std, min, max and a histogram of ``w``; non-finite values leave the histogram empty."""
    if w is None or w.size == 0:
        return WeightSummary(0, None, None, None, None, [])
    flat = np.asarray(w, dtype=np.float64).ravel()
    lo, hi = float(flat.min()), float(flat.max())
    mean, std = float(flat.mean()), float(flat.std())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return WeightSummary(flat.size, mean, std, lo, hi, [])
    if hi <= lo:
        single = [0] * bins
        single[bins // 2] = flat.size
        return WeightSummary(flat.size, mean, std, lo, hi, single)
    # One bincount, not np.histogram: a third of its cost on a 784x300 kernel.
    index = ((flat - lo) * (bins / (hi - lo))).astype(np.int64)
    np.minimum(index, bins - 1, out=index)
    counts = np.bincount(index, minlength=bins)
    return WeightSummary(flat.size, mean, std, lo, hi, [int(c) for c in counts])


def update_ratio(before: np.ndarray | None, after: np.ndarray | None) -> float | None:
    """|after - before| / |before| (Frobenius norms); None when it can't be said."""
    if before is None or after is None or before.shape != after.shape or before.size == 0:
        return None
    # A diverged run's weights overflow here: that is an answer (inf / None), not a warning.
    with np.errstate(over="ignore", invalid="ignore"):
        norm = float(np.linalg.norm(before))
        if not math.isfinite(norm) or norm == 0.0:
            return None
        return float(np.linalg.norm(after - before)) / norm


@dataclass
class Governor:
    """Which epochs are measured, so measuring stays within ``budget`` of the training time:
    the first two and the last always, the others whenever the budget allows. The last is the
    planned last, or the one a stop (EarlyStopping, TerminateOnNaN, "stop after this epoch") ends
    on: the Inside view and layers.csv always end at the epoch the run ended on (issue #13).

    The first measurement also pays TensorFlow's one-time eager warm-up (~10x a later one on the
    digits MLP); the second tells how much. The budget counts the first as a later one, or that
    one-off would leave the Inside view at epoch 1 for dozens of short epochs."""

    budget: float
    epochs: int | None = None
    trained: float = 0.0
    """Seconds spent in epochs so far (the yardstick)."""
    spent: float = 0.0
    """Seconds spent measuring (and keeping kernels) so far."""
    last_cost: float = 0.0
    first_cost: float | None = None
    warmup: float = 0.0

    ended: int = 0
    """The last epoch that ran (1-based)."""
    last_measured: int = 0
    """The last epoch measured (1-based), 0 before any."""

    def due(self, epoch: int, stopping: bool = False) -> bool:
        """Whether to measure ``epoch``, which just ended; ``stopping``: the run ends with it."""
        self.ended = epoch
        if epoch in (1, 2) or epoch == self.epochs or stopping:
            return True
        return self.spent - self.warmup + self.last_cost <= self.budget * self.trained

    def unmeasured_end(self) -> int | None:
        """When training has ended: the epoch it ended on, if that one was not measured."""
        return self.ended if self.ended > self.last_measured else None

    def measured(self, epoch: int, cost: float) -> None:
        self.last_measured = epoch
        self.last_cost = cost
        if self.first_cost is None:
            self.first_cost = cost
        elif epoch == 2:
            self.warmup = max(0.0, self.first_cost - cost)


# --- activations on the sample ----------------------------------------------------------------


@dataclass
class UnitTally:
    """Per-unit counts over the sample, added chunk by chunk (a unit: a channel for conv layers).

    ``active``: positions where the unit's output was above zero; ``saturated``: positions where
    it was at its limits; ``positions``: how many were seen per unit."""

    active: np.ndarray | None = None
    saturated: np.ndarray | None = None
    positions: int = 0

    def add(self, active: np.ndarray, saturated: np.ndarray, positions: int) -> None:
        if self.active is None or self.saturated is None:
            self.active, self.saturated = active.astype(np.int64), saturated.astype(np.int64)
        else:
            self.active = self.active + active
            self.saturated = self.saturated + saturated
        self.positions += positions

    @property
    def units(self) -> int:
        return 0 if self.active is None else int(self.active.size)

    def dead(self) -> float | None:
        """The share of units that never activated on the sample."""
        if self.active is None or self.active.size == 0 or self.positions == 0:
            return None
        return float(np.mean(self.active == 0))

    def saturated_share(self) -> float | None:
        """The share of units saturated on at least SATURATED_SHARE of the sample."""
        if self.saturated is None or self.saturated.size == 0 or self.positions == 0:
            return None
        return float(np.mean(self.saturated >= SATURATED_SHARE * self.positions))


def tally_activations(a: np.ndarray, activation: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(active, saturated, positions) of one chunk of a layer's output (units on the last axis).

    The numpy twin of what the callback computes inside TensorFlow; tests compare the two."""
    units = a.reshape(-1, a.shape[-1])
    low, high = saturation_bounds(activation) if activation in SATURATING else (-math.inf, math.inf)
    saturated = ((units <= low) | (units >= high)).sum(axis=0)
    return (units > 0).sum(axis=0), saturated, units.shape[0]


# --- the rules --------------------------------------------------------------------------------


def _pct(share: float) -> str:
    return f"{round(share * 100)}%"


def _times(x: float) -> str:
    return f"{x:,.0f}x" if x >= 10 else f"{x:.1f}x"


def rules(layers: Sequence[LayerStats], grad_norm: float | None,
          earlier_norms: Sequence[float | None], earlier_layers: Sequence[Sequence[LayerStats]] = (),
          output_layer: str | None = None) -> list[HealthFlag]:
    """The flags that hold after this epoch, in words a learner can act on.

    ``earlier_norms`` / ``earlier_layers``: the model's gradient norms and layer stats of the
    epochs before, oldest first; ``output_layer``: the model's last layer, whose saturation is only
    confidence (a sigmoid output near 0 or 1 is the point) and is not flagged."""
    flags: list[HealthFlag] = []
    for s in layers:
        values = (s.mean, s.std, s.min, s.max)
        if s.weights and any(v is not None and not math.isfinite(v) for v in values):
            flags.append(HealthFlag(s.name, "not_finite",
                                    f"{s.name}: weights are not finite (NaN or inf) — lower the "
                                    "learning rate or scale the data (data.scaling = \"standardize\")"))
            continue
        if s.dead is not None and s.dead >= DEAD_FLAG:
            flags.append(HealthFlag(s.name, "dead",
                                    f"{s.name}: {_pct(s.dead)} of units never activate (dead ReLU) "
                                    "— lower the learning rate or use LeakyReLU/He init"))
        if s.saturated is not None and s.saturated >= SATURATED_FLAG and s.name != output_layer:
            flags.append(HealthFlag(s.name, "saturated",
                                    f"{s.name}: {_pct(s.saturated)} of units are saturated "
                                    f"({s.activation} stuck at its limits, gradients near zero) — "
                                    "scale the inputs, lower the learning rate or use Glorot init"))
    growth = gradient_growth(grad_norm, earlier_norms)
    if growth is not None:
        times, before, epochs = growth
        worst = _fastest_growing(layers, earlier_layers[-epochs:] if earlier_layers else ())
        where = f", most in {worst}" if worst else ""
        flags.append(HealthFlag(worst or "model", "exploding",
                                f"gradient norm grew {_times(times)} in {epochs} "
                                f"epoch{'s' if epochs != 1 else ''} ({before:.3g} -> "
                                f"{grad_norm:.3g}){where} — lower the learning rate or clip "
                                "gradients (optimizer clipnorm)"))
    return flags


def gradient_growth(now: float | None, earlier: Sequence[float | None]
                    ) -> tuple[float, float, int] | None:
    """(times, from, epochs ago) when ``now`` is GROWTH_FLAG times the smallest norm of the last
    GROWTH_EPOCHS epochs, else None."""
    if now is None or not math.isfinite(now):
        return None
    window = list(earlier)[-GROWTH_EPOCHS:]
    best: tuple[float, float, int] | None = None
    for back, value in enumerate(reversed(window), start=1):
        if value is None or not math.isfinite(value) or value <= 0:
            continue
        times = now / value
        if times >= GROWTH_FLAG and (best is None or times > best[0]):
            best = (times, value, back)
    return best


def _fastest_growing(layers: Sequence[LayerStats], earlier: Sequence[Sequence[LayerStats]]
                     ) -> str | None:
    if not earlier:
        return None
    first = {s.name: s.grad_norm for s in earlier[0]}
    growth = [(s.grad_norm / b, s.name) for s in layers
              if s.grad_norm is not None and (b := first.get(s.name)) and b > 0]
    return max(growth)[1] if growth else None


def newly_fired(flags: Sequence[HealthFlag], before: Sequence[HealthFlag]) -> list[HealthFlag]:
    """The flags that did not hold the epoch before (same layer and rule)."""
    held = {(f.layer, f.rule) for f in before}
    return [f for f in flags if (f.layer, f.rule) not in held]


# --- the confusion matrix ---------------------------------------------------------------------


def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    """Counts, rows true classes and columns predicted ones (scikit-learn's layout)."""
    t = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(y_pred, dtype=np.int64).ravel()
    keep = (t >= 0) & (t < classes) & (p >= 0) & (p < classes)
    flat = np.bincount(t[keep] * classes + p[keep], minlength=classes * classes)
    return flat.reshape(classes, classes)


def recall(matrix: Sequence[Sequence[int]]) -> list[float | None]:
    """Per true class: the share of its samples predicted right (None: none in the sample)."""
    m = np.asarray(matrix, dtype=np.int64)
    totals = m.sum(axis=1)
    return [float(m[i, i] / totals[i]) if totals[i] else None for i in range(m.shape[0])]


def changed_cells(now: Sequence[Sequence[int]], before: Sequence[Sequence[int]] | None,
                  top: int = 3) -> set[tuple[int, int]]:
    """The ``top`` cells whose count moved most since ``before`` (none moved: empty)."""
    if before is None:
        return set()
    a, b = np.asarray(now, dtype=np.int64), np.asarray(before, dtype=np.int64)
    if a.shape != b.shape:
        return set()
    delta = np.abs(a - b)
    order = np.argsort(delta, axis=None, kind="stable")[::-1][:top]
    return {(int(i), int(j)) for i, j in zip(*np.unravel_index(order, a.shape), strict=True)
            if delta[i, j] > 0}


# --- layers.csv -------------------------------------------------------------------------------

CSV_COLUMNS = ("epoch", "layer", "type", "activation", "weights", "mean", "std", "min", "max",
               "update_ratio", "grad_norm", "dead", "saturated", "histogram", "flags")


@dataclass
class LayersCsv:
    """``layers.csv`` in the run folder: one row per layer per epoch (1-based epochs, as the
    events; a resumed run appends)."""

    path: Path
    failed: bool = field(default=False)

    def write(self, health: LayerHealth) -> None:
        if self.failed:
            return
        new = not self.path.exists()
        flags: dict[str, list[str]] = {}
        for f in health.flags:
            flags.setdefault(f.layer, []).append(f.rule)
        try:
            with self.path.open("a", encoding="utf-8", newline="") as handle:
                out = csv.writer(handle)
                if new:
                    out.writerow(CSV_COLUMNS)
                for s in health.layers:
                    out.writerow([health.epoch, s.name, s.type, s.activation or "", s.weights,
                                  *(_cell(v) for v in (s.mean, s.std, s.min, s.max, s.update_ratio,
                                                       s.grad_norm, s.dead, s.saturated)),
                                  " ".join(map(str, s.histogram)), " ".join(flags.get(s.name, []))])
        except OSError:
            self.failed = True  # a full disk ends the run through Keras's own writers, not here


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
