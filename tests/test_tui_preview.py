"""The Data view draws the preview after `l`, and the graph dialog scrolls a model too wide."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

# The app imports Keras in a thread as it starts; done here first, a loaded machine still starts
# the app within run_test's 30 s wait.
import keras  # noqa: F401
from conftest import tiny_preset
from test_tui_build import SIZE, app_on, text_of
from textual.widgets import Static

from nnbench.core.model import analyze
from nnbench.core.preset import ModelSpec
from nnbench.tui.screens.graph_screen import GraphScreen
from nnbench.tui.widgets.data_preview import DataPreviewView
from nnbench.tui.widgets.graphics import renderer


async def _until(pilot: Any, ready: Any, what: str) -> None:
    deadline = time.monotonic() + 60
    while not ready():
        assert time.monotonic() < deadline, what
        await pilot.pause(0.05)


def _shown(view: DataPreviewView) -> str:
    return "\n".join(strip.text for part in view.query(Static)
                     for strip in part.render_lines(part.region.reset_offset))


async def test_the_data_tab_shows_class_balance_and_pictures_after_l(runs_dir: Path) -> None:
    app = app_on(tiny_preset(data={"source": "sklearn:digits", "scaling": "none"}), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("alt+4")
        view = app.main.query_one("#data-preview", DataPreviewView)
        assert view.has_class("-empty"), "nothing to preview before a load"
        await pilot.press("l")
        await _until(pilot, lambda: "loading" not in text_of(app, "#load-state"), "no load")
        await _until(pilot, lambda: view._drawn_width > 0, "the preview was never drawn")
        await pilot.pause()
        assert view.preview is not None and view.preview.info is app.data_info
        shown = _shown(view)
        assert "Class balance" in shown and "train 1,149" in shown
        assert view.pictures == "halfblocks" == renderer(), "a headless app never asks"
        assert "▀" in shown, "pictures in half-blocks"
        assert "0        1        2" in shown, "labels under the pictures"

        app.main.query_one("#set-sklearn").focus()
        app.main.data_pane.show_loaded(None)  # the settings changed: nothing loaded for them
        await pilot.pause()
        assert view.has_class("-empty") and view.preview is None


async def test_the_graph_dialog_scrolls_a_wide_model_instead_of_cutting_it(runs_dir: Path) -> None:
    wide = ModelSpec.model_validate({"layers": [
        {"type": "Input", "shape": [4], "name": "x" * 150}, {"type": "Dense", "units": 2}]})
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(GraphScreen(wide, analyze(wide)))
        def drawn() -> bool:
            found = app.screen.query("#graph") if isinstance(app.screen, GraphScreen) else []
            return bool(found) and "drawing" not in str(found[0].render())

        await _until(pilot, drawn, "the graph was never drawn")
        await pilot.pause()
        scroll = app.screen.query_one("#graph-scroll")
        assert scroll.max_scroll_x > 0, "too wide: it scrolls"
        assert "x" * 150 + " (Input)" in str(app.screen.query_one("#graph").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, GraphScreen)


async def test_the_mistakes_view_scrolls_a_row_wider_than_the_screen_instead_of_cutting_it() -> None:
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.containers import ScrollableContainer

    from nnbench.tui.widgets.mistakes_view import MistakesView
    from nnbench.tui.widgets.rendered_lines import render_lines

    class Scrolled(App[None]):
        def compose(self) -> ComposeResult:
            with ScrollableContainer(id="scroll"):
                yield MistakesView()

    async with Scrolled().run_test(size=(80, 20)) as pilot:
        view = pilot.app.query_one(MistakesView)
        view.items = items = []  # what show() sets; the row below as its worker would draw it
        view.post_message(MistakesView.Drawn(items, 78, [render_lines(Text("x" * 300), 300)]))
        await _until(pilot, lambda: view.drawn is items, "never drawn")
        await pilot.pause()
        assert pilot.app.query_one("#scroll").max_scroll_x == 300 - 80
        assert view.plain_text() == "x" * 300
