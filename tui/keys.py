"""The keys that switch tabs from anywhere, even from inside a text field.

Alt+digit reaches Textual in two ways. Terminals with the kitty keyboard protocol send it as
``alt+2``. Most others (xterm, tmux, GNOME's) send ESC followed by the digit, and Textual's parser
turns that into the character macOS types for Option+digit (``\\x1b2`` -> ``™``), which a text field
would then insert. The app binds both names, as priority bindings, so Alt+digit switches the tab
and never lands in a field; ``tests/test_tui_newcomer.py`` feeds ESC+digit through Textual's
parser to catch the day it maps these differently.
"""

from __future__ import annotations

OPTION_DIGITS = {1: "inverted_exclamation_mark", 2: "trade_mark_sign", 3: "pound_sign",
                 4: "cent_sign", 5: "infinity", 6: "section_sign", 7: "pilcrow_sign",
                 8: "bullet"}
"""What Textual names ESC+digit (the macOS Option+digit characters ¡ ™ £ ¢ ∞ § ¶ •)."""


def alt_digit(n: int) -> str:
    """The binding keys of Alt+``n``, however the terminal sends it."""
    return f"alt+{n},{OPTION_DIGITS[n]}"
