"""What a person steered during a run (core/control.py), redone by its exported script as a
schedule: the learning rate and EarlyStopping's patience set at the same epoch and batch.

A run steered at "epoch 3 after batch 12" set its new learning rate between batches 12 and 13 of
epoch 3; the script's ``Steering`` callback sets it there too (a Keras ``LearningRateScheduler``
could only change it at an epoch's start). With the run's seed, the script's history follows the
run's through the change.
"""

from __future__ import annotations

from collections.abc import Iterable

from nnbench.core.events import Event, LearningRateChanged, PatienceChanged
from nnbench.core.export.facts import Script
from nnbench.core.export.literals import literal

SteerChange = tuple[int, int, str, float]
"""(epoch from 1, batches of that epoch done before it, "learning_rate" | "patience", value)."""


def _as_set(value: float) -> float:
    """The optimizer's float32 rate as the number a person typed: 0.0123, not 0.012299999594."""
    import numpy as np

    return float(str(np.float32(value)))


def steering_of(events: Iterable[Event]) -> list[SteerChange]:
    """The steered changes in a run's events, in the order they took effect."""
    out: list[SteerChange] = []
    for event in events:
        if isinstance(event, LearningRateChanged) and event.steered:
            out.append((event.epoch, event.batch or 0, "learning_rate", _as_set(event.new)))
        elif isinstance(event, PatienceChanged):
            out.append((event.epoch, event.batch or 0, "patience", int(event.new)))
    return out


_STEERING_CLASS = [
    "class Steering(keras.callbacks.Callback):",
    '    """Sets the learning rate and EarlyStopping\'s patience where they were changed while',
    '    nnbench trained the run (STEERING: epoch from 1, batches done in it, what, value)."""',
    "",
    "    def __init__(self, changes, callbacks):",
    "        super().__init__()",
    "        self.changes = sorted(changes, key=lambda change: change[:2])",
    "        self.early_stopping = next((c for c in callbacks",
    "                                    if isinstance(c, keras.callbacks.EarlyStopping)), None)",
    "        self.epoch = 0",
    "",
    "    def on_epoch_begin(self, epoch, logs=None):",
    "        self.epoch = epoch + 1",
    "",
    "    def on_train_batch_begin(self, batch, logs=None):",
    "        while self.changes and self.changes[0][:2] <= (self.epoch, batch):",
    "            _, _, what, value = self.changes.pop(0)",
    '            if what == "learning_rate":',
    "                self.model.optimizer.learning_rate = value",
    "            elif self.early_stopping is not None:",
    "                self.early_stopping.patience = int(value)",
    "",
    "",
    "def with_steering(callbacks):",
    "    return [*callbacks, Steering(STEERING, callbacks)]",
]


def steering_lines(script: Script) -> list[str]:
    """The STEERING table and the ``Steering`` callback, as a helper of the script."""
    rows = [f"    {literal(change)}," for change in script_steering(script)]
    return ["# Steered while nnbench trained the run: (epoch, batches done in it, what, value)",
            "STEERING = [", *rows, "]", "", "", *_STEERING_CLASS]


def script_steering(script: Script) -> list[SteerChange]:
    return script.steering


def callbacks_brackets(script: Script) -> tuple[str, str]:
    """How ``model.fit``'s callbacks list opens and closes: wrapped by ``with_steering`` when the
    run was steered (the callback needs the list to find EarlyStopping)."""
    if not script_steering(script):
        return "[", "],"
    script.helper(steering_lines(script))
    return "with_steering([", "]),"
