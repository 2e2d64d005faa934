"""The Train view: run a preset in a thread worker and watch it live.

    ● running  20250101-120000-digits-mlp · digits-mlp · epoch 3/30
    ╭ loss ━ loss 0.31 ━ val_loss 0.33 ─╮╭ accuracy ━ accuracy 0.91 ━ val_accuracy 0.90 ╮
    │ (curves, best epoch and early stop marked)                                          │
    Epoch 3/30  ━━━━━━━━━━╸─────  45/57 batches  1,234 samples/s  ETA 2s
    batch  loss 0.3121  accuracy 0.9012
    EarlyStopping: patience 1/3, best val_loss 0.3310 at epoch 2
    ╭ Events ─────────────────────────────────────────╮╭ Test results ╮

The trainer runs in a thread; its only way back is ``post_message(TrainingEvent(event))`` (thread-safe,
never blocks). Widgets change only in message handlers, on the UI thread.
"""

from __future__ import annotations

import math
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from nnbench.core import events as ev
from nnbench.core.format import best_epoch, first_metric, monitor_mode
from nnbench.tui.messages import TrainingEvent, TrainingStateChanged
from nnbench.tui.widgets.curve_chart import (
    BEST_COLOR,
    STOP_COLOR,
    TRAIN_COLOR,
    VAL_COLOR,
    CurveChart,
)
from nnbench.tui.widgets.early_stopping_status import EarlyStoppingStatus
from nnbench.tui.widgets.epoch_progress import EpochProgress
from nnbench.tui.widgets.event_log import EventLog
from nnbench.tui.widgets.results_table import ResultsTable

if TYPE_CHECKING:
    from nnbench.core.preset import Preset
    from nnbench.core.training import TrainControls

NARROW_WIDTH = 72
"""Below this many columns the two charts stack instead of standing side by side."""

_STATUS_LABEL = {
    "idle": "○ idle", "starting": "◌ starting", "running": "● running", "paused": "‖ paused",
    "stopping": "◌ stopping", "finished": "✔ finished", "stopped": "■ stopped", "failed": "✘ failed",
    "interrupted": "✘ interrupted",
}


def show_error(widget: Widget, title: str, message: str) -> None:
    """A readable error in a modal (the app's ErrorModal), or a notification if it is not there."""
    try:
        from nnbench.tui.screens.error_modal import ErrorModal
    except ImportError:
        widget.notify(message, title=title, severity="error", timeout=15)
    else:
        widget.app.push_screen(ErrorModal(title, message))


