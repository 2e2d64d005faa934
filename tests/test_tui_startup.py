"""The first frame comes before the Compile, Fit and Data tabs are built (MainScreen.defer_panes):
what a person sees of them afterwards is what they would have seen had they been built at once,
and a key pressed as the app starts keeps the tab it asked for.

A headless app composes everything at once; these tests turn the deferral on, as a terminal
does, and read the panes the real app mounts later."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_preset
from textual.pilot import Pilot
from textual.widgets import TabbedContent

from nnbench.core.launch import launch_in_thread
from nnbench.tui.app import NnbenchApp, make_app
from nnbench.tui.screens.compile_pane import CompilePane
from nnbench.tui.screens.data_pane import DataPane
from nnbench.tui.screens.fit_pane import FitPane
from nnbench.tui.screens.main_screen import MainScreen
from nnbench.tui.widgets.layer_stack import LayerStack
from nnbench.tui.widgets.param_field import ParamField

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def deferred(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(MainScreen, "defer_panes", True)
    monkeypatch.setenv("NNBENCH_PRESETS_DIR", str(tmp_path / "presets"))


async def until(pilot: Pilot[Any], check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


def active(app: NnbenchApp) -> str:
    return app.main.query_one(TabbedContent).active


def focused_in(app: NnbenchApp, tab: str) -> bool:
    focused = app.main.focused
    return focused is not None and app.main.query_one(f"TabPane#{tab}") in focused.ancestors


async def test_the_deferral_is_on_and_the_rest_follows_with_the_preset(runs_dir: Path) -> None:
    preset = tiny_preset(compile={"loss": "mean_squared_error"}, fit={"epochs": 7})
    app: NnbenchApp = make_app(preset, runs_dir=runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        main = app.main
        assert not main.panes_ready and not main.query(FitPane), "built after the first frame"
        await until(pilot, lambda: main.panes_ready)
        await until(pilot, lambda: bool(main.query_one("#loss", ParamField).problem))
        # Built late, they show what they would have shown at once: the preset's values, and
        # the problem the loss has with integer labels at its own field.
        assert len(main.preset_panes()) == 4
        loss = main.query_one("#loss", ParamField)
        assert loss.value == "mean_squared_error"
        assert "sparse_categorical_crossentropy" in (loss.problem or "")
        epochs = next(f for f in main.fit_pane.query(ParamField) if f.id == "epochs")
        assert epochs.value == 7
        assert main.query_one(DataPane) is main.data_pane
        assert active(app) == "build" and isinstance(main.focused, LayerStack)


async def test_a_tab_asked_for_before_its_pane_is_built_shows_it_with_the_focus_in_it(
        runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MainScreen, "DEFER_SECONDS", 60.0)  # the rest would wait a minute
    app: NnbenchApp = make_app(tiny_preset(), runs_dir=runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        assert not app.main.panes_ready
        assert not app.main.query(FitPane) and not app.main.query(CompilePane)
        assert app.main.refused_values() == [], "nothing typed where nothing is built"
        await pilot.press("alt+4")
        await until(pilot, lambda: bool(app.main.query(DataPane)))
        await pilot.press("l")  # Data's own key works on the pane just built
        await until(pilot, lambda: app.session.data_info is not None)
        assert active(app) == "data" and focused_in(app, "data")
        assert not app.main.query(CompilePane) and not app.main.query(FitPane)
        await pilot.press("alt+3")
        await until(pilot, lambda: bool(app.main.query(FitPane)))
        await pilot.pause()
        assert active(app) == "fit"
        assert focused_in(app, "fit") or app.main.focused is app.main.query_one("Tabs")
        await pilot.press("alt+2")
        await until(pilot, lambda: app.main.panes_ready)
        await pilot.pause(0.3)
        assert active(app) == "compile"
        assert len(app.main.query(FitPane)) == 1, "each pane is built once"


async def test_a_tab_shown_before_the_screen_is_mounted_keeps_its_focus(
        runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A key the app handles while the screen is still mounting (the terminal sent it with the
    # first frame): the screen's own first focus must not take the person back to Build.
    first_mount = MainScreen.on_mount

    def pressed_early(screen: MainScreen) -> None:
        screen.app.action_show_tab("train")  # type: ignore[attr-defined]
        first_mount(screen)

    monkeypatch.setattr(MainScreen, "on_mount", pressed_early)
    app: NnbenchApp = make_app(tiny_preset(), runs_dir=runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.main.panes_ready)
        for _ in range(5):
            await pilot.pause(0.1)
            assert active(app) == "train" and focused_in(app, "train")


async def test_a_run_started_in_the_first_frame_keeps_the_train_tab(runs_dir: Path) -> None:
    app: NnbenchApp = make_app(tiny_preset(fit={"epochs": 2}), runs_dir=runs_dir,
                               launcher=launch_in_thread)
    async with app.run_test(size=SIZE) as pilot:
        assert not app.main.panes_ready
        await pilot.press("ctrl+r")
        train = app.main.train_pane
        assert train is not None and train.is_training
        await until(pilot, lambda: app.main.panes_ready)
        for _ in range(10):  # the panes built, the data loaded, the stack checked meanwhile
            await pilot.pause(0.1)
            assert active(app) == "train"
        assert focused_in(app, "train")
        await until(pilot, lambda: not train.is_training, 180)
        assert active(app) == "train"
