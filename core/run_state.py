"""The run model: one reducer over a run's event stream, read by every view.

Fed live (the events a Trainer emits) or replayed from events.jsonl and then followed
(core/follow.py), ``RunState`` holds everything a view draws: series per quantity, the best epoch
by EarlyStopping's own rule (core/monitor.py), early-stop and restored epochs, batch progress,
patience, the event log, test results and the status. The Train view, the Runs view, summary.json
and ``nnbench runs`` / ``attach`` all read it, so they can't disagree.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import assert_never

from nnbench.core import events as ev
from nnbench.core.describe import Line, describe
from nnbench.core.format import NOT_A_METRIC
from nnbench.core.monitor import Monitor
from nnbench.core.system_load import load_points

MAX_LOG_LINES = 5000


@dataclass
class RunState:
    run_id: str | None = None
    run_dir: str | None = None
    preset_name: str = ""
    status: str = "idle"
    """idle (nothing yet), starting, running, paused, stopping, finished, stopped, failed,
    interrupted."""
    epochs: int = 0
    epoch: int = 0
    """The last finished epoch."""
    epoch_in_flight: int = 0
    steps: int | None = None
    monitor: Monitor | None = None
    preferred_metrics: tuple[str, ...] = ()
    series: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    """Quantity -> [(epoch, value)] in epoch order: loss, val_loss, accuracy, learning_rate, ..."""
    epoch_logs: dict[int, dict[str, float]] = field(default_factory=dict)
    best: tuple[int, float] | None = None
    early_stopped: ev.EarlyStopped | None = None
    restored_epoch: int | None = None
    """The epoch whose weights EarlyStopping restored: the model the test set saw."""
    batch: ev.BatchProgress | None = None
    patience: ev.EarlyStoppingState | None = None
    log: list[Line] = field(default_factory=list)
    test_metrics: dict[str, float] = field(default_factory=dict)
    evaluated: bool = False
    finished: ev.RunFinished | None = None
    started: ev.RunStarted | None = None
    events_seen: int = 0
    stop_requested: str | None = None
    """'stop' or 'stop_after_epoch' once asked; the header says "stopping"."""
    steering: list[ev.LearningRateChanged | ev.PatienceChanged] = field(default_factory=list)
    """What a person changed while the run trained (``nnbench steer``, the app): marked on the
    curves, redone by the exported script."""
    system: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    """The machine's load per epoch (SystemLoad, core/system_load.py ``load_points``): process_cpu,
    process_rss, host_cpu, host_ram, gpu0_util, gpu0_memory, ... -> [(epoch, value)]."""
    system_load: ev.SystemLoad | None = None
    """The latest SystemLoad: current values, GPU names, totals."""
    health: dict[int, ev.LayerHealth] = field(default_factory=dict)
    """Epoch -> every layer's health after it (core/layer_health.py): the Inside view's rows."""
    confusion: dict[int, ev.ConfusionMatrixUpdated] = field(default_factory=dict)
    """Epoch -> the validation sample's confusion matrix after it (classification runs)."""

    # --- the reducer --------------------------------------------------------------------------

    def apply(self, event: ev.Event) -> None:
        """Fold one event into the state."""
        self.events_seen += 1
        if not isinstance(event, (ev.BatchProgress, ev.EpochStarted)):
            self._log(event)
        match event:
            case ev.RunStarted():
                self._run_started(event)
            case ev.EpochStarted():
                self.epoch_in_flight, self.epochs = event.epoch, event.epochs
                self.batch = None
            case ev.BatchProgress():
                self._batch_progress(event)
            case ev.EpochEnded():
                self._epoch_ended(event)
            case ev.EarlyStopped():
                self._early_stopped(event)
            case ev.Paused():
                if self.status in ("running", "paused"):
                    self.status = "paused" if event.paused else "running"
            case ev.ControlRequested():
                self._control_requested(event)
            case ev.Evaluated():
                self.evaluated = True
                self.test_metrics = dict(event.metrics)
            case ev.RunFinished():
                self._run_finished(event)
            case ev.LearningRateChanged():
                if event.steered:
                    self.steering.append(event)
            case ev.PatienceChanged():
                self._patience_changed(event)
            case ev.SystemLoad():
                self._system_load(event)
            case ev.LayerHealth():
                self.health[event.epoch] = event  # a resumed run's repeated epoch replaces it
            case ev.ConfusionMatrixUpdated():
                self.confusion[event.epoch] = event
            case ev.Notice() | ev.CheckpointSaved() | ev.NonFiniteLoss():
                pass  # their log lines (above) are all a view shows of them
            case _:
                # mypy flags an Event type with no case here: a new event is never silently dropped.
                assert_never(event)

    def _log(self, event: ev.Event) -> None:
        self.log.extend(describe(event))
        if len(self.log) > MAX_LOG_LINES:
            del self.log[: len(self.log) - MAX_LOG_LINES]

    def _run_started(self, event: ev.RunStarted) -> None:
        self.started = event
        self.run_id, self.run_dir = event.run_id, event.run_dir
        self.preset_name, self.epochs = event.preset_name, event.epochs
        self.steps = event.steps_per_epoch
        self.monitor = Monitor(event.monitor or "val_loss", event.monitor_mode,
                               event.min_delta) if event.monitor else None
        if event.initial_epoch:  # a resumed run: the process before it ended
            self.finished = None
            self.evaluated = False
            self.stop_requested = None
        self.status = "running"

    def _batch_progress(self, event: ev.BatchProgress) -> None:
        self.batch = event
        if event.steps:
            self.steps = event.steps
        if self.status == "paused":
            self.status = "running"

    def _early_stopped(self, event: ev.EarlyStopped) -> None:
        self.early_stopped = event
        if event.restored_weights and event.best_epoch in self.epoch_logs:
            self.restored_epoch = event.best_epoch
        if event.best_epoch is not None and event.best_value is not None:
            self.best = (event.best_epoch, event.best_value)

    def _control_requested(self, event: ev.ControlRequested) -> None:
        if event.action in ("stop", "stop_after_epoch", "signal"):
            self.stop_requested = event.action
            if self.status in ("running", "paused", "starting"):
                self.status = "stopping"

    def _run_finished(self, event: ev.RunFinished) -> None:
        self.finished = event
        self.status = event.status
        self.epoch = max(self.epoch, event.epochs_done)
        self.batch = None
        if event.run_dir:
            self.run_dir = event.run_dir

    def _patience_changed(self, event: ev.PatienceChanged) -> None:
        self.steering.append(event)
        if self.patience is not None:  # the status line shows the new patience now
            self.patience = dataclasses.replace(self.patience, patience=event.new)

    def _epoch_ended(self, event: ev.EpochEnded) -> None:
        if event.epoch in self.epoch_logs:
            # A resumed run repeats the epoch it was in when it died: keep the later values.
            for values in self.series.values():
                values[:] = [p for p in values if p[0] < event.epoch]
        self.epoch, self.epochs = event.epoch, event.epochs
        self.epoch_logs[event.epoch] = dict(event.logs)
        for key, value in event.logs.items():
            if key in ("learning_rate", "lr"):
                continue
            self.series.setdefault(key, []).append((event.epoch, value))
        if event.learning_rate is not None:
            self.series.setdefault("learning_rate", []).append((event.epoch, event.learning_rate))
        if event.early_stopping is not None:
            self.patience = event.early_stopping
        if self.monitor is None:
            self.monitor = Monitor("val_loss" if "val_loss" in event.logs else "loss")
        self.best = self._best()
        if self.status in ("idle", "starting"):
            self.status = "running"

    def _system_load(self, event: ev.SystemLoad) -> None:
        # An epoch's live updates, and a resumed run's repeated epoch, replace its earlier point.
        self.system_load = event
        for key, value in load_points(event).items():
            points = self.system.setdefault(key, [])
            while points and points[-1][0] >= event.epoch:
                points.pop()
            points.append((event.epoch, value))

    def _best(self) -> tuple[int, float] | None:
        """EarlyStopping's own word when it watches the monitor, else the same rule applied here."""
        state, monitor = self.patience, self.monitor
        if monitor is None:
            return None
        if state is not None and state.monitor == monitor.name and state.best_epoch is not None \
                and state.best is not None:
            return state.best_epoch, state.best
        return monitor.best_of(self.series.get(monitor.name, []))

    # --- what views ask -----------------------------------------------------------------------

    @property
    def metric(self) -> str | None:
        """The metric a second chart shows: the first compiled metric logged, else the first
        training quantity that is neither the loss nor the learning rate."""
        logged = [k for k in self.series if not k.startswith("val_")]
        for name in self.preferred_metrics:
            if name in self.series:
                return name
        for key in logged:
            if key not in NOT_A_METRIC:
                return key
        return None

    @property
    def last_logs(self) -> dict[str, float]:
        return self.epoch_logs.get(self.epoch, {})

    @property
    def is_live(self) -> bool:
        return self.finished is None and self.status not in ("idle", "interrupted")

    def values(self, key: str) -> list[float]:
        return [v for _, v in self.series.get(key, [])]

    def final_value(self, key: str) -> float | None:
        points = self.series.get(key)
        if not points or not math.isfinite(points[-1][1]):
            return None
        return points[-1][1]


def replay(events: Iterable[ev.Event], state: RunState | None = None) -> RunState:
    """A RunState with ``events`` folded in (into ``state`` when given)."""
    state = state or RunState()
    for event in events:
        state.apply(event)
    return state
