"""The first frame comes before the Compile, Fit and Data tabs are built (MainScreen.defer_panes):
what a person sees of them afterwards is what they would have seen had they been built at once.

A headless app composes everything at once; these tests turn the deferral on, as a terminal
does, and read the panes the real app mounts later."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_preset
from textual.pilot import Pilot

from nnbench.tui.app import NnbenchApp, make_app
from nnbench.tui.screens.compile_pane import CompilePane
from nnbench.tui.screens.data_pane import DataPane
from nnbench.tui.screens.fit_pane import FitPane
from nnbench.tui.screens.main_screen import MainScreen
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


async def test_the_first_frame_has_build_only_and_the_rest_follows_with_the_preset(
        runs_dir: Path) -> None:
    preset = tiny_preset(compile={"loss": "mean_squared_error"}, fit={"epochs": 7})
    app: NnbenchApp = make_app(preset, runs_dir=runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        main = app.main
        await until(pilot, lambda: main.panes_ready)
        await pilot.pause()
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


async def test_a_tab_asked_for_at_once_is_built_first(runs_dir: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MainScreen, "DEFER_SECONDS", 60.0)  # the rest would wait a minute
    app: NnbenchApp = make_app(tiny_preset(), runs_dir=runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        assert not app.main.panes_ready
        assert not app.main.query(FitPane) and not app.main.query(CompilePane)
        assert app.main.refused_values() == [], "nothing typed where nothing is built"
        await pilot.press("alt+3")
        await until(pilot, lambda: bool(app.main.query(FitPane)))
        assert app.main.query_one("TabbedContent").active == "fit"  # type: ignore[attr-defined]
        assert not app.main.query(CompilePane) and not app.main.query(DataPane)
        assert not app.main.panes_ready
        await pilot.press("alt+2")
        await pilot.press("alt+4")
        await until(pilot, lambda: app.main.panes_ready)
        assert len(app.main.query(FitPane)) == 1, "each pane is built once"
