"""The help screen: every key, by where it works."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from nnbench.core.i18n import N_, _
from nnbench.tui.screens.modal import Modal

KeySection = tuple[str, list[tuple[str, str]]]


def key_table(sections: list[KeySection]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True, min_width=16)
    table.add_column()
    for title, keys in sections:
        table.add_row(Text(title, style="bold underline"), "")
        for key, description in keys:
            table.add_row(key, description)
        table.add_row("", "")
    return table


class HelpScreen(Modal[None]):
    BINDINGS = [Binding("f1,question_mark,q", "cancel", N_("Close"), show=False)]
    HINT = N_("esc, q or F1 closes · ctrl+p finds any command")
    DEFAULT_CSS = """
    HelpScreen VerticalScroll { height: auto; max-height: 100%; }
    """

    def __init__(self, sections: list[KeySection]) -> None:
        super().__init__()
        self.sections = sections

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog"):
            yield Static(_("nnbench keys"), classes="title")
            with VerticalScroll():
                yield Static(key_table(self.sections), id="help-keys")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
