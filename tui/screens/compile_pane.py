"""The Compile view: loss, optimizer and its parameters, metrics."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from nnbench.core import catalog
from nnbench.core.catalog import Param
from nnbench.core.compat import Problem
from nnbench.core.preset import CompileSpec, OptimizerSpec, Preset
from nnbench.core.text import printable
from nnbench.tui.fields import UNSET
from nnbench.tui.messages import PresetChanged
from nnbench.tui.widgets.metric_list import MarkedSelectionList
from nnbench.tui.widgets.param_field import ParamField


def _canonical_loss(loss: str) -> str:
    return catalog.LOSS_ALIASES.get(loss, loss)


class CompilePane(VerticalScroll):
    """Edits ``app.preset.compile``."""

    can_focus = False  # not a Tab stop of its own: focus moves between its fields, which scroll it

    DEFAULT_CSS = """
    CompilePane { padding: 0 1; }
    CompilePane .section { text-style: bold; color: $primary; padding: 1 0 0 0; }
    CompilePane #optimizer-params { height: auto; }
    CompilePane #metric-problems { height: auto; color: $error; text-style: bold; }
    CompilePane #metric-problems.-empty { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.compile = CompileSpec()

    def compose(self) -> ComposeResult:
        # Fields are built with the preset's values: a control that starts on one value and is
        # then set to another would report the first as a change.
        self.compile = self.app.preset.compile.model_copy(deep=True)  # type: ignore[attr-defined]
        optimizer = self.compile.optimizer.type.lower()
        yield Static("Loss", classes="section")
        yield ParamField(Param("loss", "choice", choices=tuple(catalog.LOSSES), required=True),
                         _canonical_loss(self.compile.loss), id="loss",
                         choice_help=catalog.LOSSES)
        yield Static("Optimizer", classes="section")
        yield ParamField(Param("optimizer", "choice", choices=tuple(catalog.OPTIMIZERS),
                               required=True), optimizer, id="optimizer",
                         help="empty fields below keep Keras's defaults")
        with Vertical(id="optimizer-params"):
            yield from self._optimizer_fields(optimizer, self.compile.optimizer.params)
        yield Static("Metrics (space toggles)", classes="section")
        chosen = {m.lower() for m in self.compile.metrics}
        yield MarkedSelectionList(
            *(Selection(f"{name:<10} {help}", name, name in chosen)
              for name, help in catalog.METRICS.items()),
            id="metrics")
        yield Static("", id="metric-problems", classes="-empty", markup=False)

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
        return [ParamField(param, params.get(param.name, UNSET), classes="opt-param")
                for param in catalog.OPTIMIZERS.get(optimizer, ())]

    def _show_optimizer_params(self, optimizer: str, params: dict[str, Any]) -> None:
        box = self.query_one("#optimizer-params", Vertical)
        box.remove_children()
        box.mount_all(self._optimizer_fields(optimizer, params))

    def on_param_field_changed(self, event: ParamField.Changed) -> None:
        event.stop()
        field_id = event.field.id or ""
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
