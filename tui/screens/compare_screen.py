"""Two or more runs compared: the Runs view's ``c`` opens this over the workbench."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from nnbench.core.i18n import N_, _
from nnbench.tui.keys import translate_bindings
from nnbench.tui.widgets.compare_view import CompareView


class CompareScreen(Screen[None]):
    BINDINGS = [Binding("escape,c", "close", N_("Close"), id="compare.close")]
    DEFAULT_CSS = """
    CompareScreen { layout: vertical; }
    CompareScreen #compare-title { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self, run_dirs: Sequence[str | Path]) -> None:
        super().__init__()
        translate_bindings(self)
        self.run_dirs = list(run_dirs)

    def compose(self) -> ComposeResult:
        yield Static(_("Comparing {n} runs · esc closes").format(n=len(self.run_dirs)),
                     id="compare-title", markup=False)
        yield CompareView(id="compare-view")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(CompareView).compare(self.run_dirs)

    def action_close(self) -> None:
        self.dismiss(None)