class TrainPane(Widget):
    """Charts, epoch progress, early-stopping state, event log and test results of one run."""

    DEFAULT_CSS = """
    TrainPane {
        layout: vertical;
        height: 1fr;
        width: 1fr;
    }
    TrainPane #train-header {
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $boost;
    }
    TrainPane.-running #train-header { color: $accent; }
    TrainPane.-paused #train-header { color: $warning; }
    TrainPane.-finished #train-header { color: $success; }
    TrainPane.-stopped #train-header { color: $warning; }
    TrainPane.-failed #train-header { color: $error; }
    TrainPane #charts {
        height: 3fr;
        min-height: 7;
    }
    TrainPane.-narrow #charts {
        layout: vertical;
    }
    TrainPane #train-status {
        height: 3;
        padding: 0 1;
    }
    TrainPane #train-bottom {
        height: 2fr;
        /* 5 lines of events at 80x24: the log is the run's story, the charts can be shorter */
        min-height: 7;
    }
    TrainPane ResultsTable, TrainPane #results-note {
        display: none;
    }
    TrainPane.-has-results ResultsTable {
        display: block;
    }
    TrainPane #results-note {
        width: 1fr;
        max-width: 44;
        height: auto;
        max-height: 100%;
        border: round $warning;
        border-title-align: left;
        padding: 0 1;
        color: $text-muted;
    }
    TrainPane.-not-evaluated #results-note {
        display: block;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.controls: TrainControls | None = None
        self._training = False
        self._worker: Worker | None = None
        self._reset_run_state()

    def _reset_run_state(self, preset_name: str = "", metrics: tuple[str, ...] = ()) -> None:
        self.status = "idle"
        self.run_id: str | None = None
        self.run_dir: str | None = None
        self.preset_name = preset_name
        self.preferred_metrics = metrics
        self.epochs = 0
        self.epoch = 0
        self.steps: int | None = None
        self.monitor: str | None = None
        self.metric: str | None = None
        self.history: dict[str, list[float]] = {}
        self.epoch_numbers: list[int] = []
        self.epoch_logs: dict[int, dict[str, float]] = {}
        self.last_logs: dict[str, float] = {}
        self.restored_epoch: int | None = None
        """The epoch whose weights EarlyStopping restored: the model the test set sees."""
        self.evaluated = False
        self.finished: ev.RunFinished | None = None

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="train-header", markup=False)
        with Horizontal(id="charts"):
            yield CurveChart("loss", id="loss-chart", empty_text="no epochs yet")
            yield CurveChart("metric", id="metric-chart", empty_text="no epochs yet")
        with Widget(id="train-status"):
            yield EpochProgress(id="epoch-progress")
            yield EarlyStoppingStatus(id="early-stopping")
        with Horizontal(id="train-bottom"):
            yield EventLog(id="event-log")
            yield ResultsTable(id="results")
            yield Static(id="results-note", markup=False)

    def on_mount(self) -> None:
        self.query_one("#results-note", Static).border_title = "Test results"
        self._update_header()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "-narrow")

    @property
    def loss_chart(self) -> CurveChart:
        return self.query_one("#loss-chart", CurveChart)

    @property
    def metric_chart(self) -> CurveChart:
        return self.query_one("#metric-chart", CurveChart)

    @property
    def event_log(self) -> EventLog:
        return self.query_one(EventLog)

    @property
    def results_table(self) -> ResultsTable:
        return self.query_one(ResultsTable)

    @property
    def early_stopping(self) -> EarlyStoppingStatus:
        return self.query_one(EarlyStoppingStatus)

    @property
    def progress(self) -> EpochProgress:
        return self.query_one(EpochProgress)

    # --- commands (the app's bindings call these) ---------------------------------------------

    @property
    def is_training(self) -> bool:
        """True from ``start`` until the training thread has really ended."""
        return self._training

    def start(self, preset: Preset, runs_dir: Path | str | None) -> None:
        """Train ``preset`` in a thread worker, recording the run under ``runs_dir``."""
        if self._training:
            self.notify("A run is already training; stop it first (x).", severity="warning")
            return
        try:
            from nnbench.core.training import TrainControls
        except ImportError as error:  # the engine is missing: say so instead of a traceback
            show_error(self, "Training unavailable", f"nnbench.core.training cannot be imported: {error}")
            return
        self.controls = TrainControls()
        self._begin(preset)
        self._training = True
        self.post_message(TrainingStateChanged(running=True))
        self._worker = self._train(preset, Path(runs_dir) if runs_dir is not None else None,
                                   self.controls)

    def stop_now(self) -> None:
        """Stop at the next batch; the run is saved as stopped."""
        if not (self._training and self.controls):
            return
        self.controls.stop.set()
        self.controls.pause.clear()  # a paused trainer must wake up to see the stop
        self._set_status("stopping")
        self.event_log.add("stopped", "stop requested: stopping at the next batch")

    def stop_after_epoch(self) -> None:
        """Let the epoch in flight finish, then stop."""
        if not (self._training and self.controls):
            return
        self.controls.stop_after_epoch.set()
        self.controls.pause.clear()  # a paused run would otherwise never reach the epoch's end
        self._set_status("stopping")
        epoch = f" {self.epoch}" if self.epoch else ""
        self.event_log.add("stopped", f"stop requested: stopping after epoch{epoch}")

    def toggle_pause(self) -> None:
        """Pause between batches, or resume."""
        if not (self._training and self.controls) or self.controls.stop.is_set():
            return
        if self.controls.pause.is_set():
            self.controls.pause.clear()
        else:
            self.controls.pause.set()
            self.progress.set_paused(True)

    def on_unmount(self) -> None:
        # Leaving (quitting) while training: ask the thread to stop so it does not outlive the app.
        if self._training and self.controls:
            self.controls.stop.set()
            self.controls.pause.clear()

    # --- the thread ---------------------------------------------------------------------------

    def _forward(self, event: Any) -> None:
        """The trainer's listener, called on the training thread: post, never touch widgets."""
        self.post_message(TrainingEvent(event))

    @work(thread=True, exclusive=True, exit_on_error=False, group="training",
          description="Training")
    def _train(self, preset: Preset, runs_dir: Path | None, controls: TrainControls
               ) -> ev.RunFinished | None:
        status, run_dir = "failed", None
        try:
            from nnbench.core.training import Trainer

            trainer = Trainer(preset, runs_dir, listeners=[self._forward], controls=controls)
            final = trainer.run()
            status, run_dir = final.status, final.run_dir
            return final
        finally:
            # Posted when the thread is really done, so the app re-enables Ctrl+R only then.
            self.post_message(TrainingStateChanged(running=False, status=status, run_dir=run_dir))

    def on_training_state_changed(self, message: TrainingStateChanged) -> None:
        if not message.running:
            self._training = False
            if message.run_dir:
                self.run_dir = message.run_dir

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "training" or event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        text = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
        if self.finished is None:
            self._set_status("failed")
            self.progress.finish("failed")
        self.event_log.add("error", f"training crashed: {text}")
        show_error(self, "Training crashed", f"{text}\n\nFinished epochs are kept in the run folder.")

    # --- events -------------------------------------------------------------------------------

    def _begin(self, preset: Preset) -> None:
        """Clear the view for a new run."""
        self._reset_run_state(preset.name, tuple(preset.compile.metrics))
        self.remove_class("-has-results", "-not-evaluated")
        with self.app.batch_update():
            self.loss_chart.clear(title="loss")
            self.metric_chart.clear(title=(preset.compile.metrics or ["metric"])[0])
            self.loss_chart.replot()
            self.metric_chart.replot()
            self.results_table.show_results({})
            self.event_log.clear()
            self.event_log.add("start", f"starting {preset.name}: loading data and building the model")
            self.progress.reset("loading data and Keras")
            self.early_stopping.reset("EarlyStopping" in preset.callbacks)
            self._set_status("starting")

    def on_training_event(self, message: TrainingEvent) -> None:
        event = message.event
        if not isinstance(event, (ev.BatchProgress, ev.EpochStarted)):
            self.event_log.add_event(event)
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is not None:
            handler(event)

    def _on_RunStarted(self, event: ev.RunStarted) -> None:  # noqa: N802 (named after the event)
        self.run_id, self.run_dir = event.run_id, event.run_dir
        self.preset_name = event.preset_name
        self.epochs, self.steps, self.monitor = event.epochs, event.steps_per_epoch, event.monitor
        self.progress.reset("")
        self._set_status("running")

    def _on_EpochStarted(self, event: ev.EpochStarted) -> None:  # noqa: N802
        self.epoch, self.epochs = event.epoch, event.epochs
        self.progress.epoch_started(event, self.steps)
        self._update_header()

    def _on_BatchProgress(self, event: ev.BatchProgress) -> None:  # noqa: N802
        if event.steps:
            self.steps = event.steps
        if self.status == "paused":
            self._set_status("running")
            self.progress.set_paused(False)
        self.progress.batch(event)

    def _on_EpochEnded(self, event: ev.EpochEnded) -> None:  # noqa: N802
        self.epoch, self.epochs = event.epoch, event.epochs
        self.last_logs = dict(event.logs)
        self.epoch_logs[event.epoch] = dict(event.logs)
        self.epoch_numbers.append(event.epoch)
        for key, value in event.logs.items():
            self.history.setdefault(key, []).append(value)
        if event.learning_rate is not None:
            self.history.setdefault("learning_rate", []).append(event.learning_rate)
        if self.monitor is None:
            self.monitor = "val_loss" if "val_loss" in event.logs else "loss"
        if self.metric is None:
            self.metric = first_metric(event.logs, self.preferred_metrics)
        with self.app.batch_update():
            self._plot_epoch(event)
            self.progress.epoch_ended(event, self.steps)
            if event.early_stopping is not None:
                self.early_stopping.show_state(event.early_stopping)
            self._update_header()

    def _plot_epoch(self, event: ev.EpochEnded) -> None:
        loss_chart, metric_chart = self.loss_chart, self.metric_chart
        logs = event.logs
        loss_chart.append("loss", event.epoch, logs.get("loss", math.nan), TRAIN_COLOR)
        if "val_loss" in logs:
            loss_chart.append("val_loss", event.epoch, logs["val_loss"], VAL_COLOR)
        if self.metric is not None:
            metric_chart.title = self.metric
            metric_chart.append(self.metric, event.epoch, logs.get(self.metric, math.nan), TRAIN_COLOR)
            if f"val_{self.metric}" in logs:
                metric_chart.append(f"val_{self.metric}", event.epoch, logs[f"val_{self.metric}"],
                                    VAL_COLOR)
        elif event.learning_rate is not None:  # no metric compiled: the learning rate is worth a look
            metric_chart.title = "learning rate"
            metric_chart.append("learning_rate", event.epoch, event.learning_rate, TRAIN_COLOR)
        best = self._best(event)
        for chart in (loss_chart, metric_chart):
            chart.set_marker("best", best[0] if best else None,
                             f"best epoch {best[0]}" if best else "", BEST_COLOR)
            chart.replot()

    def _best(self, event: ev.EpochEnded) -> tuple[int, float] | None:
        """The best epoch of the monitored quantity: EarlyStopping's own word when it watches it."""
        state = event.early_stopping
        if state is not None and state.monitor == self.monitor and state.best_epoch is not None:
            return state.best_epoch, state.best if state.best is not None else math.nan
        if self.monitor not in self.history:
            return None
        return best_epoch(self.epoch_numbers, self.history[self.monitor], monitor_mode(self.monitor))

    def _on_EarlyStopped(self, event: ev.EarlyStopped) -> None:  # noqa: N802
        self.early_stopping.show_stopped(event)
        if event.restored_weights and event.best_epoch in self.epoch_logs:
            self.restored_epoch = event.best_epoch
        with self.app.batch_update():
            for chart in (self.loss_chart, self.metric_chart):
                chart.set_marker("stop", event.stopped_epoch, f"early stop {event.stopped_epoch}",
                                 STOP_COLOR)
                if event.best_epoch is not None:
                    chart.set_marker("best", event.best_epoch, f"best epoch {event.best_epoch}",
                                     BEST_COLOR)
                chart.replot()

    def _on_Paused(self, event: ev.Paused) -> None:  # noqa: N802
        self.progress.set_paused(event.paused)
        if self.status in ("running", "paused"):
            self._set_status("paused" if event.paused else "running")

    def _on_Evaluated(self, event: ev.Evaluated) -> None:  # noqa: N802
        self.evaluated = True
        if self.restored_epoch is not None:
            # The test set saw the restored weights: compare with that epoch's validation, not
            # the last one's.
            self.results_table.show_results(event.metrics, self.epoch_logs[self.restored_epoch],
                                             f"val (epoch {self.restored_epoch}, restored)")
        else:
            self.results_table.show_results(event.metrics, self.last_logs)
        self.add_class("-has-results")

    def _on_RunFinished(self, event: ev.RunFinished) -> None:  # noqa: N802
        self.finished = event
        if event.run_dir:
            self.run_dir = event.run_dir
        # The header names the last finished epoch, as "stopped after N epochs" does, not the
        # epoch that was in flight when the run ended.
        self.epoch = event.epochs_done
        self._set_status(event.status)
        epochs = f"{event.epochs_done} epoch{'s' if event.epochs_done != 1 else ''}"
        self.progress.finish(f"{event.status} after {epochs}")
        if event.status == "stopped" and not self.evaluated:
            self._show_not_evaluated(event)
        if event.status == "failed":
            show_error(self, event.error_title or "Training failed",
                       event.error or "Training failed without a message.")

    def _show_not_evaluated(self, event: ev.RunFinished) -> None:
        """A hard stop skips the test set: say so where the results would be, and where the model is."""
        text = "stopped before evaluation"
        if event.run_dir:
            model = str(PurePath(event.run_dir) / "model.keras")
            text += (f"; the model as of epoch {event.epochs_done} is saved in {model}"
                     if event.epochs_done else f"; the untrained model is saved in {model}")
        self.event_log.add("stopped", text)
        self.query_one("#results-note", Static).update(text)
        self.add_class("-not-evaluated")

    # --- header -------------------------------------------------------------------------------

    def _set_status(self, status: str) -> None:
        self.status = status
        for name in ("running", "paused", "finished", "stopped", "failed"):
            self.set_class(status == name or (name == "running" and status == "stopping"),
                           f"-{name}")
        self._update_header()

    def _update_header(self) -> None:
        header = self.query("#train-header")
        if not header:
            return
        text = Text(_STATUS_LABEL.get(self.status, self.status), style="bold")
        if self.status == "idle":
            text.append("  no run yet: Ctrl+R trains the working preset", style="")
        else:
            parts = [self.run_id] if self.run_id else []
            if self.preset_name and not (self.run_id or "").endswith(self.preset_name):
                parts.append(self.preset_name)  # the run id already ends with the preset's name
            if self.epoch:
                parts.append(f"epoch {self.epoch}/{self.epochs}")
            if self.monitor:
                parts.append(f"monitor {self.monitor}")
            text.append("  " + " · ".join(parts))
        header.first(Static).update(text)
