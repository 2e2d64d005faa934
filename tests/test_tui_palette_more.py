"""Every palette command on the other half of the bundled presets (tests/test_tui_palette.py has
the first half and the test itself): a file of its own so the two halves run on both workers."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_palette import every_command_survives

THERE = ["cancer-binary", "digits-mlp", "fashion-dropout", "fashion-mlp"]
"""This file's share; with tests/test_tui_palette.py's HERE, every preset (a test checks that)."""


@pytest.fixture(autouse=True)
def somewhere_else(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # Export writes its script here
    monkeypatch.setenv("NNBENCH_PRESETS_DIR", str(tmp_path / "presets"))


@pytest.mark.parametrize("preset", THERE)
async def test_every_palette_command_survives_every_preset(preset: str, runs_dir: Path) -> None:
    await every_command_survives(preset, runs_dir)
