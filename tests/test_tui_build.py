"""The build side of the app, driven by keys: layers, compile and fit fields, data, presets.

Real Keras checks the stacks (in the app's thread worker); the first test that needs it pays the
import once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import SharedChecker, settle, tiny_preset
from textual.pilot import Pilot
from textual.widgets import Footer, Input, RichLog, Static, TabbedContent
from textual.widgets._footer import FooterKey

from nnbench.core.preset import Preset, load_preset
from nnbench.core.runs import RunStore
from nnbench.tui.app import NnbenchApp, make_app, open_app
from nnbench.tui.messages import PresetChanged, TrainingStateChanged
from nnbench.tui.screens.confirm import ConfirmScreen
from nnbench.tui.screens.error_modal import ErrorModal
from nnbench.tui.screens.layer_edit import LayerEditScreen
from nnbench.tui.screens.log_pane import LogPane
from nnbench.tui.screens.save_preset import SavePresetScreen
from nnbench.tui.widgets.layer_stack import LayerStack
from nnbench.tui.widgets.param_field import ParamField
from nnbench.tui.widgets.too_small import TooSmall

SIZE = (120, 40)
BAD_PRESETS = Path(__file__).parent / "bad_presets"


@pytest.fixture(autouse=True)
def user_presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "presets"
    monkeypatch.setenv("NNBENCH_PRESETS_DIR", str(folder))
    return folder


def app_on(preset: Preset | str, runs_dir: Path) -> NnbenchApp:
    return make_app(load_preset(preset) if isinstance(preset, str) else preset, runs_dir=runs_dir)


async def checked(pilot: Pilot[Any], timeout: float = 60) -> None:
    """Wait until the build view shows the check of the stack now on screen."""
    app: NnbenchApp = pilot.app  # type: ignore[assignment]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        build = app.main.build_pane
        if build.analysis_current and build._timer is None:
            await pilot.pause()
            return
    raise AssertionError("the model check never finished")


async def until(pilot: Pilot[Any], check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


def preset_changes(seen: list[Any]) -> list[str]:
    """The reasons of the PresetChanged messages posted (the hook sees each hop of a bubble)."""
    unique = {id(m): m for m in seen if isinstance(m, PresetChanged)}
    return [m.reason for m in unique.values()]


def text_of(app: NnbenchApp, selector: str) -> str:
    return str(app.main.query_one(selector, Static).render())


def totals(app: NnbenchApp) -> str:
    return text_of(app, "#totals")


async def type_into(pilot: Pilot[Any], field: ParamField, text: str) -> None:
    """Focus a field's input, clear it and type like a person."""
    field.control.focus()
    await pilot.pause()
    control = field.control
    assert isinstance(control, Input)
    control.value = ""
    await pilot.press(*text)
    await pilot.pause()


async def choose(pilot: Pilot[Any], option: str) -> None:
    """On a focused select: open it, type to find the option, pick it."""
    await pilot.press("enter", *option, "enter")


# --- the layer stack ------------------------------------------------------------------------------


async def test_building_fashion_mlp_from_nothing_by_keys_shows_266610(runs_dir: Path) -> None:
    seen: list[Any] = []
    app = app_on("digits-mlp", runs_dir)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await checked(pilot)
        await pilot.press("d", "d", "d", "d")
        await checked(pilot)
        assert app.preset.model.layers == []
        assert "no layers" in text_of(app, "#problem")

        await pilot.press("a", *"input", "enter")
        assert isinstance(app.screen, LayerEditScreen)
        await pilot.press(*"28, 28", "enter")
        await pilot.press("a", *"flatten", "enter")
        for units, activation in (("300", "relu"), ("100", "relu"), ("10", "softmax")):
            await pilot.press("a", *"dense", "enter")
            await pilot.press(*units, "tab")
            await choose(pilot, activation)
            await pilot.press("ctrl+s")
            await pilot.pause()
        await checked(pilot)

        assert "Total params: 266,610" in totals(app)
        assert "Trainable: 266,610" in totals(app)
        layers = [layer.to_toml() for layer in app.preset.model.layers]
        assert layers == [
            {"type": "Input", "shape": [28, 28]},
            {"type": "Flatten"},
            {"type": "Dense", "units": 300, "activation": "relu"},
            {"type": "Dense", "units": 100, "activation": "relu"},
            {"type": "Dense", "units": 10, "activation": "softmax"},
        ]
        stack = app.main.query_one(LayerStack)
        assert [str(c) for c in stack.get_row_at(2)][3:] == ["(None, 300)", "235,500"]
        assert app.unsaved and app.title.endswith("•")
        reasons = preset_changes(seen)
        assert reasons[:4] == ["remove layer 1 (Input)", "remove layer 1 (Dense)",
                               "remove layer 1 (Dropout)", "remove layer 1 (Dense)"]
        assert reasons[4:] == ["add Input", "add Flatten", "add Dense", "add Dense", "add Dense"]


