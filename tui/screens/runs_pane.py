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
series, best epoch and early-stop marker the Train view draws. The list itself is
``widgets.runs_table.RunsTable``; what the keys do is ``runs_pane_actions.RunsPaneActions``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static

from nnbench.core.i18n import N_, _
from nnbench.core.run_state import RunState
from nnbench.core.runs import RunRecord
from nnbench.core.text import printable
from nnbench.tui.keys import translate_bindings
from nnbench.tui.screens.runs_pane_actions import RunsPaneActions
from nnbench.tui.widgets.curve_chart import CurveChart
from nnbench.tui.widgets.run_charts import draw_run
from nnbench.tui.widgets.runs_table import KEYS_HINT, RunsTable

WATCH_SECONDS = 0.5
"""How often the watcher looks at the runs folder (a stat per run)."""


class RunsPane(RunsPaneActions, Widget):
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
        Binding("space", "toggle_mark", N_("Mark"), id="runs.mark", key_display="␣",
                tooltip=N_("Mark runs to compare them")),
        Binding("c", "compare", N_("Compare"), id="runs.compare",
                tooltip=N_("Compare the marked runs: curves overlaid, the preset keys that differ")),
        Binding("enter", "watch", N_("Watch"), id="runs.watch", key_display="⏎",
                tooltip=N_("Show the run in the Train view: live if it trains, replayed if not")),
        Binding("v", "evaluate", N_("Evaluate"), id="runs.evaluate", show=False,
                tooltip=N_("Confusion matrix, per-class scores and the worst mistakes")),
        Binding("r", "resume", N_("Resume"), id="runs.resume", show=False,
                tooltip=N_("Go on with an interrupted or stopped run from its last epoch")),
        Binding("o", "clone", N_("Clone"), id="runs.clone", show=False,
                tooltip=N_("Open the run's preset in the builder, to change it and train again")),
        Binding("u", "clear_marks", N_("Unmark"), id="runs.clear_marks", show=False,
                tooltip=N_("Clear every mark")),
        Binding("f5", "refresh_runs", N_("Reload"), id="runs.refresh", key_display="F5",
                show=False, tooltip=N_("Read the runs folder again")),
        Binding("delete", "delete_run", N_("Delete"), id="runs.delete", key_display="del",
                show=False, tooltip=N_("Delete the selected run's folder (asks first)")),
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
        translate_bindings(self)
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
        table = RunsTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        table.border_title = _("Runs")
        table.border_subtitle = _(KEYS_HINT)
        yield table
        yield Static("", id="runs-empty", markup=False)
        with Horizontal(id="runs-charts"):
            yield CurveChart("loss", id="run-loss-chart", empty_text=_("select a run"))
            yield CurveChart(_("metric"), id="run-metric-chart", empty_text=_("select a run"))

    def on_mount(self) -> None:
        self.table.add_run_columns()
        self._watch(self._root(), self._stop, self._refresh)

    def on_unmount(self) -> None:
        self._stop.set()
        self._refresh.set()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 72, "-narrow")
        self.set_class(self.size.height < 26, "-short")

    @property
    def table(self) -> RunsTable:
        return self.query_one("#runs-table", RunsTable)

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
                changed, removed, error = [], [], _("cannot read {folder}: {reason}").format(
                    folder=root, reason=exc)
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
        with self.app.batch_update():
            for run_id in message.removed:
                self.records.pop(run_id, None)
                if run_id in self.marked:
                    self.marked.remove(run_id)
            for record in message.changed:
                self.records[record.run_id] = record
            table.show_changes(message.changed, message.removed, self.marked, keep=self.selected)
            root = printable(self._root())
            table.border_title = _("Runs ({n}) in {folder}").format(n=len(self.records), folder=root)
            empty = self.query_one("#runs-empty", Static)
            empty.update(message.error or _("No runs yet in {folder}. Train one in the Train tab "
                                            "(Ctrl+R), or `nnbench train PRESET` in another "
                                            "shell.").format(folder=root))
            self.set_class(not self.records, "-empty")
        self.loaded = True
        if self.selected not in self.records:
            first = self._row_run(0) if self.records else None
            self._select(first)
        elif any(r.run_id == self.selected for r in message.changed):
            self._select(self.selected)  # it grew: draw its new epochs

    def _row_run(self, row: int) -> str | None:
        return self.table.run_at(row)

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
                                          else _("select a run"))
            draw_run(RunState(), self.loss_chart, self.metric_chart)
            return
        self._replay(record.run_id, Path(record.path))

    def on_runs_pane_run_replayed(self, message: RunReplayed) -> None:
        if message.run_id != self.selected:
            return
        self.selected_state = message.state
        self.loss_chart.empty_text = _("no finished epochs in this run")
        self.metric_chart.empty_text = _("no metric besides the loss")
        with self.app.batch_update():
            draw_run(message.state, self.loss_chart, self.metric_chart)
