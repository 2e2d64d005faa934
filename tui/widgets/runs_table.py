"""The Runs view's list: one row per run, updated in place as the runs folder changes.

    run                          status      epochs  params  best          test        time ...
    ● 20250101-120000-digits-mlp ✔ finished   8/30  160,289 0.1794 @6    accuracy 0.9611

Rows are added, updated and removed by run id, never rebuilt; the newest run is first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from nnbench.core.format import fmt_seconds, fmt_value
from nnbench.core.i18n import N_, _
from nnbench.core.runs import RunRecord
from nnbench.core.text import cell_cut, printable
from nnbench.tui.run_status import status_text

NOTE_CELLS = 24
"""The most of a run's note (what was edited) the list shows beside its id."""
COLUMNS = (("run", N_("run")), ("status", N_("status")), ("epochs", N_("epochs")),
           ("params", N_("params")), ("best", N_("best")), ("test", N_("test")),
           ("time", N_("time")), ("started", N_("started")))
"""(key, heading msgid) of each column; headings are translated when the table is built."""
KEYS_HINT = N_("␣ mark · c compare · ⏎ watch · v evaluate · r resume · o clone")
"""The list's subtitle while no run is marked: the Runs view's keys."""


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


def run_cells(record: RunRecord, marked: bool) -> list[Text]:
    """A run's row, one cell per column; a marked run's id has a dot before it."""
    run = Text("● " if marked else "  ", style="bold")
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


class RunsTable(DataTable):
    """One row per run, keyed by its id, newest first."""

    def add_run_columns(self) -> None:
        """The columns, added once before the first run (by the pane, before it starts watching)."""
        for key, label in COLUMNS:
            self.add_column(_(label), key=key)

    def show_changes(self, changed: Iterable[RunRecord], removed: Iterable[str],
                     marked: Collection[str], keep: str | None) -> None:
        """Rows of runs gone removed, of runs new or changed added or updated in place; after an
        addition the rows are sorted again and the cursor stays on the run ``keep``."""
        added = False
        for run_id in removed:
            if run_id in self.rows:
                self.remove_row(run_id)
        for record in changed:
            cells = run_cells(record, record.run_id in marked)
            if record.run_id in self.rows:
                for (key, _heading), cell in zip(COLUMNS, cells, strict=True):
                    self.update_cell(record.run_id, key, cell, update_width=True)
            else:
                self.add_row(*cells, key=record.run_id)
                added = True
        if added:
            self.sort("run", key=lambda cell: cell.plain[2:], reverse=True)
            if keep in self.rows:
                self.move_cursor(row=self.get_row_index(keep), animate=False)

    def show_mark(self, record: RunRecord, marked: bool) -> None:
        """Draw the run's id with or without its mark."""
        self.update_cell(record.run_id, "run", run_cells(record, marked)[0])

    def run_at(self, row: int) -> str | None:
        """The id of the run on ``row`` (the last run past the end); None in an empty table."""
        if not self.row_count or row < 0:
            return None
        return str(self.coordinate_to_cell_key((min(row, self.row_count - 1), 0)).row_key.value)