@pytest.mark.parametrize(("preset", "total"), [("fashion-dropout", "79,510"),
                                              ("imdb-sentiment", "160,289"),
                                              ("fashion-mlp", "266,610")])
async def test_tutorial_presets_show_their_keras_totals(preset: str, total: str,
                                                        runs_dir: Path) -> None:
    app = app_on(preset, runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        assert f"Total params: {total} " in totals(app)
        assert not app.unsaved


@pytest.mark.parametrize("preset", ["cancer-binary", "diabetes-regression", "digits-cnn",
                                    "digits-mlp"])
async def test_every_bundled_preset_opens_clean_and_builds(preset: str, runs_dir: Path) -> None:
    app = app_on(preset, runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        assert text_of(app, "#problem") == ""
        assert "Total params: " in totals(app) and "does not build" not in totals(app)
        assert not app.unsaved and app.title == preset


async def test_moving_and_editing_a_layer_updates_rows_and_totals(runs_dir: Path) -> None:
    app = app_on("fashion-mlp", runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        stack = app.main.query_one(LayerStack)
        stack.move_cursor(row=3)
        await pilot.press("enter")
        assert isinstance(app.screen, LayerEditScreen)
        units = app.screen.query_one("#field-units", ParamField)
        await type_into(pilot, units, "50")
        await pilot.press("enter")
        await checked(pilot)
        assert app.preset.model.layers[3].params["units"] == 50
        # 784*300+300 + 300*50+50 + 50*10+10
        assert "Total params: 251,060 " in totals(app)

        await pilot.press("shift+up")  # Dense 50 above Dense 300
        await checked(pilot)
        assert [layer.params.get("units") for layer in app.preset.model.layers[2:]] == [50, 300, 10]
        assert stack.cursor_row == 2
        # 784*50+50 + 50*300+300 + 300*10+10
        assert "Total params: 57,560 " in totals(app)


async def test_k_and_j_move_the_selected_layer(runs_dir: Path) -> None:
    app = app_on("fashion-mlp", runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        app.main.query_one(LayerStack).move_cursor(row=2)
        await pilot.press("J")
        assert [layer.type for layer in app.preset.model.layers] == [
            "Input", "Flatten", "Dense", "Dense", "Dense"]
        assert [layer.params.get("units") for layer in app.preset.model.layers[2:]] == [
            100, 300, 10]
        await pilot.press("K", "K")
        assert [layer.type for layer in app.preset.model.layers][:3] == [
            "Input", "Dense", "Flatten"]


async def test_impossible_model_flags_the_row_and_the_app_keeps_running(runs_dir: Path) -> None:
    preset = tiny_preset(model={"layers": [
        {"type": "Input", "shape": [64]},
        {"type": "Conv2D", "filters": 8, "kernel_size": 3},
        {"type": "Dense", "units": 3, "activation": "softmax"},
    ]})
    app = app_on(preset, runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        problem = text_of(app, "#problem")
        assert problem.startswith("✗ layer 2 (Conv2D)")
        assert "(None, 64)" in problem
        stack = app.main.query_one(LayerStack)
        assert str(stack.get_row_at(1)[0]) == "✗"
        assert str(stack.get_row_at(0)[0]) == "1"
        assert "does not build" in totals(app)

        # Ctrl+R refuses it with the reason and stays on Build.
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.main.query_one("#tabs").active == "build"
        assert any("Conv2D" in n.message for n in app._notifications)

        # Still running: remove the bad row and the model builds.
        stack.move_cursor(row=1)
        await pilot.press("d")
        await checked(pilot)
        assert text_of(app, "#problem") == ""
        assert "Total params: 195 " in totals(app)


async def test_an_unknown_keyword_argument_is_flagged_on_its_row(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        app.main.query_one(LayerStack).move_cursor(row=1)
        await pilot.press("enter")
        other = app.screen.query_one("#field-other", ParamField)
        await type_into(pilot, other, "unitz = 3")
        await pilot.press("enter")
        await checked(pilot)
        assert app.preset.model.layers[1].params["unitz"] == 3
        assert "no parameter 'unitz'" in text_of(app, "#problem")
        assert "Did you mean 'units'?" in text_of(app, "#problem")


async def test_a_bad_value_in_the_layer_form_is_refused_at_the_field(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        app.main.query_one(LayerStack).move_cursor(row=1)
        await pilot.press("enter")
        units = app.screen.query_one("#field-units", ParamField)
        await type_into(pilot, units, "eight")
        assert units.reason == "must be a whole number, not 'eight'"
        assert "✗ must be a whole number" in str(units.query_one(".note", Static).render())
        await pilot.press("enter")  # refused: the form stays open
        assert isinstance(app.screen, LayerEditScreen)
        await pilot.press("escape")
        assert app.preset.model.layers[1].params["units"] == 8
        assert not app.unsaved


# --- compile, fit, data -------------------------------------------------------------------------


async def test_invalid_fit_and_compile_values_are_refused_with_a_reason(runs_dir: Path) -> None:
    seen: list[Any] = []
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await pilot.press("3")
        epochs = app.main.query_one("#epochs", ParamField)
        await type_into(pilot, epochs, "-1")
        assert epochs.reason == "must be at least 1, not -1"
        assert app.preset.fit.epochs == 3
        await type_into(pilot, epochs, "12")
        assert epochs.reason is None and app.preset.fit.epochs == 12

        await pilot.press("shift+tab", "2")  # off the field (numbers type there), to Compile
        assert app.main.query_one("#tabs").active == "compile"
        rate = app.main.compile_pane.query_one(".opt-param", ParamField)
        assert rate.param.name == "learning_rate"
        await type_into(pilot, rate, "abc")
        assert rate.reason is not None and rate.reason.startswith("must be a number")
        assert "learning_rate" not in app.preset.compile.optimizer.params
        await type_into(pilot, rate, "0")
        assert rate.reason == "must be greater than 0, not 0"
        await type_into(pilot, rate, "0.01")
        assert app.preset.compile.optimizer.params == {"learning_rate": 0.01}
        # "12" is typed one key at a time: 1, then 12; "0.01" is refused until complete.
        assert preset_changes(seen) == ["epochs", "epochs", "optimizer learning_rate"]


async def test_switching_optimizer_shows_its_parameters(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        app.main.query_one("#optimizer", ParamField).focus()
        await choose(pilot, "sgd")
        await pilot.pause()
        names = [f.param.name for f in app.main.compile_pane.query(".opt-param")]
        assert names == ["learning_rate", "momentum", "nesterov"]
        assert app.preset.compile.optimizer.type == "sgd"
        momentum = app.main.compile_pane.query(".opt-param")[1]
        assert isinstance(momentum, ParamField)
        await type_into(pilot, momentum, "1.5")
        assert momentum.reason == "must be at most 1, not 1.5"
        await type_into(pilot, momentum, "0.9")
        assert app.preset.compile.optimizer.params == {"momentum": 0.9}


async def test_validation_mode_and_its_value(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        split = app.main.query_one("#validation-split", ParamField)
        await type_into(pilot, split, "1.5")
        assert split.reason == "must be less than 1, not 1.5"
        assert app.preset.fit.validation_split == 0.2  # refused: the preset keeps 0.2
        app.main.query_one("#validation", ParamField).focus()
        await choose(pilot, "first")
        await pilot.pause()
        first = app.main.query_one("#validation-first", ParamField)
        assert first.display and not split.display
        await type_into(pilot, first, "30")
        fit = app.preset.fit
        assert (fit.validation_split, fit.validation_first, fit.validation_data) == (None, 30, None)
        app.main.query_one("#validation", ParamField).focus()
        await choose(pilot, "test")
        await pilot.pause()
        fit = app.preset.fit
        assert (fit.validation_split, fit.validation_first, fit.validation_data) == (
            None, None, "test")


async def test_enabling_early_stopping_adds_the_callback(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        app.main.query_one("#enable-EarlyStopping").focus()
        await pilot.press("space")
        await pilot.pause()
        assert app.preset.callbacks == {"EarlyStopping": {}}
        patience = app.main.fit_pane.query(".cb-EarlyStopping")[1]
        assert isinstance(patience, ParamField) and patience.param.name == "patience"
        await type_into(pilot, patience, "2")
        assert app.preset.callbacks == {"EarlyStopping": {"patience": 2}}


async def test_a_failing_data_load_shows_its_message(runs_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    app = app_on(tiny_preset(data={"source": f"csv:{missing}", "test_split": 0.2}), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await pilot.click("#load")
        await settle(app)
        await pilot.pause()
        result = app.main.query_one("#data-result", Static)
        assert result.has_class("-error")
        assert str(missing) in str(result.render())
        assert any(str(missing) in n.message for n in app._notifications)
        await pilot.press("1")  # still running
        assert app.main.query_one("#tabs").active == "build"


async def test_loading_data_shows_counts_shape_and_classes(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await pilot.click("#load")
        await settle(app)
        await pilot.pause()
        text = str(app.main.query_one("#data-result", Static).render())
        assert "input shape (4)" in text
        assert "3 classes" in text
        assert app.data_info is not None and app.data_info.num_classes == 3


async def test_choosing_a_csv_source_keeps_the_old_one_until_a_path_is_typed(
        runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        app.main.query_one("#kind", ParamField).focus()
        await choose(pilot, "csv")
        await pilot.pause()
        assert app.preset.data.source == "sklearn:iris"
        path = app.main.query_one("#path", ParamField)
        assert path.display
        await type_into(pilot, path, "data/flowers.csv")
        assert app.preset.data.source == "csv:data/flowers.csv"
        assert app.preset.data.test_split == 0.2


# --- presets --------------------------------------------------------------------------------------


async def test_opening_a_bad_preset_shows_its_message_and_keeps_the_app(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o", "tab", *str(BAD_PRESETS / "epochs_zero.toml"), "enter")
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        message = str(app.screen.query_one("#error-message", Static).render())
        assert "epochs_zero.toml" in message and "fit.epochs" in message
        await pilot.press("enter")
        assert not isinstance(app.screen, ErrorModal)
        assert app.preset.name == "tiny-iris"


async def test_opening_a_bundled_preset_by_name(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o", "tab", *"fashion-dropout", "enter")
        await checked(pilot)
        assert app.preset.name == "fashion-dropout"
        assert "Total params: 79,510 " in totals(app)
        assert not app.unsaved, "rebuilding the fields must not count as an edit"
        assert app.main.query_one("#epochs", ParamField).control.value == "20"  # type: ignore[attr-defined]


async def test_user_presets_are_listed_and_open(runs_dir: Path, user_presets: Path) -> None:
    user_presets.mkdir()
    mine = tiny_preset().copy_with(name="mine", description="my iris")
    (user_presets / "mine.toml").write_text(mine.to_toml(), encoding="utf-8")
    app = app_on("digits-mlp", runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        options = app.screen.query_one("#preset-options")
        assert options.options[-1].id == f"path:{user_presets / 'mine.toml'}"  # type: ignore[attr-defined]
        await pilot.press("end", "enter")
        await checked(pilot)
        assert app.preset == mine
        assert app.preset_path == (user_presets / "mine.toml").resolve()
        assert app.sub_title == str(app.preset_path)


async def test_discarding_unsaved_changes_asks_first(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        assert app.unsaved
        edited = app.preset
        await pilot.press("ctrl+o", "tab", *"digits-mlp", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "discard the unsaved changes to tiny-iris" in str(
            app.screen.query_one("#question", Static).render())
        await pilot.press("n")
        assert app.preset is edited and app.unsaved

        await pilot.press("ctrl+o", "tab", *"digits-mlp", "enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.preset.name == "digits-mlp" and not app.unsaved


async def test_saved_preset_loads_back_identically(runs_dir: Path, user_presets: Path) -> None:
    app = app_on("fashion-dropout", runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await type_into(pilot, app.main.query_one("#epochs", ParamField), "7")
        assert app.unsaved
        await pilot.press("ctrl+s")
        await pilot.pause()
        name = app.screen.query_one("#save-name", Input)
        name.value = "my-dropout"
        await pilot.press("enter")
        await pilot.pause()
        saved = user_presets / "my-dropout.toml"
        assert saved.is_file()
        assert load_preset(saved) == app.preset
        assert app.preset.name == "my-dropout" and app.preset.fit.epochs == 7
        assert not app.unsaved and app.title == "my-dropout"
        assert app.preset_path == saved.resolve()


async def test_quitting_with_unsaved_changes_asks_first(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        assert app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0


# --- the shell ------------------------------------------------------------------------------------


async def test_quitting_while_training_leaves_the_run_training_in_its_own_process(
        runs_dir: Path, shared_checker: SharedChecker) -> None:
    from nnbench.core.control import request

    app = app_on(tiny_preset(fit={"epochs": 500, "batch_size": 4}), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        released = shared_checker.releases
        await pilot.press("ctrl+r")
        deadline = time.monotonic() + 90
        # The run folder says an epoch ended, however the run is attached to the app.
        while not any(r.epochs_done >= 1 for r in RunStore(runs_dir).list()):
            assert time.monotonic() < deadline, "no epoch ended"
            await pilot.pause(0.05)
        assert app.training
        # Its process gets the cores and memory the checking helper held.
        await until(pilot, lambda: shared_checker.releases > released)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "goes on training in its own process" in app.screen.question
        await pilot.press("y")
        deadline = time.monotonic() + 60
        while app.is_running and time.monotonic() < deadline:
            await pilot.pause(0.05)
    assert app.return_code == 0
    [run] = RunStore(runs_dir).list()
    done = run.epochs_done
    deadline = time.monotonic() + 60
    while RunStore(runs_dir).read(Path(run.path)).epochs_done <= done:  # it trains on, app gone
        assert time.monotonic() < deadline, "the run stopped with the app"
        time.sleep(0.1)
    request(run.path, "stop")  # as `nnbench stop RUN` does
    deadline = time.monotonic() + 60
    while (record := RunStore(runs_dir).read(Path(run.path))).status == "running":
        assert time.monotonic() < deadline, "the run did not stop"
        time.sleep(0.1)
    assert record.status == "stopped" and done < record.epochs_done < 500
    assert (Path(run.path) / "model.keras").is_file()


# The help screen's test reads what it draws: tests/test_tui_snapshots.py.


async def test_training_keys_show_only_while_training(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = {b.binding.action for b in app.active_bindings.values()}
        assert "train" in shown and "stop_now" not in shown and "toggle_pause" not in shown
        app.post_message(TrainingStateChanged(running=True))
        await pilot.pause()
        shown = {b.binding.action for b in app.active_bindings.values()}
        assert {"stop_now", "stop_after_epoch", "toggle_pause"} <= shown


async def test_status_line_says_when_tensorflow_is_ready(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        status = app.main.status
        assert status.keras in ("Loading TensorFlow…", "TensorFlow ready")
        await settle(app)
        await pilot.pause()
        assert status.keras == "TensorFlow ready"


async def test_a_small_terminal_shows_the_notice_and_resizing_back_restores(
        runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=(70, 20)) as pilot:
        notice = app.main.query_one(TooSmall)
        assert notice.display and notice.region.width == 70
        assert "70x20" in str(notice.render())
        assert app.main.query_one("#tabs").region.height == 0
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert notice.region.height == 0
        assert app.main.query_one(LayerStack).region.height > 5


async def test_the_log_view_shows_new_lines_of_the_log_file(runs_dir: Path,
                                                           tmp_path: Path) -> None:
    log = tmp_path / "tensorflow.log"
    log.write_text("an old session's line\n")
    app = make_app(tiny_preset(), runs_dir=runs_dir, log_path=log, log_start=log.stat().st_size)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("8")
        with log.open("a") as handle:
            handle.write("I0000 cuda_platform.cc:52] failed call to cuInit\nhalf a li")
        pane = app.main.query_one(LogPane)
        pane.poll()
        await until(pilot, lambda: bool(pane.lines))
        assert pane.lines == ["I0000 cuda_platform.cc:52] failed call to cuInit"]
        # A long line wraps at the view's width; an escape sequence in it is shown, not obeyed.
        with log.open("a") as handle:
            handle.write("ne\n" + "W tensorflow: " + "x" * 300 + " \x1b]2;pwned\x07end\n")
        pane.poll()
        await until(pilot, lambda: len(pane.lines) == 3)
        shown = [strip.text for strip in app.main.query_one("#log-lines", RichLog).lines]
        assert len(shown) > 3 and all(len(line.rstrip()) <= SIZE[0] for line in shown)
        assert not any("\x1b" in line or "\x07" in line for line in shown)
        assert "end" in "".join(shown)


def test_importing_and_building_the_app_does_not_load_tensorflow() -> None:
    code = ("import sys; from pathlib import Path; from nnbench.tui.app import make_app; "
            "make_app(runs_dir=Path('/tmp/x')); import json; "
            "print(json.dumps(sorted({m.partition('.')[0] for m in sys.modules} "
            "& {'keras', 'tensorflow'})))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


# --- what the tester found in tmux ----------------------------------------------------------------


def notices(app: NnbenchApp) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


async def test_train_and_save_refuse_a_field_holding_a_refused_value(runs_dir: Path) -> None:
    seen: list[Any] = []
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await checked(pilot)
        await pilot.press("3")
        epochs = app.main.query_one("#epochs", ParamField)
        await type_into(pilot, epochs, "-1")
        await pilot.press("shift+tab", "1")
        assert app.main.query_one("#tabs").active == "build"

        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not any(isinstance(m, TrainingStateChanged) for m in seen), "it trained anyway"
        assert app.main.query_one("#tabs").active == "fit"
        assert app.main.focused is epochs.control
        assert "Cannot train" in notices(app)
        assert "Fit › epochs: must be at least 1, not -1" in notices(app)

        app.clear_notifications()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, SavePresetScreen)
        assert "Cannot save" in notices(app) and "Fit › epochs" in notices(app)


async def test_a_refused_callback_value_is_named_with_its_callback(runs_dir: Path) -> None:
    app = app_on(tiny_preset(callbacks={"EarlyStopping": {"patience": 2}}), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        await pilot.press("3")
        patience = app.main.fit_pane.query(".cb-EarlyStopping")[1]
        assert isinstance(patience, ParamField)
        await type_into(pilot, patience, "two")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "Fit › EarlyStopping patience: must be a whole number" in notices(app)
        assert app.main.focused is patience.control


async def test_ctrl_r_in_a_layer_form_with_a_refused_value_names_it(runs_dir: Path) -> None:
    seen: list[Any] = []
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await checked(pilot)
        app.main.query_one(LayerStack).move_cursor(row=1)
        await pilot.press("enter")
        units = app.screen.query_one("#field-units", ParamField)
        await type_into(pilot, units, "0")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, LayerEditScreen)
        assert "layer form › units: must be at least 1, not 0" in notices(app)
        assert not any(isinstance(m, TrainingStateChanged) for m in seen)


def palette(app: NnbenchApp) -> dict[str, Any]:
    return {c.title: c for c in app.get_system_commands(app.main)}


async def test_the_palette_offers_every_action(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        commands = palette(app)
        for title in ("Train", "Stop training", "Stop after this epoch",
                      "Pause or resume training", "Open preset", "Save preset", "Help",
                      "Add layer", "Edit layer", "Remove layer", "Move layer up",
                      "Move layer down", "Load data", "Runs: mark run", "Runs: clear marks",
                      "Runs: refresh", "Runs: delete run", "Go to Fit", "Quit"):
            assert title in commands, title
        assert "only while training" in commands["Stop training"].help
        assert "only while training" in commands["Pause or resume training"].help
        assert "asks first" in commands["Quit"].help

        app.main.query_one(LayerStack).move_cursor(row=1)
        commands["Remove layer"].callback()
        await pilot.pause()
        assert [layer.params.get("units") for layer in app.preset.model.layers] == [None, 3]

        calls: list[str] = []
        runs_pane = app.main.runs_pane
        for action in ("toggle_mark", "clear_marks", "refresh_runs", "delete_run"):
            setattr(runs_pane, f"action_{action}", lambda action=action: calls.append(action))
        for title in ("Runs: mark run", "Runs: clear marks", "Runs: refresh", "Runs: delete run"):
            commands[title].callback()
        assert calls == ["toggle_mark", "clear_marks", "refresh_runs", "delete_run"]
        assert app.main.query_one("#tabs").active == "runs"

        commands["Stop training"].callback()
        await pilot.pause()
        assert "Nothing is training" in notices(app)


async def test_the_palette_quit_asks_first_with_unsaved_changes(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await app.run_action("command_palette")
        await pilot.press(*"quit")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.is_running


async def test_closing_a_dialog_keeps_the_tab_even_if_the_focused_widget_was_hidden(
        runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        assert app.main.focused is not None
        app.main.query_one(TabbedContent).active = "data"  # as Ctrl+R switches to Train
        await pilot.pause()
        app.push_screen(ErrorModal("Something", "went wrong"))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.main.query_one("#tabs").active == "data"


async def test_closing_a_training_error_keeps_the_train_tab(runs_dir: Path, tmp_path: Path) -> None:
    from nnbench.core.launch import launch_in_thread

    # Only loading the data finds this one: the run's own checks refuse it, in a modal.
    preset = tiny_preset(data={"source": f"csv:{tmp_path / 'gone.csv'}", "scaling": "none"})
    app = make_app(preset, runs_dir=runs_dir, launcher=launch_in_thread)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ErrorModal), 60)
        assert "gone.csv" in app.screen.message
        await pilot.press("enter")
        await pilot.pause()
        assert app.main.query_one("#tabs").active == "train"
        assert not app.training
    assert RunStore(runs_dir).list() == []  # refused before a run folder existed


async def test_a_bad_preset_on_the_command_line_opens_the_default_and_says_why(
        runs_dir: Path, tmp_path: Path) -> None:
    bad = str(BAD_PRESETS / "epochs_zero.toml")
    app = open_app(bad, runs_dir=runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        assert "fit.epochs" in str(app.screen.query_one("#error-message", Static).render())
        assert app.preset.name == "digits-mlp" and app.preset_path is None
        assert f"could not open {bad}" in app.main.status.message
        await pilot.press("enter")
        assert app.is_running and not isinstance(app.screen, ErrorModal)

    app = open_app(str(tmp_path / "nowhere.toml"), runs_dir=runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        assert "no preset file" in str(app.screen.query_one("#error-message", Static).render())


def footer_fits(app: NnbenchApp) -> tuple[list[str], bool]:
    keys = list(app.main.query_one(Footer).query(FooterKey))
    palette_key = next(k for k in keys if k.has_class("-command-palette"))
    others = [k for k in keys if k is not palette_key and k.display]
    return ([k.key for k in others],
            all(k.region.right <= palette_key.region.x for k in others)
            and palette_key.region.right <= app.size.width)


async def test_the_footer_fits_80_columns_idle_and_training(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keys, fits = footer_fits(app)
        assert fits and "ctrl+r" in keys
        app.post_message(TrainingStateChanged(running=True))
        await pilot.pause()
        keys, fits = footer_fits(app)
        assert fits, keys
        assert {"x", "e", "p", "ctrl+q"} <= set(keys) and "ctrl+r" not in keys

        await pilot.press("ctrl+r")  # still works: says a run is going
        assert "Training is already running — x stops it" in notices(app)
        app.post_message(TrainingStateChanged(running=False, status="stopped"))
        await pilot.pause()
        keys, fits = footer_fits(app)
        assert fits and "ctrl+r" in keys


async def test_focus_shows_without_colour_on_selects_and_checkboxes(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        for field_id in ("shuffle", "validation"):
            field = app.main.query_one(f"#{field_id}", ParamField)
            label = field.query_one(".label")
            assert not label.rich_style.reverse
            field.focus()
            await pilot.pause()
            assert label.rich_style.reverse and label.rich_style.bold, field_id
        toggle = app.main.query_one("#enable-EarlyStopping")
        toggle.focus()
        await pilot.pause()
        assert toggle.get_component_rich_style("toggle--label").reverse


async def test_enter_on_a_layer_form_checkbox_applies(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        app.main.query_one(LayerStack).move_cursor(row=1)
        await pilot.press("enter")
        assert isinstance(app.screen, LayerEditScreen)
        assert "ctrl+s applies" in str(app.screen.query_one(".dialog").border_subtitle)
        app.screen.query_one("#field-use_bias", ParamField).focus()
        await pilot.press("space", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, LayerEditScreen)
        assert app.preset.model.layers[1].params["use_bias"] is False


async def test_other_arguments_say_how_to_write_them(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        app.main.query_one(LayerStack).move_cursor(row=1)
        await pilot.press("enter")
        other = app.screen.query_one("#field-other", ParamField)
        await type_into(pilot, other, "64")
        assert other.reason is not None
        assert other.reason.startswith("write key = value pairs, e.g. use_bias = false")
        assert "column" not in other.reason


async def test_rows_show_the_activation_and_long_names_when_there_is_room(
        runs_dir: Path) -> None:
    app = app_on("imdb-sentiment", runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        stack = app.main.query_one(LayerStack)
        rows = [[str(c) for c in stack.get_row_at(i)] for i in range(stack.row_count)]
        assert rows[2][1:3] == ["GlobalAveragePooling1D", "global_average_pooling1d"]
        assert rows[3][1] == "Dense · relu" and rows[4][1] == "Dense · sigmoid"
    app = app_on("imdb-sentiment", runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await checked(pilot)
        stack = app.main.query_one(LayerStack)
        assert str(stack.get_row_at(2)[2]).endswith("…")  # no room at 80 columns
        assert stack.virtual_size.width <= 80


async def test_first_n_validation_starts_at_a_fifth_of_the_loaded_samples(
        runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        first = app.main.query_one("#validation-first", ParamField)
        assert first.value == 1000  # not loaded
        await pilot.press("4", "l")
        await settle(app)
        await pilot.pause()
        await pilot.press("3")
        app.main.query_one("#validation", ParamField).focus()
        await choose(pilot, "first")
        await pilot.pause()
        # iris: 150 samples, 30 for test, 120 to train on
        assert app.preset.fit.validation_first == 24
        assert "of 120 training samples" in str(first.query_one(".note", Static).render())


async def test_opening_a_preset_resets_the_status_line(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        app.main.query_one("#kind", ParamField).focus()
        await choose(pilot, "keras")
        await pilot.pause()
        assert app.main.status.message.startswith("changed: data")
        await pilot.press("ctrl+o", "tab", *"digits-mlp", "enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.preset.name == "digits-mlp"
        assert app.main.status.message == "opened digits-mlp"


async def test_the_save_dialog_edits_the_description(runs_dir: Path, user_presets: Path) -> None:
    app = app_on(tiny_preset(description="iris, small"), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        description = app.screen.query_one("#save-description", Input)
        assert description.value == "iris, small"
        description.value = "iris with 8 hidden units"
        await pilot.press("enter")
        await pilot.pause()
        saved = load_preset(user_presets / "tiny-iris.toml")
        assert saved.description == "iris with 8 hidden units"
        assert app.preset.description == "iris with 8 hidden units"


async def test_ctrl_e_exports_a_plain_keras_script_without_overwriting(
        runs_dir: Path, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fashion-dropout.py").write_text("# the user's own edits\n")
    app = app_on("fashion-dropout", runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+e")
        await until(pilot, lambda: "Exported" in notices(app))
    assert (tmp_path / "fashion-dropout.py").read_text() == "# the user's own edits\n"
    script = (tmp_path / "fashion-dropout-2.py").read_text()
    assert "layers.Dropout(rate=0.3," in script
    assert "import nnbench" not in script and "from nnbench" not in script


async def test_ctrl_e_shows_an_export_refusal_in_a_modal_and_keeps_the_app(
        runs_dir: Path, tmp_path: Path, monkeypatch: Any) -> None:
    from nnbench.core import export
    from nnbench.tui.screens.error_modal import ErrorModal

    def refuse(preset: Any) -> str:
        raise export.ExportError("model.layers[1]: cannot be written as a script")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(export, "export_script", refuse)
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+e")
        await until(pilot, lambda: isinstance(app.screen, ErrorModal))
        assert "model.layers[1]" in app.screen.message
        assert app.is_running
    assert list(tmp_path.glob("*.py")) == []


async def test_while_paused_the_status_and_the_footer_say_paused_and_resume(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.post_message(TrainingStateChanged(running=True))
        await pilot.pause()
        footer = {k.key: k.description for k in app.main.query_one(Footer).query(FooterKey)}
        assert footer["p"] == "Pause" and app.main.status.training == "training…"
        app.post_message(TrainingStateChanged(running=True, paused=True))
        await pilot.pause()
        footer = {k.key: k.description for k in app.main.query_one(Footer).query(FooterKey)}
        assert footer["p"] == "Resume" and "paused" in app.main.status.training
        app.post_message(TrainingStateChanged(running=False, status="stopped"))
        await pilot.pause()
        assert app.main.status.training == "last run stopped"
