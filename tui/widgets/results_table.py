"""The test-set results of a run (``Evaluated.metrics``), beside the last validation values."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.widgets import DataTable

from nnbench.core.format import fmt_value
from nnbench.core.i18n import _
from nnbench.core.text import printable


class ResultsTable(DataTable):
    """Metric | test | validation (the ``val_`` twin of the epoch whose weights were tested)."""

    DEFAULT_CSS = """
    ResultsTable {
        height: auto;
        max-height: 12;
        width: auto;
        min-width: 30;
        border: round $success;
        border-title-align: left;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(cursor_type="none", zebra_stripes=True, show_cursor=False, name=name, id=id,
                         classes=classes)
        self.border_title = _("Test results")
        self.results: dict[str, float] = {}
        self.val_label = _("val (last)")

    def on_mount(self) -> None:
        self.add_columns(_("metric"), _("test"), self.val_label)

    def show_results(self, metrics: Mapping[str, float],
                     val_logs: Mapping[str, float] | None = None,
                     val_label: str = "") -> None:
        """Replace the rows with these test metrics (loss first), beside ``val_logs``'s ``val_``
        twins under ``val_label`` (the last epoch's, or the restored best epoch's; its first ', '
        breaks it in two)."""
        self.results = dict(metrics)
        self.val_label = val_label = val_label or _("val (last)")
        self.clear(columns=True)
        # A long label ("val (epoch 30, restored)") goes on two lines, so the table stays narrow
        # enough to leave the event log beside it a useful width at 80 columns.
        head, sep, tail = val_label.partition(", ")
        self.header_height = 2 if sep else 1
        self.add_columns(_("metric"), _("test"), f"{head},\n{tail}" if sep else val_label)
        val_logs = val_logs or {}
        keys = sorted(metrics, key=lambda k: k != "loss")
        for key in keys:
            val = val_logs.get(f"val_{key}")
            self.add_row(Text(printable(key)), Text(fmt_value(metrics[key]), justify="right"),
                         Text(fmt_value(val) if val is not None else "", justify="right"), key=key)
