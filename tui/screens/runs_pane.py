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

from nnbench.tui.widgets.curve_chart import (
    BEST_COLOR,
    SERIES_COLORS,
    TRAIN_COLOR,
    VAL_COLOR,
    CurveChart,
)
from nnbench.tui.widgets.train_format import first_metric, fmt_seconds, fmt_value

STATUS_STYLE = {
    "finished": ("✔ finished", "green"),
    "stopped": ("■ stopped", "yellow"),
    "failed": ("✘ failed", "bold red"),
    "interrupted": ("⚠ interrupted", "bold magenta"),
    "running": ("● running", "cyan"),
}
# The run id already says when and what: the columns a person scans for come first.
COLUMNS = ("", "run", "status", "epochs", "best", "test", "time", "preset", "started")


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


def _best(record: Any) -> str:
    if record.best_value is None or record.best_epoch is None:
        return ""
    return f"{record.monitor or ''} {fmt_value(record.best_value)} @{record.best_epoch}".strip()


def _test(metrics: dict[str, float]) -> str:
    keys = sorted(metrics, key=lambda k: (k == "loss", k))  # the metric first, the loss after
    return "  ".join(f"{k} {fmt_value(metrics[k])}" for k in keys if metrics[k] is not None)


def _short_id(run_id: str) -> str:
    """'20250101-120000-digits-mlp' -> '0101-1200 digits-mlp': enough to tell runs apart."""
    parts = run_id.split("-", 2)
    if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
        return f"{parts[0][4:]}-{parts[1][:4]} {parts[2]}"
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
    """

    BINDINGS = [
        Binding("space", "toggle_mark", "Mark", id="runs.mark", tooltip="Mark runs to compare"),
        Binding("c", "clear_marks", "Clear marks", id="runs.clear_marks"),
        Binding("f5", "refresh_runs", "Refresh", id="runs.refresh"),
        Binding("delete", "delete_run", "Delete run", id="runs.delete",
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

    def compose(self) -> ComposeResult:
        table: DataTable = DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        table.border_title = "Runs"
        table.border_subtitle = "space mark · c clear marks · F5 refresh"
        yield table
        yield Static("", id="runs-empty", markup=False)
        with Horizontal(id="runs-charts"):
            yield CurveChart("loss", id="run-loss-chart", empty_text="select a run")
            yield CurveChart("metric", id="run-metric-chart",
                             empty_text="mark two runs with space to compare them")

    def on_mount(self) -> None:
        table = self.query_one("#runs-table", DataTable)
        for label in COLUMNS:
            table.add_column(label, key=label or "mark")
        self.refresh_runs()

    def on_show(self) -> None:
        self.refresh_runs()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 72, "-narrow")

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
        self.marked = [run_id for run_id in self.marked if run_id in self.records]
        table = self.table
        keep = self.selected
        table.clear()
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
        mark = Text("●", style="bold") if record.run_id in self.marked else Text(" ")
        epochs = str(record.epochs_done)
        duration = fmt_seconds(record.duration_s) if record.duration_s is not None else ""
        return [mark, record.run_id, status_text(record.status), epochs, _best(record),
                _test(record.test_metrics or {}), duration, record.preset_name,
                _started(record.started)]

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
        table.update_cell(run_id, "mark",
                          Text("●", style="bold") if run_id in self.marked else Text(" "))
        self._show_compare()

    def action_clear_marks(self) -> None:
        for run_id in self.marked:
            if run_id in self.records:
                self.table.update_cell(run_id, "mark", Text(" "))
        self.marked.clear()
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
            chart.title = f"loss · {_short_id(record.run_id)}"
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
            for i, run_id in enumerate(self.marked):
                history = self.history(run_id)
                key = "val_loss" if any("val_loss" in row for row in history) else "loss"
                quantities.append(key)
                epochs = [int(row.get("epoch", n)) + 1 for n, row in enumerate(history)]
                chart.set_curve(f"{_short_id(run_id)}", epochs,
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
