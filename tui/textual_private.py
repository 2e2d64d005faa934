"""The one seam onto Textual's private API: every private name nnbench relies on is used or declared
here, and tests/test_textual_private.py checks each against the installed Textual, naming the
version and the symbol when one has changed.

Textual offers no public way to do these; each says why it is needed. Where nnbench *overrides* a
private member (a property or handler a widget of ours refines), the override stays on the widget,
which calls ``super()``; ``OVERRIDES`` below names the Textual member it relies on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TextIO

if TYPE_CHECKING:
    from textual.app import App
    from textual.binding import Binding
    from textual.dom import DOMNode
    from textual.driver import Driver
    from textual.widgets import OptionList

CHECKED_WITH = "8.2.8"
"""The Textual version these names were last checked against (the test runs on whatever is
installed; this says where a difference started)."""
SUPPORTED = ">=8.0,<9"
"""The range pyproject.toml should pin. The names here were checked to hold on Textual 3.7.1,
5.3.0, 7.5.0, 8.0.0 and 8.2.8; the app's own tests run on 8.x. Below 9: a major release may
change any private name, and tests/test_textual_private.py says which."""


def replace_bindings(node: DOMNode, change: Callable[[Binding], Binding]) -> bool:
    """Replace each of ``node``'s own bindings with ``change(binding)``: an app's, a screen's or
    a widget's.

    A Binding's ``show`` and description are fixed when BINDINGS is read and Textual has no
    public way to change them, so this rewrites the node's key map (``DOMNode._bindings``, a
    ``BindingsMap`` of its own, copied from its class, whose ``key_to_bindings`` maps a key to
    its bindings). Returns False and changes nothing if that map is not there: the footer then
    keeps its first labels, every key still works.
    """
    by_key = getattr(getattr(node, "_bindings", None), "key_to_bindings", None)
    if not isinstance(by_key, dict):
        return False
    for key, bindings in by_key.items():
        by_key[key] = [change(b) for b in bindings]
    return True


def terminal_driver(terminal: TextIO) -> type[Driver] | None:
    """A Linux driver that draws on ``terminal`` instead of ``sys.__stderr__``.

    nnbench points fd 2 at its log file (TensorFlow writes native log lines there), and
    Textual's ``LinuxDriver`` draws on ``sys.__stderr__``, which it keeps in ``self._file`` and
    hands to its writer thread when application mode starts. None on Windows (another driver,
    which does not draw on fd 2).
    """
    import sys

    if sys.platform == "win32":
        return None
    from textual.drivers.linux_driver import LinuxDriver

    class TerminalDriver(LinuxDriver):
        def __init__(self, app: App[Any], **kwargs: Any) -> None:
            super().__init__(app, **kwargs)
            self._file = terminal  # type: ignore[assignment]  # any text file will do

    return TerminalDriver


def option_lines(option_list: OptionList, index: int) -> tuple[int, int]:
    """The first line and the number of lines of option ``index`` in ``option_list`` (an option
    may wrap onto several). OptionList keeps this map privately (``_index_to_line``,
    ``_heights``); if they are gone this falls back to one line per option, which is right for
    the one-line options nnbench shows."""
    lines = getattr(option_list, "_index_to_line", None)
    heights = getattr(option_list, "_heights", None)
    if not isinstance(lines, dict) or not isinstance(heights, dict):
        return index, 1
    return lines.get(index, index), heights.get(index, 1)


@dataclass(frozen=True)
class PrivateOverride:
    """A private member of a Textual class that a widget of nnbench overrides and calls
    through ``super()``."""

    textual_class: str
    """Where Textual defines it (module path and class name)."""
    name: str
    kind: Literal["property", "method", "async method"]
    overridden_by: str
    """The nnbench class that overrides it (module path and class name)."""
    why: str


OVERRIDES = (
    PrivateOverride("textual.widgets._input.Input", "_value", "property",
                    "nnbench.tui.widgets.param_field.FieldInput",
                    "the value as drawn: control characters shown one visible character each"),
    PrivateOverride("textual.widgets._toggle_button.ToggleButton", "_button", "property",
                    "nnbench.tui.widgets.toggle.Toggle",
                    "the box as drawn: X when on, empty when off, readable without colour"),
    PrivateOverride("textual.widget.Widget", "_on_focus", "method",
                    "nnbench.tui.widgets.metric_list.MarkedSelectionList",
                    "entering the list highlights its first row"),
    PrivateOverride("textual.widgets._data_table.DataTable", "_on_click", "async method",
                    "nnbench.tui.widgets.layer_stack.LayerStack",
                    "a double click on a row edits that layer"),
)
"""Every private member overridden; a new ``super()._name`` in tui/ must be declared here."""
