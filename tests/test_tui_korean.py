"""The interface in Korean (NNBENCH_LANG=ko) at 80x24: a snapshot of Build, reviewed by eye
(tests/__snapshots__/test_tui_korean/), and the main views read back from the screen: every line
exactly 80 cells wide (wide characters counted as two, none cut in half at an edge) and every
translated label that should show there, whole.

The language is chosen when the app is made, not when its modules were imported: these tests run
in the same process as the English ones (the suite runs in English, tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from snapshot_setup import app_on, no_user_presets, settled
from test_tui_explain import screen_lines

from nnbench.core.i18n import _

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def korean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_user_presets(tmp_path, monkeypatch)
    monkeypatch.setenv("NNBENCH_LANG", "ko")


def test_build_view_in_korean_80x24(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(app_on("imdb-sentiment", tmp_path), terminal_size=SIZE,
                        run_before=settled)


# What each view must show whole at 80x24, as msgids: the test translates them, so it follows the
# catalogue, and checks each one is Korean (a msgid that lost its translation fails here).
LABELS = {
    "build": ["type", "name", "output shape", "params",
              "enter edit · a add · d remove · ^z undo · K/J move · g graph · F2 explain",
              "Add", "Remove", "Train", "Open", "Save", "Help", "Quit", "Tabs"],
    "compile": ["Loss", "Optimizer", "empty fields below keep Keras's defaults", "Explain"],
    "fit": ["Training", "passes over the training data (1 to 100,000)",
            "samples per gradient step", "shuffle the training samples before each epoch",
            "same seed, same history", "Validation"],
}
TOTALS = "Total params: {total}   Trainable: {trainable}   Non-trainable: {non_trainable}"


@pytest.mark.parametrize("tab", list(LABELS))
async def test_korean_views_fit_80x24_by_cell_width(tab: str, tmp_path: Path) -> None:
    app = app_on("imdb-sentiment", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        if tab != "build":
            await pilot.press("2" if tab == "compile" else "3")
            await pilot.pause()
        lines = screen_lines(app)
        assert len(lines) == SIZE[1]
        # Exactly 80 cells: none wider (text run off the edge), none narrower (a wide
        # character cut in half at a widget's edge is dropped).
        assert [cell_len(line) for line in lines] == [SIZE[0]] * SIZE[1]
        screen = "\n".join(lines)
        for msgid in LABELS[tab]:
            korean = _(msgid)
            assert korean != msgid, f"no Korean for {msgid!r}"
            assert any(korean in line for line in lines), f"{korean!r} not whole on screen:\n{screen}"
        if tab == "build":
            totals = _(TOTALS).split("{", 1)[0]  # "전체 파라미터: " before the numbers
            assert any(line.strip().startswith(totals.strip()) for line in lines), screen
            assert _("TensorFlow ready") in screen


async def test_the_help_screen_speaks_korean(tmp_path: Path) -> None:
    app = app_on("imdb-sentiment", tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        sections = app.key_sections()
        titles = [title for title, _keys in sections]
        assert titles[:3] == [_("Everywhere"), _("Build"), _("Data")] and "어디서나" in titles
        everywhere = dict(sections[0][1])
        assert everywhere["^r"] == _("Train the working preset (the Train tab shows it live)")
        assert "nnbench 키" in "\n".join(screen_lines(app))


async def test_english_and_korean_apps_in_one_process(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Bindings are class attributes read at import: each app translates its own copy.
    for lang, train in (("en", "Train"), ("ko", "훈련"), ("en", "Train")):
        monkeypatch.setenv("NNBENCH_LANG", lang)
        app = app_on("imdb-sentiment", tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            shown = {b.binding.action: b.binding.description
                     for b in app.screen.active_bindings.values()}
            assert shown["train"] == train
