"""Issue 7.1: nothing in the app may crash it. Every command the palette offers, run on every
bundled preset and on a functional graph: each ends as the app on its main screen, running, with
no failure reported (an unexpected exception would open "... failed").

Half the presets are here, half in tests/test_tui_palette_more.py: each file runs on one xdist
worker (``--dist loadfile``), and one file of all eight was the suite's longest."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from test_model_names import SKIP
from test_tui_build import SIZE, app_on, checked, palette

from nnbench.core.preset import bundled_presets, loads_preset
from nnbench.tui.screens.error_modal import ErrorModal

NOT_HERE = {"Quit", "Train", "Find a learning rate"}
"""Quit ends the app (its own tests); Train starts a real run (tests/test_tui_train.py); the
finder a real range test (tests/test_tui_steer.py)."""

PRESETS = sorted(bundled_presets())
HERE = ["digits-cnn", "diabetes-regression", "imdb-sentiment", "functional-graph"]
"""This file's share, by how long each took; tests/test_tui_palette_more.py has the rest."""


@pytest.fixture(autouse=True)
def somewhere_else(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # Export writes its script here
    monkeypatch.setenv("NNBENCH_PRESETS_DIR", str(tmp_path / "presets"))


async def back_to_main(pilot: Any) -> list[str]:
    """Close what a command opened; the titles of the error dialogs met on the way."""
    app = pilot.app
    failures: list[str] = []
    deadline = time.monotonic() + 20
    while app.screen is not app.main:
        assert time.monotonic() < deadline, f"stuck on {app.screen}"
        if isinstance(app.screen, ErrorModal):
            failures.append(f"{app.screen.error_title}: {app.screen.message}")
        await pilot.press("escape")
        await pilot.pause()
    return failures


async def every_command_survives(preset: str, runs_dir: Path) -> None:
    """Run every palette command on ``preset`` (a bundled name or "functional-graph")."""
    app = app_on(loads_preset(SKIP) if preset == "functional-graph" else preset, runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        titles = sorted(set(palette(app)) - NOT_HERE)
        assert len(titles) >= 15, titles
        for title in titles:
            command = palette(app).get(title)
            if command is None:  # offered only in some states (e.g. a layer selected)
                continue
            command.callback()
            for _ in range(3):
                await pilot.pause()
            failures = await back_to_main(pilot)
            assert not [f for f in failures if " failed:" in f], (title, failures)
            assert app.is_running, title


@pytest.mark.parametrize("preset", HERE)
async def test_every_palette_command_survives_every_preset(preset: str, runs_dir: Path) -> None:
    await every_command_survives(preset, runs_dir)


def test_the_two_palette_files_share_every_preset() -> None:
    from test_tui_palette_more import THERE

    assert sorted([*HERE, *THERE]) == sorted([*PRESETS, "functional-graph"])
    assert not set(HERE) & set(THERE)
