"""The Runs view: every run in the runs folder, its curves, and two or more runs compared.

    ╭ Runs ──────────────────────────────────────────────────────────────────────────╮
    │   run                        preset      status       epochs  best   test ...  │
    │ ● 20250101-120000-digits-mlp digits-mlp  ✔ finished   8/30    ...              │
    ╰────────────────────────────────────────────────────────────────────────────────╯
    ╭ loss of the selected run ─────────╮╭ accuracy, or val_loss of the marked runs ─╮

Reading the folder is plain file I/O (summary.json, history.csv); the list is read in a thread worker
so a folder with hundreds of runs never stalls the UI. No Keras here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static

from nnbench.core.format import first_metric, fmt_seconds, fmt_value
from nnbench.tui.widgets.curve_chart import (
    BEST_COLOR,
    SERIES_COLORS,
    TRAIN_COLOR,
    VAL_COLOR,
    CurveChart,
)

STATUS_STYLE = {
    "finished": ("✔ finished", "green"),
    "stopped": ("■ stopped", "yellow"),
    "failed": ("✘ failed", "bold red"),
    "interrupted": ("⚠ interrupted", "bold magenta"),
    "running": ("● running", "cyan"),
}
RUN_WIDTH = 22
"""The run column's widest cell: a mark, the short run id, a preset name cut with "…"."""


def status_text(status: str) -> Text:
    label, style = STATUS_STYLE.get(status, (status, ""))
    return Text(label, style=style)


