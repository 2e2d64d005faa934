"""nnbench's own Keras callbacks. Importing this module imports Keras: only the Trainer does,
after TensorFlow has loaded.

``EventAdapter`` is a thin adapter (as keras/src/callbacks/progbar_logger.py is): it turns what
Keras's own callbacks did into plain events and reads the stop / stop-after-epoch / pause wishes of
the caller — in this process (threading.Event) or another one (the run folder's control file).
A learning rate or patience a person steers to (core/control.py) is applied before the next
batch, and is an event of its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import keras

from nnbench.core import clock
from nnbench.core.control import ControlFile, Steer, StopNow, TrainControls
from nnbench.core.events import (
    BatchProgress,
    CheckpointSaved,
    ControlRequested,
    EarlyStopped,
    EarlyStoppingState,
    EpochEnded,
    EpochStarted,
    Event,
    LearningRateChanged,
    NonFiniteLoss,
    Notice,
    PatienceChanged,
    Paused,
)

BATCH_EVENT_INTERVAL = 0.1
"""Seconds between batch progress events: at most ~10 a second, whatever the batch rate."""


def to_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def finite_or_none(value: Any) -> float | None:
    number = to_float(value)
    return number if number is not None and math.isfinite(number) else None


def floats(logs: dict[str, Any] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in (logs or {}).items():
        number = to_float(value)
        if number is not None:
            out[key] = number
    return out


class TerminateOnNonFinite(keras.callbacks.TerminateOnNaN):
    """Keras's TerminateOnNaN, also telling the listeners which batch went non-finite."""

    def __init__(self, on_non_finite: Callable[[NonFiniteLoss], None]) -> None:
        super().__init__()
        self.on_non_finite = on_non_finite
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        # Overrides the train hook itself (not the on_batch_end alias) and checks once with
        # math.isfinite; Keras's own check (np.isnan/np.isinf, message, stop) runs only then.
        loss = to_float(logs.get("loss")) if logs else None
        if loss is not None and not math.isfinite(loss):
            self.on_non_finite(NonFiniteLoss(epoch=self.epoch, batch=batch + 1, value=loss))
            super().on_batch_end(batch, logs)


