"""Which way is better, and when a value counts as an improvement: the one home of that rule.

Keras's EarlyStopping decides it like this (keras/src/callbacks/early_stopping.py): ``mode="min"`` or
``"max"`` as given; ``"auto"`` minimises the loss and asks each compiled metric for its
``_direction``. An improvement is strict and must beat the best by ``min_delta``; the first finite
value is always one. summary.json, the Train view, the Runs view and the CLI all use this module,
so they can't disagree about a run's best epoch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Mode = Literal["min", "max"]

METRIC_DIRECTIONS: dict[str, Mode] = {
    "loss": "min",
    "accuracy": "max",
    "acc": "max",
    "precision": "max",
    "recall": "max",
    "auc": "max",
    "f1": "max",
    "r2": "max",
    "mae": "min",
    "mse": "min",
    "rmse": "min",
    "mase": "min",
    "learning_rate": "min",
}
"""The direction of every quantity nnbench compiles, as the Keras metric objects report it
(``metric._direction``; tests/test_monitor.py checks this table against Keras)."""


def monitor_mode(monitor: str, mode: str = "auto") -> Mode:
    """'min' or 'max' for ``monitor`` (``val_`` prefix ignored), honouring an explicit ``mode``."""
    if mode in ("min", "max"):
        return mode  # type: ignore[return-value]
    return METRIC_DIRECTIONS.get(monitor.removeprefix("val_").lower(), "min")


@dataclass(frozen=True)
class Monitor:
    """A watched quantity with EarlyStopping's parameters."""

    name: str
    mode: str = "auto"
    min_delta: float = 0.0

    @property
    def direction(self) -> Mode:
        return monitor_mode(self.name, self.mode)

    def improved(self, value: float | None, best: float | None) -> bool:
        """EarlyStopping's ``_is_improvement``: strictly better than ``best`` by ``min_delta``."""
        if value is None or not math.isfinite(value):
            return False
        if best is None:
            return True
        delta = abs(self.min_delta)
        if self.direction == "min":
            return value + delta < best
        return value - delta > best

    def best_of(self, points: Iterable[tuple[int, float]]) -> tuple[int, float] | None:
        """(epoch, value) of the best point, the earliest on ties, as EarlyStopping keeps it."""
        best: tuple[int, float] | None = None
        for epoch, value in points:
            if self.improved(value, None if best is None else best[1]):
                best = (epoch, value)
        return best

    @classmethod
    def from_callbacks(cls, callbacks: Mapping[str, Mapping[str, Any]], has_validation: bool
                       ) -> Monitor:
        """The quantity a run watches: EarlyStopping's, else ModelCheckpoint's or ReduceLROnPlateau's,
        else val_loss (loss without validation data), with their mode and min_delta."""
        for name in ("EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau"):
            params = callbacks.get(name)
            if params is not None:
                return cls(str(params.get("monitor", "val_loss")), str(params.get("mode", "auto")),
                           float(params.get("min_delta", 0.0) or 0.0))
        return cls("val_loss" if has_validation else "loss")
