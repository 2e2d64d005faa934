"""Issue 7 as a newcomer met it, by keys: stale data checks, keys that edited values, problems
shown late, undo, and the small things. Each test does what the person did."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_preset
from test_tui_build import SIZE, app_on, checked, choose, notices, text_of, type_into
from textual._xterm_parser import XTermParser
from textual.widgets import Input, Tabs

from nnbench.core import catalog
from nnbench.tui.keys import OPTION_DIGITS
from nnbench.tui.messages import TrainingStateChanged
from nnbench.tui.widgets.layer_stack import LayerStack
from nnbench.tui.widgets.param_field import ParamField


@pytest.fixture(autouse=True)
def user_presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "presets"
    monkeypatch.setenv("NNBENCH_PRESETS_DIR", str(folder))
    return folder


async def load(pilot: Any) -> None:
    """Data tab, l, wait for the loader."""
    await pilot.press("alt+4")
    pilot.app.main.data_pane.load()
    deadline = time.monotonic() + 60
    await pilot.pause()
    while "loading" in text_of(pilot.app, "#load-state"):
        assert time.monotonic() < deadline, "the data never loaded"
        await pilot.pause(0.05)
    await pilot.pause()


# --- 7.2 what is loaded is the data of the settings on screen -------------------------------------


async def test_switching_the_source_forgets_the_loaded_data_everywhere(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await load(pilot)
        assert app.data_info is not None
        await checked(pilot)
        assert "data sklearn:iris: input (4), 3 classes" in text_of(app, "#checked-with")

        app.main.query_one("#set-sklearn", ParamField).focus()
        await choose(pilot, "wine")
        await pilot.pause()
        assert app.preset.data.source == "sklearn:wine"
        assert app.data_info is None, "Build must not check against iris any more"
        assert "not loaded for these settings" in text_of(app, "#load-state")
        assert text_of(app, "#data-result") == "", "still describes iris"
        await checked(pilot)
        assert "data not loaded for these settings" in text_of(app, "#checked-with")

        await load(pilot)
        assert app.data_info is not None and app.data_info.source == "sklearn:wine"
        assert "13" in text_of(app, "#data-result")  # wine has 13 features
        assert "loaded for these settings" in text_of(app, "#load-state")


async def test_changing_an_option_of_the_source_forgets_the_loaded_data(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await load(pilot)
        assert app.data_info is not None
        await type_into(pilot, app.main.query_one("#opt-max_samples", ParamField), "50")
        assert app.preset.data.max_samples == 50
        assert app.data_info is None
        assert "not loaded for these settings" in text_of(app, "#load-state")


async def test_a_failed_load_clears_what_was_loaded(runs_dir: Path, tmp_path: Path) -> None:
    csv = tmp_path / "flowers.csv"
    csv.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40)))
    app = app_on(tiny_preset(data={"source": f"csv:{csv}", "scaling": "none"}), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await load(pilot)
        assert app.data_info is not None
        csv.unlink()
        await load(pilot)
        assert app.data_info is None, "the failed load left the old data standing"
        assert "failed" in text_of(app, "#load-state")
        assert str(csv) in text_of(app, "#data-result")
        await checked(pilot)
        assert "not loaded for these settings" in text_of(app, "#checked-with")


async def test_the_counts_say_when_fit_validation_changed_since_the_load(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await load(pilot)
        await pilot.press("alt+3")
        await type_into(pilot, app.main.query_one("#validation-split", ParamField), "0.5")
        assert app.data_info is not None, "the shapes and classes still hold"
        await pilot.press("alt+4")
        assert "validation settings in Fit changed since" in text_of(app, "#data-result")


# --- 7.3 keys that navigate never edit values -----------------------------------------------------


async def test_alt_digits_switch_tabs_from_inside_a_field_and_digits_are_typed(
        runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        epochs = app.main.query_one("#epochs", ParamField)
        epochs.focus()
        await pilot.pause()
        control = epochs.control
        assert isinstance(control, Input)
        await pilot.press("end", "2")
        assert control.value == "32" and app.preset.fit.epochs == 32, "a digit is a digit"
        assert app.main.query_one("#tabs").active == "fit"

        await pilot.press("alt+2")
        assert app.main.query_one("#tabs").active == "compile"
        assert app.preset.fit.epochs == 32
        await pilot.press("alt+3", "alt+1")
        assert app.main.query_one("#tabs").active == "build"
        assert app.preset.fit.epochs == 32


def test_alt_digit_as_most_terminals_send_it_is_a_key_the_app_binds() -> None:
    """ESC+digit (xterm, tmux) reaches the app under the name tui/keys.py binds."""
    parser = XTermParser()
    for n, name in OPTION_DIGITS.items():
        keys = [getattr(e, "key", None) for e in parser.feed(f"\x1b{n}")]
        assert keys == [name], (n, keys)


async def test_alt_digit_sent_as_esc_digit_switches_tabs_from_a_field(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        epochs = app.main.query_one("#epochs", ParamField)
        epochs.focus()
        await pilot.pause()
        await pilot.press("end", OPTION_DIGITS[4])  # what Alt+4 arrives as in tmux
        assert app.main.query_one("#tabs").active == "data"
        assert epochs.control.value == "3", "the key was typed into the field"  # type: ignore[attr-defined]


async def test_escape_leaves_a_field_so_digits_switch_tabs_again(runs_dir: Path) -> None:
    app = app_on(tiny_preset(callbacks={"EarlyStopping": {"patience": 3}}), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        patience = app.main.fit_pane.query(".cb-EarlyStopping")[1]
        assert isinstance(patience, ParamField)
        patience.focus()
        await pilot.pause()
        await pilot.press("escape")
        assert isinstance(app.focused, Tabs), app.focused
        await pilot.press("4")
        assert app.main.query_one("#tabs").active == "data"
        assert app.preset.callbacks["EarlyStopping"]["patience"] == 3

        await pilot.press("1")
        assert isinstance(app.focused, LayerStack)
        await pilot.press("escape")
        assert isinstance(app.focused, Tabs)
        await pilot.press("escape")  # Build: back to the stack
        assert isinstance(app.focused, LayerStack)


async def test_the_footer_shows_how_to_switch_tabs(runs_dir: Path) -> None:
    from test_tui_build import footer_fits

    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keys, fits = footer_fits(app)
        assert "alt+1" in keys and fits, keys


async def test_the_palette_switches_tabs(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.main.query_one("#epochs", ParamField).focus()
        await app.run_action("command_palette")
        await pilot.press(*"go to data")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.main.query_one("#tabs").active == "data"


# --- 7.4 every problem at its field, as soon as it is known, all at once --------------------------


async def test_incompatible_loss_metric_and_monitor_show_at_their_fields_at_once(
        runs_dir: Path) -> None:
    seen: list[Any] = []
    app = app_on(tiny_preset(callbacks={"EarlyStopping": {"monitor": "val_loss"}}), runs_dir)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await checked(pilot)
        await pilot.press("2")
        app.main.query_one("#loss", ParamField).focus()
        await choose(pilot, "mean_squared_error")
        await pilot.pause()
        assert app.preset.compile.loss == "mean_squared_error"
        loss = app.main.query_one("#loss", ParamField)
        assert loss.problem and "sparse_categorical_crossentropy" in loss.problem
        assert "✗" in str(loss.query_one(".note").render())

        metrics = app.main.query_one("#metrics")
        metrics.focus()
        await pilot.pause()
        metrics.highlighted = list(catalog.METRICS).index("precision")
        await pilot.press("space")
        await pilot.pause()
        assert "precision" in app.preset.compile.metrics
        assert "✗ precision" in text_of(app, "#metric-problems")

        await pilot.press("3")
        monitor = next(f for f in app.main.fit_pane.query(ParamField)
                       if f.has_class("cb-EarlyStopping") and f.param.name == "monitor")
        await type_into(pilot, monitor, "val_f1")
        assert monitor.problem and "not something this model logs" in monitor.problem

        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not any(isinstance(m, TrainingStateChanged) for m in seen), "it trained anyway"
        said = notices(app)
        assert "Compile › loss" in said and "precision" in said and "monitor" in said, said


async def test_a_problem_goes_away_when_fixed(runs_dir: Path) -> None:
    app = app_on(tiny_preset(compile={"loss": "mean_squared_error"}), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        loss = app.main.query_one("#loss", ParamField)
        assert loss.problem, "shown when the preset opens, before any key"
        await pilot.press("2")
        loss.focus()
        await choose(pilot, "sparse_categorical_crossentropy")
        await pilot.pause()
        assert loss.problem is None and app.problems == []


# --- what a second newcomer pass found: finding a layer, long lists, removing by mistake ----------


def test_the_layer_search_finds_layers_by_initials_and_words_as_the_palette_does() -> None:
    from nnbench.tui.screens.add_layer import score

    gap = catalog.LAYERS["GlobalAveragePooling1D"]
    dense = catalog.LAYERS["Dense"]
    assert score("gap", gap) > score("gap", dense)
    assert score("globalavg", gap) > 0
    assert score("", dense) == 1.0
    assert score("zzzz", dense) == 0


async def test_typing_initials_in_add_layer_puts_that_layer_first(runs_dir: Path) -> None:
    from textual.widgets import OptionList

    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.main.build_pane.stack.focus()
        await pilot.press("a")
        await pilot.pause()
        for key in "gap":
            await pilot.press(key)
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        assert options.highlighted is not None
        assert str(options.get_option_at_index(options.highlighted).id).startswith("GlobalAverage")
        await pilot.press("enter")
        await pilot.pause()


async def test_home_and_end_jump_in_the_layer_stack(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        stack = app.main.query_one(LayerStack)
        stack.focus()
        await pilot.press("end")
        assert stack.cursor_row == len(app.preset.model.layers) - 1
        await pilot.press("home")
        assert stack.cursor_row == 0


async def test_removing_a_layer_says_how_to_bring_it_back_and_ctrl_z_does(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        stack = app.main.query_one(LayerStack)
        stack.focus()
        before = [layer.type for layer in app.preset.model.layers]
        await pilot.press("end", "d")
        await pilot.pause()
        assert len(app.preset.model.layers) == len(before) - 1
        assert "ctrl+z brings it back" in notices(app)
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert [layer.type for layer in app.preset.model.layers] == before


# --- the walk again: what still got in the way ----------------------------------------------------


async def saved_as(pilot: Any, name: str) -> None:
    """Ctrl+S, replace the name by typing, Enter, wait for the file."""
    await pilot.press("ctrl+s")
    await pilot.pause()
    from nnbench.tui.screens.save_preset import SavePresetScreen

    assert isinstance(pilot.app.screen, SavePresetScreen)
    pilot.app.screen.query_one("#save-name", Input).value = ""
    await pilot.press(*name)
    await pilot.pause()


async def test_saving_an_opened_preset_under_a_new_name_writes_a_new_file(
        runs_dir: Path, user_presets: Path) -> None:
    from nnbench.core.preset import load_preset, save_preset
    from nnbench.tui.app import make_app

    opened = save_preset(tiny_preset(name="skip-mlp", description="the skip connection"),
                         user_presets / "skip-mlp.toml")
    before = opened.read_text(encoding="utf-8")
    app = make_app(load_preset(opened), runs_dir=runs_dir, preset_path=opened.resolve())
    async with app.run_test(size=SIZE) as pilot:
        await saved_as(pilot, "my-fashion")
        dialog = app.screen
        # A new name is a new preset: its own file beside the opened one, and the description
        # prompt instead of the old preset's words.
        assert dialog.query_one("#save-path", Input).value == str(user_presets.resolve()
                                                                   / "my-fashion.toml")
        assert dialog.query_one("#save-description", Input).value == ""
        await pilot.press("enter")
        await pilot.pause(0.5)
    assert opened.read_text(encoding="utf-8") == before, "the opened preset was overwritten"
    assert load_preset(user_presets / "my-fashion.toml").name == "my-fashion"


async def test_the_name_as_it_was_brings_back_its_path_and_description(
        runs_dir: Path, user_presets: Path) -> None:
    app = app_on(tiny_preset(name="iris-tiny", description="tiny iris"), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await saved_as(pilot, "other")
        dialog = app.screen
        assert dialog.query_one("#save-description", Input).value == ""
        dialog.query_one("#save-name", Input).value = ""
        await pilot.press(*"iris-tiny")
        await pilot.pause()
        assert dialog.query_one("#save-description", Input).value == "tiny iris"
        assert dialog.query_one("#save-path", Input).value.endswith("iris-tiny.toml")
        # A description typed by the person stays whatever the name does.
        dialog.query_one("#save-description", Input).focus()
        await pilot.press("end", *" v2")
        dialog.query_one("#save-name", Input).focus()
        await pilot.press("end", *"-copy")
        await pilot.pause()
        assert dialog.query_one("#save-description", Input).value == "tiny iris v2"
        assert dialog.query_one("#save-path", Input).value.endswith("iris-tiny-copy.toml")


async def test_a_path_typed_in_the_open_dialog_is_kept_from_the_first_key(
        runs_dir: Path, tmp_path: Path) -> None:
    from nnbench.core.preset import save_preset

    path = save_preset(tiny_preset(name="typed"), tmp_path / "typed.toml")
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press(*str(path))  # straight away, the list has the focus
        await pilot.pause()
        assert app.screen.query_one("#preset-path", Input).value == str(path)
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert app.preset.name == "typed"


async def test_loading_keeps_the_focus_so_the_data_views_keys_still_work(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("alt+4")
        await pilot.pause()
        button = app.main.query_one("#load")
        button.focus()
        await pilot.press("l")
        await pilot.pause()
        assert app.focused is button, f"focus went to {app.focused} while loading"
        deadline = time.monotonic() + 60
        while "loading" in text_of(app, "#load-state"):
            assert time.monotonic() < deadline, "the data never loaded"
            await pilot.pause(0.05)
        assert app.focused is button
        await pilot.press("tab")
        assert app.focused is app.main.query_one("#kind").control


async def test_entering_the_metrics_list_starts_at_its_first_row(runs_dir: Path) -> None:
    app = app_on(tiny_preset(), runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("alt+2")
        metrics = app.main.query_one("#metrics")
        metrics.focus()
        await pilot.pause()
        await pilot.press("down", "down", "down")
        await pilot.press("shift+tab", "tab")  # leave the list and come back
        await pilot.pause()
        assert app.focused is metrics
        assert metrics.highlighted == 0
        chosen = list(app.preset.compile.metrics)
        await pilot.press("down", "space")  # the second row, counted from the top
        await pilot.pause()
        second = metrics.get_option_at_index(1).value
        assert set(app.preset.compile.metrics) == set(chosen) ^ {second}


def test_the_readme_second_command_reuses_the_first_commands_venv() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in quick_start.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert sum("-m venv .venv" in line for line in commands) == 1, commands
    assert ". .venv/bin/activate" in commands[1]
