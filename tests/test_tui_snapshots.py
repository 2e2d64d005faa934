"""Snapshots of the layouts that matter, reviewed by eye (the SVGs in tests/__snapshots__).

TensorFlow loads and the stack is checked in threads; every snapshot waits for both, so what is
captured is the settled screen, not a race.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from conftest import settle
from textual.pilot import Pilot

from nnbench.core.preset import load_preset
from nnbench.tui.app import NnbenchApp, make_app


@pytest.fixture(autouse=True)
def no_user_presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNBENCH_PRESETS_DIR", str(tmp_path / "presets"))


def app_on(name: str, tmp_path: Path) -> NnbenchApp:
    return make_app(load_preset(name), runs_dir=tmp_path / "runs")


async def settled(pilot: Pilot[Any]) -> None:
    app: NnbenchApp = pilot.app  # type: ignore[assignment]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        await settle(app)
        await pilot.pause(0.05)
        build = app.main.build_pane
        if app.keras_ready and build.analysis_current and build._timer is None:
            break
    await pilot.pause()


def test_build_view_120x40(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(app_on("fashion-mlp", tmp_path), terminal_size=(120, 40),
                        run_before=settled)


def test_build_view_80x24(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(app_on("imdb-sentiment", tmp_path), terminal_size=(80, 24),
                        run_before=settled)


def test_build_view_with_a_broken_row_80x24(snap_compare: Any, tmp_path: Path) -> None:
    async def break_it(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("down", "down", "d")  # GlobalAveragePooling1D gone: Dense sees steps
        await settled(pilot)
        pilot.app.clear_notifications()  # its toast times out: keep the capture deterministic
        await pilot.pause()

    assert snap_compare(app_on("imdb-sentiment", tmp_path), terminal_size=(80, 24),
                        run_before=break_it)


def test_layer_form_80x24(snap_compare: Any, tmp_path: Path) -> None:
    async def edit(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("down", "down", "enter")
        await pilot.pause()

    assert snap_compare(app_on("fashion-mlp", tmp_path), terminal_size=(80, 24),
                        run_before=edit)


def test_compile_view_80x24(snap_compare: Any, tmp_path: Path) -> None:
    async def compile_tab(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(app_on("fashion-dropout", tmp_path), terminal_size=(80, 24),
                        run_before=compile_tab)


def test_terminal_too_small(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(app_on("digits-mlp", tmp_path), terminal_size=(60, 20),
                        run_before=settled)
