"""Evaluate a run: its confusion matrix, per-class scores and the samples it gets most
confidently wrong (filter by true or predicted class); for regression the residual summary and the
largest residuals.

The evaluation (loading the model and the data, predicting) runs in a thread worker; the screen
stays live and shows "evaluating…" until the worker posts ``Evaluated`` or ``Failed``. Everything
that came from the data set (class names, column names, texts) is put in ``Text`` as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Select, Static, TabbedContent, TabPane

from nnbench.core.i18n import N_, _
from nnbench.core.text import cell_cut, cell_pad, cell_width, printable
from nnbench.tui.keys import translate_bindings
from nnbench.tui.widgets.confusion_matrix import ConfusionMatrix
from nnbench.tui.widgets.mistakes_view import MistakesView

MISTAKE_ROWS = 64
"""Mistakes listed and drawn at most (the most confident ones): the samples an evaluation keeps
for every filter (core/evaluate_types.py SHOWN)."""
DETAIL_SIDE = 32
"""Pixels across the selected sample's picture: larger than the grid's, still 16 lines."""


def _number(value: float) -> str:
    size = abs(value)
    if size != 0 and (size < 1e-3 or size >= 1e5):
        return f"{value:.3e}"
    return f"{value:.4f}" if size < 100 else f"{value:,.2f}"


def example_text(example: Any) -> Any:
    """The whole sample, for the detail pane: a picture as the data preview draws one (larger),
    a row as name / value lines, a text as it is; outside text as data, never markup."""
    if example.kind == "image" and example.pixels is not None:
        from nnbench.core.evaluate_draw import as_pictures
        from nnbench.core.preview_draw import PictureRow, blocks_rich

        return blocks_rich([PictureRow(as_pictures([example], [""], side=DETAIL_SIDE))])
    if example.kind in ("row", "values"):
        width = max((cell_width(printable(name)) for name, _ in example.row), default=0)
        return Text("\n".join(f"{cell_pad(printable(name), width)}  {_number(value)}"
                              for name, value in example.row))
    lead = f"{printable(example.path.rsplit('/', 1)[-1])}: " if example.path else ""
    return Text(lead + printable(example.text or "", newlines=True))


class EvaluateScreen(Screen[None]):
    """Evaluates ``run_dir`` in a worker and shows what the model gets right and wrong."""

    BINDINGS = [Binding("escape", "close", N_("Close"), id="evaluate.close"),
                Binding("s", "tab('tab-scores')", N_("Scores"), id="evaluate.scores"),
                Binding("m", "tab('tab-mistakes')", N_("Mistakes"), id="evaluate.mistakes"),
                Binding("l", "tab('tab-list')", N_("List"), id="evaluate.list"),
                Binding("t", "cycle_filter('true')", N_("True class"), id="evaluate.filter_true"),
                Binding("p", "cycle_filter('predicted')", N_("Predicted class"),
                        id="evaluate.filter_predicted")]

    DEFAULT_CSS = """
    EvaluateScreen { layout: vertical; }
    EvaluateScreen #evaluate-title { height: auto; padding: 0 1; text-style: bold; }
    EvaluateScreen #evaluate-notes { height: auto; padding: 0 1; color: $text-muted; }
    EvaluateScreen #evaluate-status { height: auto; padding: 0 1; }
    EvaluateScreen #evaluate-status.-error { color: $error; }
    EvaluateScreen TabbedContent { height: 1fr; }
    EvaluateScreen #evaluate-filters { height: auto; }
    EvaluateScreen #evaluate-filters Select { width: 1fr; }
    EvaluateScreen #mistakes { height: 1fr; }
    EvaluateScreen #mistakes-scroll { height: 1fr; overflow-x: auto; overflow-y: auto; }
    EvaluateScreen #mistake-detail { height: auto; max-height: 12; padding: 0 1;
                                     border-top: solid $panel-lighten-2; }
    EvaluateScreen #residuals { height: auto; padding: 0 1; }
    """

    @dataclass
    class Evaluated(Message):
        evaluation: Any

    @dataclass
    class Failed(Message):
        title: str
        message: str

    def __init__(self, run_dir: str | Path, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        translate_bindings(self)
        self.run_dir = Path(run_dir)
        self.evaluation: Any = None
        self.shown: list[Any] = []
        """The mistakes (or residuals) in the table, row by row."""

    def compose(self) -> ComposeResult:
        yield Static(Text(_("Evaluate {run}").format(run=printable(self.run_dir.name))),
                     id="evaluate-title")
        yield Static(Text(_("evaluating… (loading the model and the data, predicting)")),
                     id="evaluate-status")
        yield Static("", id="evaluate-notes", markup=False)
        with TabbedContent(id="evaluate-tabs"):
            with TabPane(_("Scores"), id="tab-scores"), VerticalScroll():
                yield ConfusionMatrix(id="confusion")
                yield Static("", id="residuals", markup=False)
            with TabPane(_("Mistakes"), id="tab-mistakes"):
                with Horizontal(id="evaluate-filters"):
                    yield Select([], prompt=_("any true class (t)"), id="filter-true")
                    yield Select([], prompt=_("any predicted class (p)"), id="filter-predicted")
                with ScrollableContainer(id="mistakes-scroll"):
                    yield MistakesView(id="mistakes-drawn")
            with TabPane(_("List"), id="tab-list"):
                yield DataTable(id="mistakes", cursor_type="row", zebra_stripes=True)
                yield Static("", id="mistake-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.evaluate()

    @work(thread=True, exit_on_error=False, exclusive=True, group="evaluate",
          description="Evaluating a run")
    def evaluate(self) -> None:
        from nnbench.core.errors import NnbenchError
        from nnbench.core.evaluate import evaluate_run

        try:
            evaluation = evaluate_run(self.run_dir)
        except NnbenchError as exc:
            self.post_message(self.Failed(exc.title, exc.message))
            return
        except Exception as exc:  # never a traceback on screen
            self.post_message(self.Failed(_("Evaluation failed"), f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(self.Evaluated(evaluation))

    # --- results ------------------------------------------------------------------------------

    def on_evaluate_screen_failed(self, message: Failed) -> None:
        status = self.query_one("#evaluate-status", Static)
        status.update(Text(f"{printable(_(message.title))}: {printable(message.message)}"))
        status.add_class("-error")

    def on_evaluate_screen_evaluated(self, message: Evaluated) -> None:
        e = self.evaluation = message.evaluation
        head = _("{split} split, {samples} samples").format(split=e.split, samples=f"{e.samples:,}")
        if e.accuracy is not None:
            head += "   " + _("accuracy {accuracy}   macro F1 {f1}").format(
                accuracy=f"{e.accuracy:.4f}", f1=f"{e.macro.f1:.4f}")
        self.query_one("#evaluate-title", Static).update(
            Text(_("Evaluate {run}").format(run=printable(e.run_id))
                 + f"  ({printable(e.preset_name)})"))
        self.query_one("#evaluate-status", Static).update(Text(head))
        self.query_one("#evaluate-notes", Static).update(
            Text("\n".join(printable(n) for n in e.notes)))
        table = self.query_one("#mistakes", DataTable)
        if e.is_classification:
            self.query_one(ConfusionMatrix).show(e)
            self.query_one("#residuals", Static).display = False
            options = [(Text(printable(name)), i) for i, name in enumerate(e.class_names)]
            self.query_one("#filter-true", Select).set_options(options)
            self.query_one("#filter-predicted", Select).set_options(options)
            table.add_columns("#", _("true"), _("predicted"), "p", _("sample"))
            self.show_mistakes()
        else:
            self.query_one(ConfusionMatrix).display = False
            self.query_one("#evaluate-filters").display = False
            self.query_one("#residuals", Static).update(self._residual_text(e.residuals))
            self.query_one("#mistakes", DataTable).border_title = _("largest residuals")
            self.query_one("#evaluate-tabs", TabbedContent).get_tab("tab-mistakes").label = (
                _("Largest residuals"))
            table.add_columns("#", _("true"), _("predicted"), _("residual"), _("sample"))
            self._fill_residuals()

    def _residual_text(self, r: Any) -> Text:
        lines = [_("residuals (true - predicted)"),
                 _("mean {mean}   MAE {mae}   RMSE {rmse}").format(
                     mean=_number(r.mean), mae=_number(r.mae), rmse=_number(r.rmse))
                 + (f"   R² {r.r2:.4f}" if r.r2 is not None else ""), ""]
        lines += [_("{q} quantile  {value}").format(q=f"{q:>5.0%}", value=_number(v))
                  for q, v in r.quantiles.items()]
        return Text("\n".join(lines))

    def _fill_residuals(self) -> None:
        table = self.query_one("#mistakes", DataTable)
        self.shown = list(self.evaluation.residuals.largest)[:MISTAKE_ROWS]
        self.query_one(MistakesView).show(self.shown)
        for item in self.shown:
            table.add_row(str(item.index), _number(item.true), _number(item.predicted),
                          _number(item.residual), Text(printable(item.example.one_line(60))))
        self._show_detail(0)

    def _filter(self, select_id: str) -> int | None:
        value = self.query_one(select_id, Select).value
        return value if isinstance(value, int) else None

    def show_mistakes(self) -> None:
        """Fill the table with the mistakes the filters let through, most confident first."""
        e = self.evaluation
        if e is None or not e.is_classification:
            return
        true, predicted = self._filter("#filter-true"), self._filter("#filter-predicted")
        self.shown = e.mistakes(true=true, predicted=predicted, limit=MISTAKE_ROWS)
        table = self.query_one("#mistakes", DataTable)
        table.clear()
        for m in self.shown:
            table.add_row(str(m.index), Text(cell_cut(printable(m.true_name), 18)),
                          Text(cell_cut(printable(m.predicted_name), 18)), f"{m.probability:.3f}",
                          Text(printable(m.example.one_line(60))))
        total = len(e.mistake_indices(true=true, predicted=predicted))
        table.border_title = _("{shown} of {total} mistakes").format(shown=len(self.shown),
                                                                     total=f"{total:,}")
        scroll = self.query_one("#mistakes-scroll")
        scroll.border_title = _("{shown} of {total} mistakes, most confident first").format(
            shown=len(self.shown), total=f"{total:,}")
        self.query_one(MistakesView).show(self.shown)
        self._show_detail(0)

    def action_tab(self, pane: str) -> None:
        self.query_one("#evaluate-tabs", TabbedContent).active = pane

    def action_cycle_filter(self, which: str) -> None:
        """t / p: the next true (predicted) class to filter by, then any class again."""
        e = self.evaluation
        if e is None or not e.is_classification:
            return
        select = self.query_one(f"#filter-{which}", Select)
        value = select.value
        nxt = 0 if not isinstance(value, int) else value + 1
        if nxt >= len(e.class_names):
            select.clear()
        else:
            select.value = nxt

    @on(Select.Changed)
    def _filter_changed(self, event: Select.Changed) -> None:
        self.show_mistakes()

    @on(DataTable.RowHighlighted, "#mistakes")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def _show_detail(self, row: int) -> None:
        detail = self.query_one("#mistake-detail", Static)
        if not 0 <= row < len(self.shown):
            detail.update(Text(_("no mistakes with these filters") if self.evaluation is not None
                               and self.evaluation.is_classification else ""))
            return
        item = self.shown[row]
        if hasattr(item, "probability"):
            head = Text(_("#{index}  true {true}  predicted {predicted}  p={p}").format(
                index=item.index, true=printable(item.true_name),
                predicted=printable(item.predicted_name), p=f"{item.probability:.3f}"), style="bold")
        else:
            head = Text(_("#{index}  true {true}  predicted {predicted}").format(
                index=item.index, true=_number(item.true), predicted=_number(item.predicted)),
                style="bold")
        from rich.console import Group

        body = example_text(item.example)
        # Text stays one Text (its lines read as text); a picture joins it as a group.
        detail.update(head + "\n" + body if isinstance(body, Text) else Group(head, body))

    def action_close(self) -> None:
        self.dismiss(None)
