"""The Train view's widgets, and how a ``RunState`` is drawn on them.

``TrainView`` lays out the charts, epoch progress, early-stopping state, event log and test
results, and draws a run's state incrementally: only the log lines, epochs and results not on
screen yet. Which run it shows, and the controls that reach that run, are ``TrainPane``'s
(train_pane.py).
"""

from __future__ import annotations

from pathlib import PurePath

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Static

from nnbench.core import events as ev
from nnbench.core.advice import advise
from nnbench.core.i18n import _
from nnbench.core.run_state import RunState
from nnbench.core.text import printable
from nnbench.tui.run_status import status_label, status_word
from nnbench.tui.widgets.curve_chart import CurveChart
from nnbench.tui.widgets.early_stopping_status import EarlyStoppingStatus
from nnbench.tui.widgets.epoch_progress import EpochProgress
from nnbench.tui.widgets.event_log import EventLog
from nnbench.tui.widgets.results_table import ResultsTable
from nnbench.tui.widgets.run_charts import draw_run
from nnbench.tui.widgets.system_load import SystemLoadPanel

NARROW_WIDTH = 72
LOAD_PANEL_WIDTH = 100
"""Below this many columns the two charts stack instead of standing side by side."""



class TrainView(Widget):
    """Charts, epoch progress, early-stopping state, event log and test results of one run."""

    DEFAULT_CSS = """
    TrainView.-no-load-room #system-load { display: none; }
    TrainView {
        layout: vertical;
        height: 1fr;
        width: 1fr;
    }
    TrainView #train-header {
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $boost;
    }
    TrainView.-running #train-header { color: $accent; }
    TrainView.-paused #train-header { color: $warning; }
    TrainView.-finished #train-header { color: $success; }
    TrainView.-stopped #train-header { color: $warning; }
    TrainView.-failed #train-header { color: $error; }
    TrainView #charts {
        height: 3fr;
        min-height: 7;
    }
    TrainView.-narrow #charts {
        layout: vertical;
    }
    TrainView #train-status {
        height: 3;
        padding: 0 1;
    }
    TrainView #train-bottom {
        height: 2fr;
        /* 5 lines of events at 80x24: the log is the run's story, the charts can be shorter */
        min-height: 7;
    }
    TrainView ResultsTable, TrainView #results-note {
        display: none;
    }
    TrainView.-has-results ResultsTable {
        display: block;
    }
    TrainView #results-note {
        width: 1fr;
        max-width: 44;
        height: auto;
        max-height: 100%;
        border: round $warning;
        border-title-align: left;
        padding: 0 1;
        color: $text-muted;
    }
    TrainView.-not-evaluated #results-note {
        display: block;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.state = RunState()
        # What of ``state`` is on screen already: each draw adds only the rest.
        self._log_shown = 0
        self._epochs_drawn = -1
        self._results_shown = False
        self._ended_shown = False

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="train-header", markup=False)
        with Horizontal(id="charts"):
            yield CurveChart("loss", id="loss-chart", empty_text=_("no epochs yet"))
            yield CurveChart("metric", id="metric-chart", empty_text=_("no epochs yet"))
            yield SystemLoadPanel(id="system-load")
        with Widget(id="train-status"):
            yield EpochProgress(id="epoch-progress")
            yield EarlyStoppingStatus(id="early-stopping")
        with Horizontal(id="train-bottom"):
            yield EventLog(id="event-log")
            yield ResultsTable(id="results")
            yield Static(id="results-note", markup=False)

    def on_mount(self) -> None:
        self.query_one("#results-note", Static).border_title = _("Test results")
        self._update_header()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "-narrow")
        # Below this the load panel would cut the charts' legends: the curves come first.
        self.set_class(event.size.width < LOAD_PANEL_WIDTH, "-no-load-room")

    @property
    def system_load(self) -> SystemLoadPanel:
        return self.query_one(SystemLoadPanel)

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

    @property
    def status(self) -> str:
        return self.state.status

    # --- drawing ------------------------------------------------------------------------------

    def _show_new_run(self, state: RunState) -> None:
        """Show ``state`` from scratch: nothing of the run shown before stays on screen."""
        self.state = state
        self._log_shown = 0
        self._epochs_drawn = -1
        self._results_shown = self._ended_shown = False
        self.remove_class("-has-results", "-not-evaluated")
        with self.app.batch_update():
            self.event_log.clear()
            self.results_table.show_results({})
            draw_run(state, self.loss_chart, self.metric_chart)
            self.system_load.show_run(state)
            self._update_header()

    def _draw(self) -> ev.RunFinished | None:
        """Draw what of the state is not on screen yet; the run's end when this drew it."""
        state = self.state
        with self.app.batch_update():
            for line in state.log[self._log_shown:]:
                self.event_log.add(line.kind, line.text)
            self._log_shown = len(state.log)
            if state.epoch != self._epochs_drawn or state.early_stopped is not None:
                self._epochs_drawn = state.epoch
                draw_run(state, self.loss_chart, self.metric_chart)
            self.system_load.show_run(state)
            self._draw_progress()
            if state.early_stopped is not None:
                self.early_stopping.show_stopped(state.early_stopped)
            elif state.patience is not None:
                self.early_stopping.show_state(state.patience)
            if state.evaluated and not self._results_shown:
                self._show_results()
            self._show_status()
        if state.finished is not None and not self._ended_shown:
            self._draw_ended(state.finished)
            return state.finished
        return None

    def _draw_progress(self) -> None:
        state, progress = self.state, self.progress
        if state.finished is not None:
            return
        if state.status == "paused":
            progress.set_paused(True)
            return
        progress.set_paused(False)
        if state.batch is not None:
            progress.batch(state.batch)
        elif state.epoch_in_flight > state.epoch:
            progress.epoch_started(ev.EpochStarted(state.epoch_in_flight, state.epochs), state.steps)
        elif state.epoch:
            last = state.epoch_logs.get(state.epoch, {})
            progress.epoch_ended(ev.EpochEnded(state.epoch, state.epochs, last, None, 0.0),
                                 state.steps)

    def _show_results(self) -> None:
        state = self.state
        self._results_shown = True
        if state.restored_epoch is not None:
            # The test set saw the restored weights: compare with that epoch's validation, not
            # the last one's.
            self.results_table.show_results(state.test_metrics, state.epoch_logs[state.restored_epoch],
                                            _("val (epoch {epoch}, restored)").format(
                                                epoch=state.restored_epoch))
        else:
            self.results_table.show_results(state.test_metrics, state.last_logs)
        self.add_class("-has-results")

    def _draw_ended(self, event: ev.RunFinished) -> None:
        self._ended_shown = True
        # Two msgids, not ngettext: tests/test_i18n.py reads each extracted msgid on its own.
        epochs = (_("{n} epoch") if event.epochs_done == 1 else _("{n} epochs")).format(
            n=event.epochs_done)
        status = status_word(event.status)
        self.progress.finish(_("{status} after {epochs}").format(status=status, epochs=epochs),
                             event.epochs_done,
                             self.state.epochs or None)
        if event.status in ("stopped", "interrupted") and not self.state.evaluated:
            self._show_not_evaluated(event)
        for piece in advise(self.state):  # the run's history read in the tutorials' terms
            self.event_log.add("advice", printable(piece.text))

    def _show_not_evaluated(self, event: ev.RunFinished) -> None:
        """A hard stop skips the test set: say so where the results would be, and where the model is."""
        text = _("stopped before evaluation") if event.status == "stopped" else _("not evaluated")
        if event.run_dir and event.status == "stopped":
            model = printable(str(PurePath(event.run_dir) / "model.keras"))
            text += (_("; the model as of epoch {epoch} is saved in {path}").format(
                         epoch=event.epochs_done, path=model)
                     if event.epochs_done
                     else _("; the untrained model is saved in {path}").format(path=model))
        elif event.run_dir:
            text += _("; nnbench resume {run} goes on").format(
                run=printable(PurePath(event.run_dir).name))
        self.event_log.add("stopped", text)
        self.query_one("#results-note", Static).update(text)
        self.add_class("-not-evaluated")

    # --- header -------------------------------------------------------------------------------

    def _show_status(self) -> None:
        """The status in the header's words and in the ``-running``, ``-stopped``, ... classes."""
        self._set_status_classes()
        self._update_header()

    def _set_status_classes(self) -> None:
        status = self.state.status
        for name in ("running", "paused", "finished", "stopped", "failed"):
            self.set_class(status == name or (name == "running" and status == "stopping")
                           or (name == "failed" and status == "interrupted"), f"-{name}")

    def _update_header(self) -> None:
        header = self.query("#train-header")
        if not header:
            return
        state = self.state
        text = Text(status_label(state.status), style="bold")
        if state.status == "idle" and not state.run_id:
            text.append("  " + _("no run yet: Ctrl+R trains the working preset"), style="")
        else:
            parts = [printable(state.run_id)] if state.run_id else []
            name = printable(state.preset_name)
            if name and not (state.run_id or "").endswith(state.preset_name):
                parts.append(name)  # the run id already ends with the preset's name
            if state.epochs:
                # The last finished epoch, as "stopped after N epochs" says; the progress line
                # names the epoch in flight.
                parts.append(_("epoch {epoch}/{epochs}").format(epoch=state.epoch,
                                                                 epochs=state.epochs))
            if state.monitor:
                parts.append(_("monitor {name}").format(name=state.monitor.name))
            text.append("  " + " · ".join(parts))
        header.first(Static).update(text, layout=False)  # one row, as wide as the pane
