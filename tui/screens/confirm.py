"""Asks before nnbench destroys work (discarding an unsaved preset, stopping a run to quit)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from nnbench.core.i18n import N_, _
from nnbench.core.text import printable
from nnbench.tui.screens.modal import Modal


class ConfirmScreen(Modal[bool]):
    """Dismisses with True for the confirming button (or y), False for cancel (n, escape)."""

    CANCEL_RESULT = False
    BINDINGS = [Binding("y", "confirm", N_("Yes"), show=False),
                Binding("n", "cancel", N_("No"), show=False)]
    DEFAULT_CSS = """
    ConfirmScreen > .dialog { border: round $warning; max-width: 72; }
    ConfirmScreen > .dialog > .title { color: $warning; }
    """

    def __init__(self, title: str, question: str, *, yes: str = "", no: str = "") -> None:
        super().__init__()
        self.question_title = title
        self.question = question
        self.yes = yes or _("Yes")
        self.no = no or _("Cancel")

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Static(printable(self.question_title), classes="title", markup=False)
            yield Static(printable(self.question, newlines=True), id="question", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(self.no, id="no", compact=True)
                yield Button(self.yes, variant="warning", id="yes", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_confirm(self) -> None:
        self.dismiss(True)
