"""The base of nnbench's modal screens: a centred dialog that also knows when the terminal is too
small to show it."""

from __future__ import annotations

from typing import TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen

from nnbench.core.i18n import N_, _
from nnbench.tui.keys import translate_bindings
from nnbench.tui.widgets.too_small import TooSmall

ResultType = TypeVar("ResultType")


class Modal(ModalScreen[ResultType]):
    """Subclasses write ``compose_dialog``; escape dismisses with ``None``/``False``."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="modal.cancel")]
    CANCEL_RESULT: object = None
    HINT = ""
    """Keys of the dialog, shown on its bottom border (an ``N_`` msgid, translated when shown)."""

    DEFAULT_CSS = """
    Modal { align: center middle; }
    Modal > .dialog {
        width: 90%;
        max-width: 100;
        min-width: 60;
        height: auto;
        max-height: 90%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    Modal > .dialog > .title { text-style: bold; width: 100%; color: $primary; }
    Modal > .dialog { border-subtitle-color: $text-muted; }
    Modal .buttons { height: auto; width: 100%; align-horizontal: right; padding: 1 0 0 0; }
    Modal .buttons Button { margin: 0 0 0 2; }
    """

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        yield from self.compose_dialog()
        yield TooSmall()

    def _on_mount(self) -> None:
        if self.HINT:
            self.query_one(".dialog").border_subtitle = _(self.HINT)

    def compose_dialog(self) -> ComposeResult:
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(self.CANCEL_RESULT)  # type: ignore[arg-type]
