"""The Textual private names nnbench relies on (tui/textual_private.py) still exist and still do
what nnbench needs, in the installed Textual. Each failure names the Textual version and the
symbol, so an upgrade that breaks one says where to look instead of leaving a footer, a terminal
or a checkbox quietly wrong."""

from __future__ import annotations

import importlib
import inspect
import io
import re
import sys
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static

import nnbench.tui
from nnbench.core.model import LayerRow, ModelAnalysis
from nnbench.core.preset import LayerSpec, ModelSpec
from nnbench.tui import textual_private
from nnbench.tui.textual_private import (
    OVERRIDES,
    PrivateOverride,
    option_lines,
    replace_bindings,
    terminal_driver,
)
from nnbench.tui.widgets.layer_stack import LayerStack
from nnbench.tui.widgets.metric_list import MarkedSelectionList
from nnbench.tui.widgets.param_field import FieldInput
from nnbench.tui.widgets.toggle import Toggle

TEXTUAL = version("textual")


def broken(symbol: str, what: str) -> str:
    return (f"Textual {TEXTUAL}: {symbol} {what}. nnbench relies on it (tui/textual_private.py, "
            f"last checked with Textual {textual_private.CHECKED_WITH}, pinned "
            f"textual{textual_private.SUPPORTED}): adapt the seam or the pin.")


def resolve(dotted: str) -> type[Any]:
    module, _, name = dotted.rpartition(".")
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        pytest.fail(broken(dotted, "cannot be imported"))
    assert isinstance(found, type)
    return found


# --- App._bindings -------------------------------------------------------------------------------


class KeysApp(App[None]):
    BINDINGS = [Binding("x", "stop", "Stop"), Binding("p", "pause", "Pause")]

    def action_stop(self) -> None: ...

    def action_pause(self) -> None: ...


def test_the_app_keeps_its_own_bindings_in_a_key_map() -> None:
    bindings = getattr(KeysApp(), "_bindings", None)
    assert bindings is not None, broken("App._bindings", "is gone")
    by_key = getattr(bindings, "key_to_bindings", None)
    assert isinstance(by_key, dict), broken("App._bindings.key_to_bindings", "is not a dict")
    assert all(isinstance(b, Binding) for bs in by_key.values() for b in bs), broken(
        "App._bindings.key_to_bindings", "no longer maps a key to a list of Binding")
    assert set(by_key) >= {"x", "p"}, broken("App._bindings.key_to_bindings",
                                             "does not hold the app's BINDINGS")


async def test_a_replaced_binding_is_what_the_footer_shows() -> None:
    app = KeysApp()
    async with app.run_test() as pilot:
        assert replace_bindings(app, lambda b: replace(b, description="Resume")
                                if b.action == "pause" else replace(b, show=False))
        app.refresh_bindings()
        await pilot.pause()
        active = app.active_bindings
        assert active["p"].binding.description == "Resume", broken(
            "App._bindings", "is no longer where the footer reads the app's bindings from")
        assert not active["x"].binding.show


class KeysWidget(Static, can_focus=True):
    BINDINGS = [Binding("m", "mark", "Mark")]

    def action_mark(self) -> None: ...


async def test_a_widget_s_replaced_binding_is_what_the_footer_shows() -> None:
    # tui/keys.py translates the bindings of views and dialogs, not only the app's.
    class WidgetApp(App[None]):
        def compose(self) -> ComposeResult:
            yield KeysWidget()

    app = WidgetApp()
    async with app.run_test() as pilot:
        widget = app.query_one(KeysWidget)
        assert replace_bindings(widget, lambda b: replace(b, description="Markieren")), broken(
            "DOMNode._bindings", "is not a widget's key map")
        widget.focus()
        app.refresh_bindings()
        await pilot.pause()
        assert app.active_bindings["m"].binding.description == "Markieren", broken(
            "DOMNode._bindings", "is no longer where the footer reads a widget's bindings from")


# --- the Linux driver's terminal file -----------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux driver only")
async def test_the_linux_driver_draws_on_the_file_it_keeps() -> None:  # a driver needs a loop
    from textual.drivers.linux_driver import LinuxDriver

    assert "self._file = " in inspect.getsource(LinuxDriver.__init__), broken(
        "LinuxDriver._file", "is no longer set in __init__")
    assert re.search(r"WriterThread\(\s*self\._file\s*\)",
                     inspect.getsource(LinuxDriver.start_application_mode)), broken(
        "LinuxDriver._file", "is no longer what start_application_mode hands its writer")
    if sys.__stdin__ is None:
        pytest.skip("the driver reads stdin's file number")
    terminal = io.StringIO()
    driver_class = terminal_driver(terminal)
    assert driver_class is not None
    assert driver_class(KeysApp())._file is terminal  # type: ignore[attr-defined]


