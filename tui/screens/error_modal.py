"""One modal for every error meant for a person: a title and a message, never a traceback.

Anyone may show it: ``self.app.push_screen(ErrorModal(error.title, error.message))``.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from nnbench.core.errors import NnbenchError
from nnbench.core.i18n import N_, _
from nnbench.core.text import printable
from nnbench.tui.screens.modal import Modal


class ErrorModal(Modal[None]):
    """Shows ``title`` and ``message``; enter or escape closes it."""

    BINDINGS = [Binding("enter", "cancel", N_("Close"), show=False)]
    DEFAULT_CSS = """
    ErrorModal > .dialog { border: round $error; }
    ErrorModal > .dialog > .title { color: $error; }
    ErrorModal .message { height: auto; max-height: 16; }
    """

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        # An error's title is an English msgid on its class (core/errors.py): said here.
        self.error_title = _(title)
        self.message = message

    @classmethod
    def from_error(cls, error: NnbenchError) -> ErrorModal:
        return cls(error.title, error.message)

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog", id="error-dialog"):
            yield Static("✗ " + printable(self.error_title), classes="title", markup=False)
            with VerticalScroll(classes="message"):
                yield Static(printable(self.message, newlines=True), id="error-message",
                             markup=False)
            with Horizontal(classes="buttons"):
                yield Button(_("OK"), variant="error", id="ok", compact=True)

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)
