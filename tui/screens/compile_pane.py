"""The Compile view: loss, optimizer and its parameters, metrics; under them the explanation of
the focused one (F2 hides it)."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from nnbench.core import catalog
from nnbench.core.catalog import Param
from nnbench.core.compat import Problem
from nnbench.core.i18n import N_, _
from nnbench.core.preset import CompileSpec, OptimizerSpec, Preset
from nnbench.core.text import printable
from nnbench.tui.fields import UNSET
from nnbench.tui.keys import translate_bindings
from nnbench.tui.messages import PresetChanged
from nnbench.tui.widgets.explain_panel import TOGGLE_KEY, ExplainPanel, Topic, topic_of
from nnbench.tui.widgets.metric_list import MarkedSelectionList
from nnbench.tui.widgets.param_field import ParamField


def _canonical_loss(loss: str) -> str:
    return catalog.LOSS_ALIASES.get(loss, loss)


class CompilePane(Vertical):
    """Edits ``app.preset.compile``. The fields scroll; the explanation stays under them."""

    BINDINGS = [Binding(TOGGLE_KEY, "toggle_explain", N_("Explain"), id="compile.explain",
                        key_display="F2", tooltip=N_("Hide or show the explanation of the focused "
                                                     "field"))]

    DEFAULT_CSS = """
    CompilePane > #compile-form { padding: 0 1; height: 1fr; }
    CompilePane .section { text-style: bold; color: $primary; padding: 1 0 0 0; }
    CompilePane #optimizer-params { height: auto; }
    CompilePane #metric-problems { height: auto; color: $error; text-style: bold; }
    CompilePane #metric-problems.-empty { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self.compile = CompileSpec()

    def compose(self) -> ComposeResult:
        # Fields are built with the preset's values: a control that starts on one value and is
        # then set to another would report the first as a change.
        self.compile = self.app.preset.compile.model_copy(deep=True)  # type: ignore[attr-defined]
        optimizer = self.compile.optimizer.type.lower()
        # Not a Tab stop of its own: focus moves between its fields, which scroll it. The panel
        # sits outside the scrolling form: drawn over scrolled fields, the compositor would cut
        # its wide (Korean) characters at the fields' edges.
        with VerticalScroll(id="compile-form", can_focus=False):
            yield Static(_("Loss"), classes="section")
            yield ParamField(Param("loss", "choice", choices=tuple(catalog.LOSSES), required=True),
                             _canonical_loss(self.compile.loss), id="loss",
                             choice_help=catalog.LOSSES)
            yield Static(_("Optimizer"), classes="section")
            yield ParamField(Param("optimizer", "choice", choices=tuple(catalog.OPTIMIZERS),
                                   required=True), optimizer, id="optimizer",
                             help=_("empty fields below keep Keras's defaults"))
            with Vertical(id="optimizer-params"):
                yield from self._optimizer_fields(optimizer, self.compile.optimizer.params)
            yield Static(_("Metrics (space toggles)"), classes="section")
            chosen = {m.lower() for m in self.compile.metrics}
            yield MarkedSelectionList(
                *(Selection(f"{name:<10} {_(help)}", name, name in chosen)
                  for name, help in catalog.METRICS.items()),
                id="metrics")
            yield Static("", id="metric-problems", classes="-empty", markup=False)
        yield ExplainPanel(id="compile-explain")

    def show_problems(self, problems: list[Problem]) -> set[str]:
        """Show each compatibility problem at its field; returns the keys shown."""
        if not self.query("#metric-problems"):
            return set()  # being rebuilt: the app shows them again once it is
        by_key = {p.key: p.message for p in problems}
        self.query_one("#loss", ParamField).set_problem(by_key.get("compile.loss"))
        self.query_one("#optimizer", ParamField).set_problem(by_key.get("compile.optimizer"))
        shown = {"compile.loss", "compile.optimizer"}
        lines = []
        for i, name in enumerate(self.compile.metrics):
            key = f"compile.metrics[{i}]"
            shown.add(key)
            if key in by_key:
                lines.append(f"✗ {name}: {by_key[key]}")
        box = self.query_one("#metric-problems", Static)
        box.update(printable("\n".join(lines), newlines=True))
        box.set_class(not lines, "-empty")
        return shown & set(by_key)

    def show_preset(self, preset: Preset) -> None:
        """Another preset was opened: rebuild the fields from it."""
        self.refresh(recompose=True)

    @staticmethod
    def _optimizer_fields(optimizer: str, params: dict[str, Any]) -> list[ParamField]:
        # owner-X: the panel explains the parameter as this optimizer's.
        return [ParamField(param, params.get(param.name, UNSET),
                           classes=f"opt-param owner-{optimizer}")
                for param in catalog.OPTIMIZERS.get(optimizer, ())]

    def _show_optimizer_params(self, optimizer: str, params: dict[str, Any]) -> None:
        box = self.query_one("#optimizer-params", Vertical)
        box.remove_children()
        box.mount_all(self._optimizer_fields(optimizer, params))

    # --- the explanation ----------------------------------------------------------------------

    def explain(self, topic: Topic | None) -> None:
        """Show the explanation of ``topic`` in the panel under the form."""
        panels = self.query(ExplainPanel)
        if panels:
            panels.first().show_topic(topic)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.explain(topic_of(event.widget))

    def on_selection_list_selection_highlighted(
            self, event: SelectionList.SelectionHighlighted[str]) -> None:
        if event.selection_list.has_focus:  # not the list's own highlight as it is built
            self.explain(Topic("metric", str(event.selection.value)))

    def action_toggle_explain(self) -> None:
        ExplainPanel.toggle_all(self.app)

    def on_param_field_changed(self, event: ParamField.Changed) -> None:
        event.stop()
        field_id = event.field.id or ""
        if field_id in ("loss", "optimizer"):
            self.explain(topic_of(event.field))  # the chosen loss or optimizer, not the last one
        if field_id == "loss":
            if _canonical_loss(self.compile.loss) != event.value:
                self.compile.loss = event.value
                self._post("loss")
        elif field_id == "optimizer":
            if event.value != self.compile.optimizer.type.lower():
                offered = {p.name for p in catalog.OPTIMIZERS[event.value]}
                kept = {k: v for k, v in self.compile.optimizer.params.items() if k in offered}
                self.compile.optimizer = OptimizerSpec(type=event.value, params=kept)
                self._show_optimizer_params(event.value, kept)
                self._post("optimizer")
        elif event.field.has_class("opt-param"):
            params = dict(self.compile.optimizer.params)
            name = event.field.param.name
            if event.value is UNSET:
                params.pop(name, None)
            else:
                params[name] = event.value
            if params != self.compile.optimizer.params:
                self.compile.optimizer = OptimizerSpec(type=self.compile.optimizer.type,
                                                       params=params)
                self._post(f"optimizer {name}")

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        chosen = [name for name in catalog.METRICS if name in event.selection_list.selected]
        if chosen != [m.lower() for m in self.compile.metrics]:
            self.compile.metrics = chosen
            self._post("metrics")

    def _post(self, reason: str) -> None:
        preset: Preset = self.app.preset  # type: ignore[attr-defined]
        self.post_message(PresetChanged(preset.copy_with(compile=self.compile.model_copy(deep=True)),
                                        reason))