# --- OptionList's line map --------------------------------------------------------------------


class OptionsApp(App[None]):
    def compose(self) -> ComposeResult:
        yield OptionList("one", "a second option long enough to wrap onto more lines", "three")

    CSS = "OptionList { width: 20; }"


async def test_an_option_list_maps_each_option_to_its_lines() -> None:
    app = OptionsApp()
    async with app.run_test():
        options = app.query_one(OptionList)
        for name in ("_index_to_line", "_heights"):
            assert isinstance(getattr(options, name, None), dict), broken(
                f"OptionList.{name}", "is gone or no longer a dict")
        first, second, third = (option_lines(options, i) for i in range(3))
        assert first == (0, 1) and second[0] == 1 and second[1] > 1, broken(
            "OptionList._index_to_line/_heights", "no longer give an option's line and height")
        assert third == (second[0] + second[1], 1)


# --- the private members our widgets override -------------------------------------------------


def _kind(member: object) -> str:
    if isinstance(member, property):
        return "property"
    if inspect.iscoroutinefunction(member):
        return "async method"
    return "method" if inspect.isfunction(member) else type(member).__name__


@pytest.mark.parametrize("override", OVERRIDES, ids=lambda o: f"{o.textual_class}.{o.name}")
def test_each_override_still_refines_a_textual_member(override: PrivateOverride) -> None:
    textual_class = resolve(override.textual_class)
    symbol = f"{override.textual_class}.{override.name}"
    member = textual_class.__dict__.get(override.name)
    assert member is not None, broken(symbol, "is gone")
    assert _kind(member) == override.kind, broken(symbol, f"is a {_kind(member)} now, "
                                                          f"not a {override.kind}")
    ours = resolve(override.overridden_by)
    assert issubclass(ours, textual_class) and override.name in ours.__dict__
    # What ``super()`` reaches from our class is Textual's, not something in between.
    above = next(c for c in ours.__mro__[1:] if override.name in c.__dict__)
    assert above.__module__.startswith("textual"), broken(symbol, f"is shadowed by {above}")


def test_every_private_override_in_the_tui_is_declared() -> None:
    declared = {o.name for o in OVERRIDES}
    seam = Path(textual_private.__file__)
    for path in Path(nnbench.tui.__file__).parent.rglob("*.py"):
        if path == seam:
            continue
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"super\(\)\.(_[a-z]\w*)", text):
            assert name in declared, f"{path}: super().{name} is not declared in {seam}"
        assert not re.search(r"\._(bindings|index_to_line|heights|line_cache)\b", text), (
            f"{path} uses a Textual private name: route it through {seam}")


class WidgetsApp(App[None]):
    edited: list[int]

    def compose(self) -> ComposeResult:
        self.edited = []
        yield Toggle(value=True)
        yield FieldInput("a\x1bb")
        yield MarkedSelectionList(("one", "one"), ("two", "two"), ("three", "three"))
        yield LayerStack()

    def on_layer_stack_edit_requested(self, message: LayerStack.EditRequested) -> None:
        self.edited.append(message.index)


async def test_the_overrides_change_what_is_drawn_and_done() -> None:
    app = WidgetsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        toggle = app.query_one(Toggle)
        assert toggle._button.plain[1] == "X", broken(
            "ToggleButton._button", "no longer draws BUTTON_INNER as the box's inside")
        toggle.value = False
        assert toggle._button.plain[1] == " "

        field = app.query_one(FieldInput)
        drawn = "".join(segment.text for segment in field.render_line(0))
        assert "a\u241bb" in drawn and "\x1b" not in drawn, broken(
            "Input._value", "is no longer what the Input draws")

        metrics = app.query_one(MarkedSelectionList)
        metrics.highlighted = 2
        metrics.focus()
        await pilot.pause()
        assert metrics.highlighted == 0, broken(
            "Widget._on_focus", "is no longer called when a widget gains focus")

        stack = app.query_one(LayerStack)
        spec = ModelSpec(layers=[LayerSpec(type="Dense", params={"units": 3})])
        stack.show(spec, ModelAnalysis(rows=[LayerRow(0, "Dense", "dense", "(None, 3)", 15)],
                                       summary=None, error=None), pending=False)
        await pilot.pause()
        await pilot.click(LayerStack, offset=(4, 1), times=2)
        await pilot.pause()
        assert app.edited == [0], broken("DataTable._on_click",
                                         "is no longer called on a click of a row")