def _started(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def _best(record: Any, monitor: str | None) -> str:
    """'0.1794 @30' under a 'best val_loss' header; the monitor's name only when it differs."""
    if record.best_value is None or record.best_epoch is None:
        return ""
    name = "" if record.monitor == monitor else f"{record.monitor or ''} "
    return f"{name}{fmt_value(record.best_value)} @{record.best_epoch}".lstrip()


def _test_metric(metrics: dict[str, float]) -> str | None:
    """The metric a run was tested on, besides the loss (the first in name order)."""
    names = sorted(k for k, v in metrics.items() if k != "loss" and v is not None)
    return names[0] if names else None


def _test(metrics: dict[str, float], metric: str | None) -> str:
    """The test value of ``metric`` (the column's), or another metric with its name."""
    own = _test_metric(metrics)
    if own is None:
        return ""
    value = fmt_value(metrics[own])
    return value if own == metric else f"{own} {value}"


def _most_common(values: list[str | None]) -> str | None:
    counts: dict[str, int] = {}
    for value in values:
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    return max(counts, key=lambda v: counts[v]) if counts else None


def _run_cell(run_id: str, marked: bool, seconds: bool = False) -> Text:
    """'● 1123-1439 digits-mlp': the mark and the short id, cut with "…" to fit RUN_WIDTH."""
    short = _short_id(run_id, seconds)
    if len(short) > RUN_WIDTH - 2:
        short = short[: RUN_WIDTH - 3] + "…"
    text = Text("● " if marked else "  ", style="bold")
    text.append(short)
    return text


def _short_id(run_id: str, seconds: bool = False) -> str:
    """'20250101-120000-digits-mlp' -> '0101-1200 digits-mlp' ('0101-120000 digits-mlp' with
    ``seconds``, for runs started in the same minute): enough to tell runs apart."""
    parts = run_id.split("-", 2)
    if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
        return f"{parts[0][4:]}-{parts[1] if seconds else parts[1][:4]} {parts[2]}"
    return run_id


class RunsPane(Widget):
    """A table of runs; the highlighted run's curves; space marks runs to compare their val_loss."""

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
        # Short words, and only two in the footer: at 80 columns it is shared with the app's keys.
        # c and F5 are named in the table's border (and in F1 help).
        Binding("space", "toggle_mark", "Mark", id="runs.mark", key_display="␣",
                tooltip="Mark runs to compare their val_loss"),
        Binding("c", "clear_marks", "Unmark", id="runs.clear_marks", show=False,
                tooltip="Clear every mark"),
        Binding("f5", "refresh_runs", "Reload", id="runs.refresh", key_display="F5", show=False,
                tooltip="Read the runs folder again"),
        Binding("delete", "delete_run", "Delete", id="runs.delete", key_display="del",
                tooltip="Delete the selected run's folder (asks first)"),
    ]

    @dataclass
    class RunsLoaded(Message):
        """The run list read from disk (posted by the reading thread)."""

        records: list[Any]
        error: str | None = None

    def __init__(self, runs_dir: Path | str | None = None, *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.runs_dir = Path(runs_dir) if runs_dir is not None else None
        self.records: dict[str, Any] = {}
        self.marked: list[str] = []
        self.selected: str | None = None
        self._minute_twins: set[str] = set()
        self.monitor_column: str | None = None
        """The monitor named in the "best" column's header; cells name theirs only if different."""
        self.metric_column: str | None = None
        """The test metric named in the "test" column's header."""

    def compose(self) -> ComposeResult:
        table: DataTable = DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        table.border_title = "Runs"
        table.border_subtitle = "space mark · c unmark · F5 reload"
        yield table
        yield Static("", id="runs-empty", markup=False)
        with Horizontal(id="runs-charts"):
            yield CurveChart("loss", id="run-loss-chart", empty_text="select a run")
            yield CurveChart("metric", id="run-metric-chart",
                             empty_text="mark two runs with space to compare them")

    FOLLOW_SECONDS = 2.0
    """How often the view re-reads the folder while it shows a run still training."""

    def on_mount(self) -> None:
        self._set_columns(None, None)
        self.refresh_runs()
        # A run trained elsewhere (`nnbench train` in another shell) grows on disk epoch by epoch:
        # follow it while this view is on screen, as the Train tab follows an in-app run.
        self.set_interval(self.FOLLOW_SECONDS, self._follow_running)

    def _follow_running(self) -> None:
        if self.is_on_screen and any(r.status == "running" for r in self.records.values()):
            self.refresh_runs()

    def _set_columns(self, monitor: str | None, metric: str | None) -> None:
        """The run id already says when and what (no preset column); the columns a person scans
        for come first, so they are the ones visible at 80 columns."""
        table = self.table
        table.clear(columns=True)
        self.monitor_column, self.metric_column = monitor, metric
        test = f"test {metric}" if metric else "test"
        for key, label in (("run", "run"), ("status", "status"), ("epochs", "epochs"),
                           ("best", f"best {monitor}" if monitor else "best"), ("test", test),
                           ("test_loss", "test loss"), ("time", "time"), ("started", "started")):
            table.add_column(label, key=key)

    def on_show(self) -> None:
        self.refresh_runs()

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

    # --- reading ------------------------------------------------------------------------------

    def refresh_runs(self) -> None:
        """Re-read the runs folder (in a thread) and update the table; call it when a run ends."""
        self._load_runs(self._root())

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs", description="Reading runs")
    def _load_runs(self, root: Path) -> None:
        try:
            from nnbench.core.runs import RunStore

            records = RunStore(root).list()
        except Exception as error:  # unreadable folder: say so in the view
            self.post_message(self.RunsLoaded([], f"cannot read {root}: {error}"))
            return
        self.post_message(self.RunsLoaded(records))

    def on_runs_pane_runs_loaded(self, message: RunsLoaded) -> None:
        self.records = {record.run_id: record for record in message.records}
        minutes = [run_id[:13] for run_id in self.records]
        self._minute_twins = {m for m in minutes if minutes.count(m) > 1}
        self.marked = [run_id for run_id in self.marked if run_id in self.records]
        table = self.table
        keep = self.selected
        self._set_columns(_most_common([r.monitor for r in message.records]),
                          _most_common([_test_metric(r.test_metrics or {})
                                        for r in message.records]))
        for record in message.records:
            table.add_row(*self._cells(record), key=record.run_id)
        table.border_title = f"Runs ({len(self.records)}) in {self._root()}"
        empty = self.query_one("#runs-empty", Static)
        if message.error:
            empty.update(message.error)
        else:
            empty.update(f"No runs yet in {self._root()}. Train one in the Train tab (Ctrl+R).")
        self.set_class(not self.records, "-empty")
        if keep in self.records:
            table.move_cursor(row=table.get_row_index(keep))
        self._show_selected(keep if keep in self.records else
                            (message.records[0].run_id if message.records else None))

    def _cells(self, record: Any) -> list[Any]:
        metrics = record.test_metrics or {}
        epochs = Text(str(record.epochs_done), justify="right")
        duration = fmt_seconds(record.duration_s) if record.duration_s is not None else ""
        loss = fmt_value(metrics["loss"]) if metrics.get("loss") is not None else ""
        return [self._run_cell(record.run_id), status_text(record.status),
                epochs, _best(record, self.monitor_column), _test(metrics, self.metric_column),
                loss, duration, _started(record.started)]

    def _run_cell(self, run_id: str) -> Text:
        return _run_cell(run_id, run_id in self.marked, run_id[:13] in self._minute_twins)

    def history(self, run_id: str) -> list[dict[str, float]]:
        from nnbench.core.runs import RunStore

        try:
            return RunStore(self._root()).history(run_id)
        except OSError:
            return []

    # --- selection and comparison -------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "runs-table" and event.row_key.value is not None:
            self._show_selected(str(event.row_key.value))

    def action_toggle_mark(self) -> None:
        table = self.table
        if not self.records or table.cursor_row < 0:
            return
        run_id = str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)
        if run_id in self.marked:
            self.marked.remove(run_id)
        else:
            self.marked.append(run_id)
        table.update_cell(run_id, "run", self._run_cell(run_id))
        self._show_compare()

    def action_clear_marks(self) -> None:
        marked, self.marked = self.marked, []
        for run_id in marked:
            if run_id in self.records:
                self.table.update_cell(run_id, "run", self._run_cell(run_id))
        self._show_compare()

    def action_refresh_runs(self) -> None:
        self.refresh_runs()

    def action_delete_run(self) -> None:
        table = self.table
        if not self.records or table.cursor_row < 0:
            return
        run_id = str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)
        from nnbench.tui.screens.confirm import ConfirmScreen

        def delete(confirmed: bool | None) -> None:
            if not confirmed:
                return
            from nnbench.core.errors import NnbenchError
            from nnbench.core.runs import RunStore

            try:
                RunStore(self._root()).delete(run_id)
            except (NnbenchError, OSError) as exc:
                self.notify(str(exc), title="Run not deleted", severity="error")
                return
            if run_id in self.marked:
                self.marked.remove(run_id)
            self.notify(f"deleted {run_id}")
            self.refresh_runs()

        self.app.push_screen(ConfirmScreen(
            "Delete run?", f"Delete {run_id} and everything in its folder (history, events, "
            "models)? This cannot be undone.", yes="Delete"), delete)

    def _show_selected(self, run_id: str | None) -> None:
        """The selected run's loss/val_loss (and its metric unless runs are being compared)."""
        self.selected = run_id
        chart = self.loss_chart
        chart.clear(title="loss")
        record = self.records.get(run_id) if run_id else None
        rows = self.history(run_id) if record else []
        if record is not None:
            # The table's highlighted row says which run this is; the title says what is plotted.
            chart.title = "loss"
            epochs = [int(row.get("epoch", i)) + 1 for i, row in enumerate(rows)]
            for key, color in (("loss", TRAIN_COLOR), ("val_loss", VAL_COLOR)):
                if any(key in row for row in rows):
                    chart.set_curve(key, epochs, [row.get(key, math.nan) for row in rows], color)
            if record.best_epoch:
                chart.set_marker("best", record.best_epoch, f"best epoch {record.best_epoch}",
                                 BEST_COLOR)
            chart.empty_text = "no finished epochs in this run"
        with self.app.batch_update():
            chart.replot()
            self._show_compare(rows, record)

    def _show_compare(self, rows: list[dict[str, float]] | None = None, record: Any = None) -> None:
        """Two or more marked runs: their val_loss overlaid; otherwise the selected run's metric."""
        chart = self.metric_chart
        chart.clear()
        if len(self.marked) >= 2:
            quantities = []
            presets = {self.records[r].preset_name for r in self.marked if r in self.records}
            minutes = [run_id[:13] for run_id in self.marked]
            minute_twins = tuple(m for m in minutes if minutes.count(m) > 1)
            for i, run_id in enumerate(self.marked):
                history = self.history(run_id)
                key = "val_loss" if any("val_loss" in row for row in history) else "loss"
                quantities.append(key)
                epochs = [int(row.get("epoch", n)) + 1 for n, row in enumerate(history)]
                label = _short_id(run_id, seconds=run_id.startswith(minute_twins))
                if len(presets) == 1:  # runs of one preset: their times tell them apart
                    label = label.split(" ", 1)[0]
                chart.set_curve(label, epochs,
                                [row.get(key, math.nan) for row in history],
                                SERIES_COLORS[i % len(SERIES_COLORS)])
            chart.title = "compare " + "/".join(sorted(set(quantities)))
            chart.empty_text = "the marked runs have no epochs yet"
        else:
            if record is None and self.selected in self.records:
                record = self.records[self.selected]
                rows = self.history(self.selected)
            rows = rows or []
            metric = first_metric(rows[0]) if rows else None
            chart.empty_text = ("mark two runs with space to compare them" if rows
                                else "select a run with epochs")
            if metric is not None:
                chart.title = metric
                epochs = [int(row.get("epoch", i)) + 1 for i, row in enumerate(rows)]
                chart.set_curve(metric, epochs, [row.get(metric, math.nan) for row in rows],
                                TRAIN_COLOR)
                if any(f"val_{metric}" in row for row in rows):
                    chart.set_curve(f"val_{metric}", epochs,
                                    [row.get(f"val_{metric}", math.nan) for row in rows], VAL_COLOR)
                if record is not None and record.best_epoch:
                    chart.set_marker("best", record.best_epoch, f"best epoch {record.best_epoch}",
                                     BEST_COLOR)
            elif rows:
                chart.title = "metric"
                chart.empty_text = "this run has no metric besides the loss"
        chart.replot()