class EventAdapter(keras.callbacks.Callback):
    """Plain events out of fit(); the caller's controls in."""

    def __init__(self, emit: Callable[[Event], None], *, epochs: int, steps: int | None,
                 batch_size: int, controls: TrainControls, control_file: ControlFile | None,
                 early_stopping: Any = None, checkpoint: Any = None,
                 on_epoch_done: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self.emit = emit
        self.epochs = epochs
        self.steps = steps
        self.batch_size = batch_size
        self.controls = controls
        self.control_file = control_file
        self.es = early_stopping
        self.ckpt = checkpoint
        self.on_epoch_done = on_epoch_done
        self.epoch = 0
        self.batches_done = 0
        """Batches of the epoch in flight finished (where a steered change takes effect)."""
        self.epoch_start = 0.0
        self.paused_time = 0.0
        self.last_emit = 0.0
        self.last_batch = 0.0
        self.step_seconds = math.inf
        """A batch's time in the steady state (not an epoch's first batch, which also waits for
        the epoch's data iterator); inf until known."""
        self.lr: float | None = None
        self.lr_before: float | None = None
        self.ckpt_best_before: float | None = None
        self.told_stop = False
        self.told_stop_after_epoch = False

    def _learning_rate(self) -> float | None:
        try:
            # float() on the variable: ~50 us; keras.ops.convert_to_numpy took ~300-400 us.
            return float(self.model.optimizer.learning_rate)
        except Exception:
            return None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.lr = self._learning_rate()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch = epoch + 1
        self.batches_done = 0
        self.epoch_start = self.last_batch = clock.monotonic()
        self.paused_time = 0.0
        # last_emit is not reset: the throttle spans epochs. The learning rate is the one read
        # at the end of the last epoch (nothing changes it between two epochs).
        self.lr_before = self.lr
        self.ckpt_best_before = getattr(self.ckpt, "best", None)
        self.emit(EpochStarted(self.epoch, self.epochs))

    def _poll(self) -> None:
        controls = self.controls
        if self.control_file is not None:
            self.control_file.poll(controls)
        if controls.stop.is_set() and not self.told_stop:
            self.told_stop = True
            action = "signal" if controls.reason.startswith("signal") else "stop"
            self.emit(ControlRequested(action, controls.reason))
        if controls.stop_after_epoch.is_set() and not self.told_stop_after_epoch:
            self.told_stop_after_epoch = True
            self.emit(ControlRequested("stop_after_epoch"))
        while not controls.steering.empty():
            self._steer(controls.steering.get_nowait())

    def _steer(self, wish: Steer) -> None:
        """Apply a steered learning rate / patience now, between two batches, and say so."""
        epoch, batch, steps = max(self.epoch, 1), self.batches_done, self.steps
        if wish.learning_rate is not None:
            old = self._learning_rate()
            try:
                self.model.optimizer.learning_rate = wish.learning_rate
            except (TypeError, ValueError, AttributeError) as exc:
                self.emit(Notice(f"learning rate not changed: {exc}", refused_steer=True))
            else:
                new = self._learning_rate()
                if old is not None and new is not None and not math.isclose(old, new):
                    # The epoch's end compares against this: a steered change is told once.
                    self.lr = self.lr_before = new
                    self.emit(LearningRateChanged(epoch, old, new, steered=True, batch=batch,
                                                  steps=steps))
        if wish.patience is not None:
            es = self.es
            if es is None:
                self.emit(Notice("patience not changed: this run has no EarlyStopping callback",
                                 refused_steer=True))
            elif int(es.patience) != wish.patience:
                old_patience, es.patience = int(es.patience), wish.patience
                self.emit(PatienceChanged(epoch, old_patience, wish.patience, batch=batch,
                                          steps=steps))

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.batches_done = batch
        self._poll()
        controls = self.controls
        if controls.pause.is_set() and not controls.stop.is_set():
            self.emit(Paused(True))
            began = clock.monotonic()
            while controls.pause.is_set() and not controls.stop.is_set():
                controls.stop.wait(0.05)
                self._poll()
            self.paused_time += clock.monotonic() - began
            self.emit(Paused(False))
        if controls.stop.is_set():
            raise StopNow

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        now = clock.monotonic()
        done = self.batches_done = batch + 1
        steps = self.steps
        if done > 1:
            self.step_seconds = now - self.last_batch
        self.last_batch = now
        if done != steps and (
            now - self.last_emit < BATCH_EVENT_INTERVAL
            # the epoch's last batch, always reported, is due within the interval anyway
            or (steps is not None and (steps - done) * self.step_seconds < BATCH_EVENT_INTERVAL)
        ):
            return  # throttled: no float conversion, no event
        self.last_emit = now
        elapsed = max(now - self.epoch_start - self.paused_time, 1e-9)
        rate = done / elapsed
        eta = (steps - done) / rate if steps else None
        self.emit(BatchProgress(self.epoch, self.epochs, done, steps, floats(logs),
                                rate * self.batch_size, eta))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        values = floats(logs)
        if self.on_epoch_done is not None:
            self.on_epoch_done(self.epoch)
        lr = self.lr = self._learning_rate()
        if lr is not None and self.lr_before is not None and not math.isclose(lr, self.lr_before):
            self.emit(LearningRateChanged(self.epoch, self.lr_before, lr))
        ckpt = self.ckpt
        if ckpt is not None and ckpt.best is not None and ckpt.best != self.ckpt_best_before:
            self.emit(CheckpointSaved(self.epoch, str(ckpt.filepath), ckpt.monitor,
                                      to_float(ckpt.best)))
        state = None
        es = self.es
        if es is not None:
            best_epoch = getattr(es, "best_epoch", None)
            state = EarlyStoppingState(
                monitor=es.monitor, wait=int(es.wait), patience=int(es.patience),
                best=finite_or_none(es.best),
                best_epoch=best_epoch + 1 if best_epoch is not None and
                finite_or_none(es.best) is not None else None,
            )
        self.emit(EpochEnded(self.epoch, self.epochs, values, lr,
                             clock.monotonic() - self.epoch_start - self.paused_time, state))
        self._poll()
        if self.controls.stop_after_epoch.is_set():
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        es = self.es
        if es is not None and es.stopped_epoch > 0:
            best_epoch = getattr(es, "best_epoch", None)
            self.emit(EarlyStopped(
                monitor=es.monitor, stopped_epoch=es.stopped_epoch + 1,
                best_epoch=best_epoch + 1 if best_epoch is not None else None,
                best_value=finite_or_none(es.best),
                restored_weights=bool(es.restore_best_weights and es.best_weights is not None),
            ))
