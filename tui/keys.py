"""The keys that switch tabs from anywhere, even from inside a text field; and the bindings'
words in the interface's language (``translate_bindings``).

Alt+digit reaches Textual in two ways. Terminals with the kitty keyboard protocol send it as
``alt+2``. Most others (xterm, tmux, GNOME's) send ESC followed by the digit, and Textual's parser
turns that into the character macOS types for Option+digit (``\\x1b2`` -> ``™``), which a text field
would then insert. The app binds both names, as priority bindings, so Alt+digit switches the tab
and never lands in a field; ``tests/test_tui_newcomer.py`` feeds ESC+digit through Textual's
parser to catch the day it maps these differently.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual.binding import Binding

from nnbench.core.i18n import _
from nnbench.tui.textual_private import replace_bindings

if TYPE_CHECKING:
    from textual.dom import DOMNode

OPTION_DIGITS = {1: "inverted_exclamation_mark", 2: "trade_mark_sign", 3: "pound_sign",
                 4: "cent_sign", 5: "infinity", 6: "section_sign", 7: "pilcrow_sign",
                 8: "bullet"}
"""What Textual names ESC+digit (the macOS Option+digit characters ¡ ™ £ ¢ ∞ § ¶ •)."""


def alt_digit(n: int) -> str:
    """The binding keys of Alt+``n``, however the terminal sends it."""
    return f"alt+{n},{OPTION_DIGITS[n]}"


def translated(binding: Binding) -> Binding:
    """``binding`` with its footer description and tooltip in the interface's language.

    BINDINGS are read when a class is created, long before the language is known (a test may
    even switch it between two apps): they hold the English msgids, marked with ``N_``, and
    each app, view or dialog translates its own copy when it is created (``translate_bindings``).
    """
    return replace(binding, description=_(binding.description), tooltip=_(binding.tooltip))


def translate_bindings(node: DOMNode) -> None:
    """Translate the bindings ``node`` copied from its class (call it in ``__init__``, after
    ``super().__init__()``): what the footer and the help screen show of them."""
    replace_bindings(node, translated)
