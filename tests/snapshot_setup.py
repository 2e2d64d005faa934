"""What the snapshot tests share (tests/test_tui_snapshots.py, tests/test_tui_korean.py): an app on
a bundled preset with no user presets beside it and its runs in the test's own folder, and the wait
for its settled screen."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from conftest import settle
from textual.pilot import Pilot

from nnbench.core.preset import load_preset
from nnbench.tui.app import NnbenchApp, make_app

SETTLE_SECONDS = 60
"""The longest a snapshot waits for TensorFlow and the check (a loaded machine takes a while)."""


def no_user_presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty user presets folder: the presets of whoever runs the tests never show in a
    snapshot (call it from an autouse fixture)."""
    monkeypatch.setenv("NNBENCH_PRESETS_DIR", str(tmp_path / "presets"))


def app_on(name: str, tmp_path: Path) -> NnbenchApp:
    """The app on the bundled preset ``name``, its runs under ``tmp_path``."""
    return make_app(load_preset(name), runs_dir=tmp_path / "runs")


async def settled(pilot: Pilot[Any]) -> None:
    """TensorFlow loaded and the stack checked: what is captured is the settled screen, not a
    race (both happen in threads)."""
    app: NnbenchApp = pilot.app  # type: ignore[assignment]
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        await settle(app)
        await pilot.pause(0.05)
        build = app.main.build_pane
        if app.keras_ready and build.analysis_current and build._timer is None:
            break
    await pilot.pause()
