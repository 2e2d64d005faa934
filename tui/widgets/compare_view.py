"""Runs side by side: one chart per metric with every run overlaid, and the preset keys that differ.

``CompareView.compare(run_dirs)`` reads the runs in a thread worker (preset.toml, events.jsonl)
and draws them when ``Compared`` arrives; ``show(comparison)`` draws a ``core.compare.Comparison``
directly. Curves are named by what differs between the runs ("sgd lr=0.01", "adam"), so the legend
says which line is which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Grid
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static

from nnbench.core.i18n import _
from nnbench.core.text import cell_cut, cell_width, printable
from nnbench.tui.widgets.curve_chart import SERIES_COLORS, CurveChart

CHARTS = 4


def fit_labels(labels: Sequence[str], room: int) -> list[str]:
    """Labels cut (longest first, down to 6 columns) so "━ a  ━ b" fits ``room`` columns; each
    stays unique, as a chart keys its curves by label."""
    out = list(labels)

    def needed() -> int:
        return sum(cell_width(label) + 4 for label in out) - 2

    while needed() > room:
        longest = max(range(len(out)), key=lambda i: cell_width(out[i]))
        size = cell_width(out[longest])
        if size <= 6:
            break
        cut = cell_cut(out[longest], size - 1)
        if cut in out:
            break
        out[longest] = cut
    return out


class CompareView(Widget):
    DEFAULT_CSS = """
    CompareView { layout: vertical; height: 1fr; }
    CompareView #compare-charts { grid-size: 2 2; height: 1fr; min-height: 10; }
    CompareView #compare-status { height: auto; padding: 0 1; color: $text-muted; }
    CompareView #compare-status.-error { color: $error; }
    CompareView #compare-diff { height: auto; max-height: 10; }
    """

    @dataclass
    class Compared(Message):
        comparison: Any

    @dataclass
    class Failed(Message):
        message: str

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.comparison: Any = None

    def compose(self) -> ComposeResult:
        with Grid(id="compare-charts"):
            for i in range(CHARTS):
                yield CurveChart("", id=f"compare-chart-{i}", empty_text="")
        yield Static("", id="compare-status", markup=False)
        yield DataTable(id="compare-diff", cursor_type="row", zebra_stripes=True)

    @property
    def charts(self) -> list[CurveChart]:
        return [self.query_one(f"#compare-chart-{i}", CurveChart) for i in range(CHARTS)]

    def compare(self, run_dirs: Sequence[str | Path]) -> None:
        """Read and compare ``run_dirs`` off the UI thread, then draw them."""
        status = self.query_one("#compare-status", Static)
        status.update(Text(_("comparing {n} runs…").format(n=len(run_dirs))))
        self._compare(list(run_dirs))

    @work(thread=True, exit_on_error=False, exclusive=True, group="compare",
          description="Comparing runs")
    def _compare(self, run_dirs: list[str | Path]) -> None:
        from nnbench.core.compare import compare
        from nnbench.core.errors import NnbenchError

        try:
            comparison = compare(run_dirs)
        except NnbenchError as exc:
            self.post_message(self.Failed(exc.message))
            return
        except Exception as exc:  # never a traceback on screen
            self.post_message(self.Failed(f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(self.Compared(comparison))

    def on_compare_view_compared(self, message: Compared) -> None:
        message.stop()
        self.show(message.comparison)

    def on_compare_view_failed(self, message: Failed) -> None:
        message.stop()
        status = self.query_one("#compare-status", Static)
        status.update(Text(printable(message.message)))
        status.add_class("-error")

    def show(self, comparison: Any) -> None:
        """Draw a ``Comparison``: a chart per shared metric, the table of keys that differ."""
        self.comparison = comparison
        status = self.query_one("#compare-status", Static)
        status.remove_class("-error")
        notes = [_("{run} did not log {names}").format(
                     run=printable(run_id), names=", ".join(printable(n) for n in names))
                 for run_id, names in comparison.missing.items()]
        status.update(Text("; ".join(notes)))
        status.display = bool(notes)
        with self.app.batch_update():
            self._draw_charts()
            self._fill_table(comparison)

    def on_resize(self) -> None:
        if self.comparison is not None:
            self.call_after_refresh(self._draw_charts)

    def _draw_charts(self) -> None:
        comparison = self.comparison
        metrics = comparison.chart_metrics
        for i, chart in enumerate(self.charts):
            chart.display = i < len(metrics)
            if i >= len(metrics):
                continue
            chart.clear(title=_("compare {metric}").format(metric=metrics[i]))
            # The whole legend on one border: the longest labels give way first.
            width = chart.size.width or self.size.width // 2
            labels = fit_labels([printable(run.label) for run in comparison.runs], width - 6)
            for j, (run, label) in enumerate(zip(comparison.runs, labels, strict=True)):
                points = run.series.get(metrics[i], [])
                chart.set_curve(label, [e for e, _ in points], [v for _, v in points],
                                color=SERIES_COLORS[j % len(SERIES_COLORS)])
            chart.replot()

    def _fill_table(self, comparison: Any) -> None:
        table = self.query_one("#compare-diff", DataTable)
        table.clear(columns=True)
        table.add_column(_("preset key"), key="key")
        for j, run in enumerate(comparison.runs):
            table.add_column(Text(cell_cut(printable(run.label), 24)), key=f"run-{j}")
        rows = comparison.rows()
        if not rows:
            table.add_row(Text(_("(the presets are the same)")), *[""] * len(comparison.runs))
        for key, values in rows:
            table.add_row(Text(printable(key)), *[Text(cell_cut(printable(v), 24)) for v in values])
