"""The modal that edits one layer's parameters."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Static

from nnbench.core import catalog
from nnbench.core.i18n import N_, _
from nnbench.core.preset import LayerSpec
from nnbench.tui.screens.modal import Modal
from nnbench.tui.widgets.layer_form import LayerForm


class LayerEditScreen(Modal[LayerSpec | None]):
    """Dismisses with the edited ``LayerSpec`` (enter / Apply) or ``None`` (escape / Cancel)."""

    # ctrl+s applies from any field (enter in a select opens it); the app's ctrl+s (save the
    # preset) is off while a dialog is up, so the key falls through to this one. Enter on a
    # checkbox applies too (space toggles it): the priority binding runs before the checkbox's.
    BINDINGS = [Binding("ctrl+s", "apply", N_("Apply"), id="layer.apply", priority=True),
                Binding("enter", "apply_from_checkbox", show=False, priority=True)]
    HINT = N_("ctrl+s applies (enter too, except in a select) · esc cancels")
    DEFAULT_CSS = """
    LayerEditScreen .help { color: $text-muted; padding: 0 0 1 0; }
    LayerEditScreen ParamField > .row > .label { width: 18; }
    LayerEditScreen ParamField > .note { padding: 0 0 0 18; }
    LayerEditScreen .form { height: auto; max-height: 100%; }
    LayerEditScreen #form-problem { color: $error; text-style: bold; height: auto; }
    LayerEditScreen #form-problem.-empty { display: none; }
    """

    def __init__(self, layer: LayerSpec, *, position: int, other_names: set[str],
                 adding: bool = False) -> None:
        super().__init__()
        self.layer_spec = layer
        self.position = position
        self.other_names = other_names
        self.adding = adding

    def compose_dialog(self) -> ComposeResult:
        kind = catalog.LAYERS[self.layer_spec.type]
        title = (_("Add layer {number}: {type}") if self.adding
                 else _("Edit layer {number}: {type}"))
        with Vertical(classes="dialog", id="layer-dialog"):
            yield Static(title.format(number=self.position + 1, type=self.layer_spec.type),
                         classes="title", markup=False)
            yield Static(_(kind.help), classes="help", markup=False)
            with VerticalScroll(classes="form"):
                yield LayerForm(self.layer_spec, other_names=self.other_names, id="layer-form")
            yield Static("", id="form-problem", classes="-empty", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(_("Cancel"), id="cancel", compact=True)
                yield Button(_("Add") if self.adding else _("Apply"), variant="primary", id="apply",
                             compact=True)

    def on_mount(self) -> None:
        form = self.query_one(LayerForm)
        # Start where typing is needed: the first required field, else the first parameter.
        fields = list(form.query("ParamField"))
        target = next((f for f in fields[1:] if f.param.required), fields[1] if len(fields) > 2
                      else fields[0])
        target.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply_from_checkbox":
            return isinstance(self.focused, Checkbox)
        return True

    def action_apply_from_checkbox(self) -> None:
        self.action_apply()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.dismiss(None)

    def action_apply(self) -> None:
        form = self.query_one(LayerForm)
        problem = self.query_one("#form-problem", Static)
        try:
            layer = form.result()
        except ValueError as exc:
            problem.update(f"✗ {exc}")
            problem.remove_class("-empty")
            bad = form.first_invalid()
            if bad is not None:
                bad.focus()
            return
        self.dismiss(layer)
