"""The test-set results of a run (``Evaluated.metrics``), beside the last validation values."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.widgets import DataTable

from nnbench.tui.widgets.train_format import fmt_value


class ResultsTable(DataTable):
    """Metric | test | validation (the last epoch's ``val_`` twin, when there is one)."""

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
        self.border_title = "Test results"
        self.results: dict[str, float] = {}

    def on_mount(self) -> None:
        self.add_columns("metric", "test", "val (last)")

    def show_results(self, metrics: Mapping[str, float],
                     last_logs: Mapping[str, float] | None = None) -> None:
        """Replace the rows with these test metrics (loss first)."""
        self.results = dict(metrics)
        self.clear()
        last_logs = last_logs or {}
        keys = sorted(metrics, key=lambda k: k != "loss")
        for key in keys:
            val = last_logs.get(f"val_{key}")
            self.add_row(key, Text(fmt_value(metrics[key]), justify="right"),
                         Text(fmt_value(val) if val is not None else "", justify="right"), key=key)
