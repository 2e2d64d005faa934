"""The main screen: header, the tabs (Build | Compile | Fit | Data | Train | Runs | Log), the status
line and the footer. The train-side panes are imported only if their modules exist."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from nnbench.tui.screens.build_pane import BuildPane
from nnbench.tui.screens.compile_pane import CompilePane
from nnbench.tui.screens.data_pane import DataPane
from nnbench.tui.screens.fit_pane import FitPane
from nnbench.tui.screens.log_pane import LogPane
from nnbench.tui.widgets.status_line import StatusLine
from nnbench.tui.widgets.too_small import TooSmall

TABS: dict[str, str] = {
    "build": "Build", "compile": "Compile", "fit": "Fit", "data": "Data",
    "train": "Train", "runs": "Runs", "log": "Log",
}


def optional_class(module: str, name: str) -> Any | None:
    """A class from a module that may not be written yet. A module that exists but fails to
    import raises: that is a bug to see, not to hide."""
    if importlib.util.find_spec(module) is None:
        return None
    return getattr(importlib.import_module(module), name)


class MainScreen(Screen[None]):
    AUTO_FOCUS = "LayerStack"

    def __init__(self, *, runs_dir: Path, log_path: Path | None, log_start: int = 0) -> None:
        super().__init__()
        self.runs_dir = runs_dir
        self.log_path = log_path
        self.log_start = log_start

    def compose(self) -> ComposeResult:
        train_pane = optional_class("nnbench.tui.screens.train_pane", "TrainPane")
        runs_pane = optional_class("nnbench.tui.screens.runs_pane", "RunsPane")
        yield Header(icon="≡")
        with TabbedContent(initial="build", id="tabs"):
            for number, (tab_id, title) in enumerate(TABS.items(), start=1):
                with TabPane(f"{number} {title}", id=tab_id):
                    if tab_id == "build":
                        yield BuildPane(id="build-pane")
                    elif tab_id == "compile":
                        yield CompilePane(id="compile-pane")
                    elif tab_id == "fit":
                        yield FitPane(id="fit-pane")
                    elif tab_id == "data":
                        yield DataPane(id="data-pane")
                    elif tab_id == "train":
                        yield (train_pane(id="train-pane") if train_pane else
                               Static("The Train view is not installed.", id="train-missing"))
                    elif tab_id == "runs":
                        yield (runs_pane(self.runs_dir, id="runs-pane") if runs_pane else
                               Static("The Runs view is not installed.", id="runs-missing"))
                    else:
                        log = LogPane(self.log_path, id="log-pane")
                        log.skip_to(self.log_start)
                        yield log
        yield StatusLine(id="status")
        yield Footer(id="footer", compact=True)
        yield TooSmall()

    @property
    def build_pane(self) -> BuildPane:
        return self.query_one(BuildPane)

    @property
    def compile_pane(self) -> CompilePane:
        return self.query_one(CompilePane)

    @property
    def fit_pane(self) -> FitPane:
        return self.query_one(FitPane)

    @property
    def data_pane(self) -> DataPane:
        return self.query_one(DataPane)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    @property
    def train_pane(self) -> Any | None:
        found = self.query("#train-pane")
        return found.first() if found else None

    @property
    def runs_pane(self) -> Any | None:
        found = self.query("#runs-pane")
        return found.first() if found else None
