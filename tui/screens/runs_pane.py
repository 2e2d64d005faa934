"""The Runs view: every run in the runs folder, the selected run's curves, runs compared.

    ╭ Runs (12) in ~/.local/share/nnbench/runs ──────────────────────────────────────╮
    │ run                         status      epochs  params  best          test ...│
    │ ● 20250101-120000-digits-mlp ✔ finished   8/30  160,289 0.1794 @6    0.9611   │
    ╰────────────────────────────────────────────────────────────────────────────────╯
    ╭ loss of the selected run ─────────╮╭ its first metric ─────────────────────────╮

A watcher thread keeps an incremental index of the folder (core.runs.RunIndex: one stat per run
unless its summary changed) and posts only what changed; rows are updated in place, never rebuilt,
so a run trained elsewhere appears and grows by itself within about a second. The selected run's
charts come from the run model (core.run_state, replayed from events.jsonl in a thread): the same
series, best epoch and early-stop marker the Train view draws.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static

from nnbench.core.format import fmt_seconds, fmt_value
from nnbench.core.run_state import RunState
from nnbench.core.runs import RunRecord
from nnbench.core.text import cell_cut, printable
from nnbench.tui.widgets.curve_chart import CurveChart
from nnbench.tui.widgets.run_charts import draw_run

STATUS_STYLE = {
    "finished": ("✔ finished", "green"),
    "stopped": ("■ stopped", "yellow"),
    "failed": ("✘ failed", "bold red"),
    "interrupted": ("⚠ interrupted", "bold magenta"),
    "running": ("● running", "cyan"),
    "unreadable": ("? unreadable", "red"),
}
NOTE_CELLS = 24
"""The most of a run's note (what was edited) the list shows beside its id."""
WATCH_SECONDS = 0.5
"""How often the watcher looks at the runs folder (a stat per run)."""
COLUMNS = (("run", "run"), ("status", "status"), ("epochs", "epochs"), ("params", "params"),
           ("best", "best"), ("test", "test"), ("time", "time"), ("started", "started"))


def status_text(status: str) -> Text:
    label, style = STATUS_STYLE.get(status, (printable(status), ""))
    return Text(label, style=style)


