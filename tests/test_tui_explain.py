"""The explanation panel in the Compile and Fit views, driven by keys: the focused field's
explanation shows under the form, F2 hides and shows it, and Korean fits 80x24 by cell width."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_preset
from rich.cells import cell_len
from textual.pilot import Pilot

from nnbench.core.explain import explain
from nnbench.tui.app import NnbenchApp, make_app
from nnbench.tui.widgets.explain_panel import ExplainPanel
from nnbench.tui.widgets.param_field import ParamField

SIZE = (80, 24)


@pytest.fixture(scope="module", autouse=True)
def keras_loaded() -> None:
    """TensorFlow loaded once, before the first app: imported in the app's checking thread on a
    busy machine, it can hold the first screen past run_test's wait."""
    from nnbench.core.keras_env import import_keras

    import_keras()


@pytest.fixture(autouse=True)
def english(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNBENCH_PRESETS_DIR", str(tmp_path / "presets"))
    monkeypatch.setenv("NNBENCH_LANG", "en")


def app_on(runs_dir: Path, **changes: Any) -> NnbenchApp:
    return make_app(tiny_preset(**changes), runs_dir=runs_dir)


def panel(app: NnbenchApp, tab: str) -> ExplainPanel:
    return app.main.query_one(f"#{tab}-explain", ExplainPanel)


async def focus(pilot: Pilot[Any], widget: Any) -> None:
    widget.focus()
    await pilot.pause()


def screen_lines(app: NnbenchApp) -> list[str]:
    """The composited screen as the terminal gets it (Textual's compositor, a private API: fail
    loudly when it changes)."""
    strips = list(app.screen._compositor.render_strips())
    assert strips, "Textual's compositor API changed: no strips"
    return ["".join(segment.text for segment in strip) for strip in strips]


def panel_text_on_screen(app: NnbenchApp, shown: ExplainPanel) -> str:
    """The panel's explanation as drawn on screen (below its border and title), words joined."""
    region = shown.region
    lines = screen_lines(app)[region.y + 2: region.y + region.height]
    return " ".join(" ".join(line.split()) for line in lines).strip()


async def test_focusing_the_loss_shows_its_explanation_and_f2_hides_it(runs_dir: Path) -> None:
    app = app_on(runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        shown = panel(app, "compile")
        await focus(pilot, app.main.query_one("#optimizer", ParamField))
        assert shown.explanation is not None and shown.explanation.name == "adam"
        await focus(pilot, app.main.query_one("#loss", ParamField))
        assert shown.display and shown.explanation is not None
        assert (shown.explanation.kind, shown.explanation.name) == (
            "loss", "sparse_categorical_crossentropy")
        assert shown.text == explain("sparse_categorical_crossentropy", "en").text
        assert panel_text_on_screen(app, shown) == shown.text

        await pilot.press("f2")
        assert not shown.display
        assert "Cross-entropy" not in "\n".join(screen_lines(app))
        await pilot.press("f2")
        assert shown.display


async def test_the_panel_follows_the_chosen_loss_the_optimizer_and_the_metrics(
        runs_dir: Path) -> None:
    app = app_on(runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        shown = panel(app, "compile")
        await focus(pilot, app.main.query_one("#loss", ParamField))
        await pilot.press("enter", *"huber", "enter")
        await pilot.pause()
        assert app.preset.compile.loss == "huber"
        assert shown.explanation is not None and shown.explanation.name == "huber"

        rate = app.main.compile_pane.query_one(".opt-param", ParamField)
        await focus(pilot, rate.control)
        assert shown.explanation is not None and shown.explanation.name == "learning_rate"

        await focus(pilot, app.main.query_one("#metrics"))
        assert shown.explanation is not None and shown.explanation.name == "accuracy"
        await pilot.press("down", "down")
        assert shown.explanation is not None and (shown.explanation.kind,
                                                  shown.explanation.name) == ("metric", "recall")


async def test_fit_explains_its_fields_and_callbacks_and_f2_holds_in_every_view(
        runs_dir: Path) -> None:
    app = app_on(runs_dir, callbacks={"EarlyStopping": {"patience": 2}})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        shown = panel(app, "fit")
        await focus(pilot, app.main.query_one("#batch_size", ParamField).control)
        assert shown.explanation is not None and shown.explanation.name == "batch_size"
        await focus(pilot, app.main.query_one("#enable-EarlyStopping"))
        assert shown.explanation is not None and shown.explanation.kind == "callback"
        assert shown.explanation.name == "EarlyStopping"
        patience = next(f for f in app.main.fit_pane.query(".cb-EarlyStopping")
                        if isinstance(f, ParamField) and f.param.name == "patience")
        await focus(pilot, patience.control)
        assert shown.explanation is not None and shown.explanation.name == "patience"

        await pilot.press("f2")  # hidden here: hidden in Compile too, and after a rebuild
        assert not shown.display
        await pilot.press("escape", "2")  # out of the field (a digit types there), to Compile
        await pilot.pause()
        assert app.main.query_one("#tabs").active == "compile"
        assert not panel(app, "compile").display
        app.main.compile_pane.show_preset(app.preset)
        await pilot.pause()
        assert not panel(app, "compile").display


@pytest.mark.parametrize("tab", ["compile", "fit"])
async def test_korean_explanations_fit_80x24_by_cell_width(
        tab: str, runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNBENCH_LANG", "ko")
    app = app_on(runs_dir, callbacks={"EarlyStopping": {"patience": 2}})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2" if tab == "compile" else "3")
        shown = panel(app, tab)
        if tab == "compile":
            targets = [app.main.query_one("#loss", ParamField).control,
                       app.main.compile_pane.query_one(".opt-param", ParamField).control]
        else:  # inside the callbacks' indented fields, whose edges once cut wide characters
            targets = [f.control for f in app.main.fit_pane.query(".cb-EarlyStopping")
                       if isinstance(f, ParamField)][:3]
        for target in targets:
            await focus(pilot, target)
            assert shown.explanation is not None and shown.explanation.lang == "ko"
            lines = screen_lines(app)
            assert all(cell_len(line) == SIZE[0] for line in lines)
            # Every character of the Korean text is on screen, none cut at an edge or lost.
            assert panel_text_on_screen(app, shown) == " ".join(shown.explanation.text.split())
            assert "F2로 숨기기" in lines[shown.region.y + 1]