def _started(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except (ValueError, TypeError):
        return printable(iso)


def _best(record: RunRecord) -> str:
    """'0.1794 @30', and the monitor's name when it isn't val_loss."""
    if record.best_value is None or record.best_epoch is None:
        return ""
    name = "" if record.monitor in (None, "val_loss") else f" {printable(record.monitor)}"
    return f"{fmt_value(record.best_value)} @{record.best_epoch}{name}"


def _test(metrics: dict[str, float]) -> str:
    """'accuracy 0.9611  loss 0.1234': the metrics first, the loss last."""
    keys = sorted(metrics, key=lambda k: (k == "loss", k))
    return "  ".join(f"{printable(k)} {fmt_value(metrics[k])}" for k in keys
                     if metrics[k] is not None)


class RunsPane(Widget):
    """A table of runs; the highlighted run's curves; marked runs compared."""

    DEFAULT_CSS = """
    RunsPane {
        layout: vertical;
        height: 1fr;
        width: 1fr;
    }
    RunsPane #runs-table {
        height: auto;
        max-height: 50%;
        min-height: 5;
        scrollbar-size-vertical: 1;
        border: round $panel-lighten-2;
        border-title-align: left;
        border-subtitle-align: right;
    }
    RunsPane #runs-table:focus {
        border: round $accent;
    }
    RunsPane #runs-empty {
        display: none;
        height: auto;
        padding: 1 2;
        color: $text-muted;
    }
    RunsPane.-empty #runs-empty {
        display: block;
    }
    RunsPane #runs-charts {
        height: 1fr;
        min-height: 7;
    }
    RunsPane.-narrow #runs-charts {
        layout: vertical;
    }
    /* Short terminals (80x24): the list gets the room, the charts a fixed few lines. */
    RunsPane.-short #runs-table {
        height: 1fr;
        max-height: 100%;
    }
    RunsPane.-short #runs-charts {
        height: 8;
        min-height: 8;
    }
    """

    BINDINGS = [
        # Short words, and only a few in the footer: at 80 columns it is shared with the app's keys.
        Binding("space", "toggle_mark", "Mark", id="runs.mark", key_display="␣",
                tooltip="Mark runs to compare them"),
        Binding("c", "compare", "Compare", id="runs.compare",
                tooltip="Compare the marked runs: curves overlaid, the preset keys that differ"),
        Binding("enter", "watch", "Watch", id="runs.watch", key_display="⏎",
                tooltip="Show the run in the Train view: live if it trains, replayed if not"),
        Binding("v", "evaluate", "Evaluate", id="runs.evaluate", show=False,
                tooltip="Confusion matrix, per-class scores and the worst mistakes"),
        Binding("r", "resume", "Resume", id="runs.resume", show=False,
                tooltip="Go on with an interrupted or stopped run from its last epoch"),
        Binding("o", "clone", "Clone", id="runs.clone", show=False,
                tooltip="Open the run's preset in the builder, to change it and train again"),
        Binding("u", "clear_marks", "Unmark", id="runs.clear_marks", show=False,
                tooltip="Clear every mark"),
        Binding("f5", "refresh_runs", "Reload", id="runs.refresh", key_display="F5", show=False,
                tooltip="Read the runs folder again"),
        Binding("delete", "delete_run", "Delete", id="runs.delete", key_display="del",
                show=False, tooltip="Delete the selected run's folder (asks first)"),
    ]

    @dataclass
    class RunsChanged(Message):
        """What the watcher found new, changed or gone in the runs folder."""

        changed: list[RunRecord]
        removed: list[str]
        error: str | None = None
        first: bool = False

    @dataclass
    class RunReplayed(Message):
        run_id: str
        state: RunState

    def __init__(self, runs_dir: Path | str | None = None, *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.runs_dir = Path(runs_dir) if runs_dir is not None else None
        self.records: dict[str, RunRecord] = {}
        self.marked: list[str] = []
        self.selected: str | None = None
        self.selected_state: RunState | None = None
        self.loaded = False
        """True once the watcher's first look at the folder is on screen."""
        self._stop = threading.Event()
        self._refresh = threading.Event()

    def compose(self) -> ComposeResult:
        table: DataTable = DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        table.border_title = "Runs"
        table.border_subtitle = "␣ mark · c compare · ⏎ watch · v evaluate · r resume · o clone"
        yield table
        yield Static("", id="runs-empty", markup=False)
        with Horizontal(id="runs-charts"):
            yield CurveChart("loss", id="run-loss-chart", empty_text="select a run")
            yield CurveChart("metric", id="run-metric-chart", empty_text="select a run")

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.table.add_column(label, key=key)
        self._watch(self._root(), self._stop, self._refresh)

    def on_unmount(self) -> None:
        self._stop.set()
        self._refresh.set()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 72, "-narrow")
        self.set_class(self.size.height < 26, "-short")

    @property
    def table(self) -> DataTable:
        return self.query_one("#runs-table", DataTable)

    @property
    def loss_chart(self) -> CurveChart:
        return self.query_one("#run-loss-chart", CurveChart)

    @property
    def metric_chart(self) -> CurveChart:
        return self.query_one("#run-metric-chart", CurveChart)

    def _root(self) -> Path:
        if self.runs_dir is not None:
            return self.runs_dir
        app_dir = getattr(self.app, "runs_dir", None)
        if app_dir is not None:
            return Path(app_dir)
        from nnbench.core.runs import default_runs_dir

        return default_runs_dir()

    # --- reading (a thread) -------------------------------------------------------------------

    def refresh_runs(self) -> None:
        """Look at the folder now rather than at the next tick (a run just ended here)."""
        self._refresh.set()

    @work(thread=True, exit_on_error=False, group="runs", description="Watching the runs folder")
    def _watch(self, root: Path, stop: threading.Event, refresh: threading.Event) -> None:
        from nnbench.core.runs import RunIndex

        index = RunIndex(root)
        first = True
        while not stop.is_set():
            try:
                changed, removed = index.refresh()
                error = None
            except Exception as exc:  # an unreadable folder: say so in the view, keep watching
                changed, removed, error = [], [], f"cannot read {root}: {exc}"
            if changed or removed or first or error:
                self.post_message(self.RunsChanged(changed, removed, error, first))
                first = False
            refresh.wait(WATCH_SECONDS)
            refresh.clear()

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs-replay",
          description="Reading a run")
    def _replay(self, run_id: str, folder: Path) -> None:
        from nnbench.core.run_state import replay
        from nnbench.core.runs import read_events

        self.post_message(self.RunReplayed(run_id, replay(read_events(folder / "events.jsonl"))))

    # --- the table ----------------------------------------------------------------------------

    def on_runs_pane_runs_changed(self, message: RunsChanged) -> None:
        table = self.table
        added = False
        with self.app.batch_update():
            for run_id in message.removed:
                self.records.pop(run_id, None)
                if run_id in self.marked:
                    self.marked.remove(run_id)
                if run_id in table.rows:
                    table.remove_row(run_id)
            for record in message.changed:
                self.records[record.run_id] = record
                cells = self._cells(record)
                if record.run_id in table.rows:
                    for (key, _), cell in zip(COLUMNS, cells, strict=True):
                        table.update_cell(record.run_id, key, cell, update_width=True)
                else:
                    table.add_row(*cells, key=record.run_id)
                    added = True
            if added:
                keep = self.selected
                table.sort("run", key=lambda cell: cell.plain[2:], reverse=True)
                if keep in table.rows:
                    table.move_cursor(row=table.get_row_index(keep), animate=False)
            root = printable(self._root())
            table.border_title = f"Runs ({len(self.records)}) in {root}"
            empty = self.query_one("#runs-empty", Static)
            empty.update(message.error or f"No runs yet in {root}. Train one in the Train tab "
                                          "(Ctrl+R), or `nnbench train PRESET` in another shell.")
            self.set_class(not self.records, "-empty")
        self.loaded = True
        if self.selected not in self.records:
            first = self._row_run(0) if self.records else None
            self._select(first)
        elif any(r.run_id == self.selected for r in message.changed):
            self._select(self.selected)  # it grew: draw its new epochs

    def _cells(self, record: RunRecord) -> list[Text]:
        run = Text("● " if record.run_id in self.marked else "  ", style="bold")
        run.append(printable(record.run_id))
        if record.note:  # what was edited: runs of one preset told apart at a glance
            run.append(" " + cell_cut(printable(record.note), NOTE_CELLS), style="italic")
        if record.unreadable:
            return [run, status_text("unreadable"), Text(""), Text(""), Text(""),
                    Text(printable(record.unreadable), style="red"), Text(""), Text("")]
        epochs = f"{record.epochs_done}/{record.epochs}" if record.epochs else str(record.epochs_done)
        params = f"{record.params:,}" if record.params is not None else ""
        duration = fmt_seconds(record.duration_s) if record.duration_s is not None else ""
        return [run, status_text(record.status), Text(epochs, justify="right"),
                Text(params, justify="right"), Text(_best(record)), Text(_test(record.test_metrics)),
                Text(duration, justify="right"), Text(_started(record.started))]

    def _row_run(self, row: int) -> str | None:
        table = self.table
        if not table.row_count or row < 0:
            return None
        return str(table.coordinate_to_cell_key((min(row, table.row_count - 1), 0)).row_key.value)

    def _cursor_run(self) -> str | None:
        return self._row_run(self.table.cursor_row) if self.records else None

    # --- selection ----------------------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The row under the cursor now, not the event's: rows added and sorted since it was posted
        # moved it (the first look at a folder highlighted the first row added, not the newest).
        if event.data_table.id == "runs-table" and self._cursor_run() != self.selected:
            self._select(self._cursor_run())

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # The table takes enter as its own "select": the footer's ⏎ Watch is this.
        if event.data_table.id == "runs-table":
            event.stop()
            self.action_watch()

    def _select(self, run_id: str | None) -> None:
        self.selected = run_id
        record = self.records.get(run_id) if run_id else None
        if record is None or record.unreadable:
            self.selected_state = None
            self.loss_chart.empty_text = (printable(record.unreadable) if record and record.unreadable
                                          else "select a run")
            draw_run(RunState(), self.loss_chart, self.metric_chart)
            return
        self._replay(record.run_id, Path(record.path))

    def on_runs_pane_run_replayed(self, message: RunReplayed) -> None:
        if message.run_id != self.selected:
            return
        self.selected_state = message.state
        self.loss_chart.empty_text = "no finished epochs in this run"
        self.metric_chart.empty_text = "no metric besides the loss"
        with self.app.batch_update():
            draw_run(message.state, self.loss_chart, self.metric_chart)

    # --- actions ------------------------------------------------------------------------------

    def _folder(self, run_id: str | None) -> Path | None:
        record = self.records.get(run_id) if run_id else None
        return Path(record.path) if record is not None else None

    def action_toggle_mark(self) -> None:
        run_id = self._cursor_run()
        if run_id is None:
            return
        if run_id in self.marked:
            self.marked.remove(run_id)
        else:
            self.marked.append(run_id)
        self.table.update_cell(run_id, "run", self._cells(self.records[run_id])[0])
        count = len(self.marked)
        self.table.border_subtitle = (f"{count} marked · c compares them" if count else
                                      "␣ mark · c compare · ⏎ watch · v evaluate · r resume · o clone")

    def action_clear_marks(self) -> None:
        marked, self.marked = self.marked, []
        for run_id in marked:
            if run_id in self.records:
                self.table.update_cell(run_id, "run", self._cells(self.records[run_id])[0])
        self.table.border_subtitle = "␣ mark · c compare · ⏎ watch · v evaluate · r resume · o clone"

    def action_compare(self) -> None:
        from nnbench.tui.screens.compare_screen import CompareScreen

        folders = [f for f in (self._folder(r) for r in self.marked) if f is not None]
        if len(folders) < 2:
            self.notify("Mark two or more runs with space first.", severity="warning")
            return
        self.app.push_screen(CompareScreen(folders))

    def action_watch(self) -> None:
        folder = self._folder(self._cursor_run())
        attach = getattr(self.app, "attach_run", None)
        if folder is not None and attach is not None:
            attach(folder)

    def action_evaluate(self) -> None:
        from nnbench.tui.screens.evaluate_screen import EvaluateScreen

        run_id = self._cursor_run()
        record = self.records.get(run_id) if run_id else None
        if record is None or record.unreadable:
            return
        if record.status == "running":
            self.notify("The run is still training; evaluate it once it ends.", severity="warning")
            return
        self.app.push_screen(EvaluateScreen(record.path))

    def action_resume(self) -> None:
        run_id = self._cursor_run()
        record = self.records.get(run_id) if run_id else None
        resume = getattr(self.app, "resume_run", None)
        if record is None or resume is None:
            return
        if record.status in ("running", "finished", "unreadable"):
            why = {"running": "it is still training (⏎ watches it)",
                   "finished": "it finished all its epochs; o clones its preset to train again",
                   "unreadable": printable(record.unreadable or "it can't be read")}[record.status]
            self.notify(f"{printable(record.run_id)} can't be resumed: {why}", severity="warning",
                        markup=False)
            return
        resume(Path(record.path))

    def action_clone(self) -> None:
        folder = self._folder(self._cursor_run())
        clone = getattr(self.app, "clone_run", None)
        if folder is not None and clone is not None:
            clone(folder)

    def action_refresh_runs(self) -> None:
        self.refresh_runs()

    def action_delete_run(self) -> None:
        run_id = self._cursor_run()
        if run_id is None:
            return
        from nnbench.tui.screens.confirm import ConfirmScreen

        def delete(confirmed: bool | None) -> None:
            if confirmed:
                self._delete(run_id)

        self.app.push_screen(ConfirmScreen(
            "Delete run?", f"Delete {printable(run_id)} and everything in its folder (history, "
            "events, models)? This cannot be undone.", yes="Delete"), delete)

    @work(thread=True, exit_on_error=False, group="runs-delete", description="Deleting a run")
    def _delete(self, run_id: str) -> None:
        from nnbench.core.errors import NnbenchError
        from nnbench.core.runs import RunStore

        try:
            RunStore(self._root()).delete(run_id)
        except (NnbenchError, OSError) as exc:
            self.app.call_from_thread(self.notify, printable(str(exc)), title="Run not deleted",
                                      severity="error", markup=False)
            return
        if run_id in self.marked:
            self.marked.remove(run_id)
        self.app.call_from_thread(self.notify, f"deleted {printable(run_id)}", markup=False)
        self.refresh_runs()
