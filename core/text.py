"""The one seam for text that came from outside: files, presets, data sets, run folders.

Such text is data. Before it reaches a terminal its control characters (C0, ESC, DEL, C1) are made
visible, so a name can't retitle the window, clear the screen or swallow what follows; before it
reaches Rich or Textual markup it is escaped, so ``[@click=app.quit]`` is shown, not obeyed. Tables
pad by terminal cells, not characters, so Korean and other wide text lines up.
"""

from __future__ import annotations

import unicodedata

_KEEP = {"\n": "\n", "\t": "    "}


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0:
        return f"\\x{code:02x}"
    # Bidi overrides and other invisible formatting characters can reorder what a terminal shows.
    if unicodedata.category(char) == "Cf" and char not in "\u200d\u200c":
        return f"\\u{code:04x}"
    return char


def visible_control(char: str) -> str:
    """``char``, or one visible character of one cell standing for it when it is a control or
    an invisible formatting character (C0 as the Control Pictures ␛ ␀ …, DEL as ␡, C1 and the
    rest as �): for text drawn where each character must keep its column (a text field's
    cursor). Elsewhere ``printable`` spells them out."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return "\ufffd" if _visible(char) != char else char


def printable(text: object, *, newlines: bool = False) -> str:
    """``text`` as a string whose control characters are shown as ``\\x1b``-style escapes.

    With ``newlines`` a newline stays a newline (and a tab becomes spaces): for messages of
    several lines. Without it the result is always one line.
    """
    value = text if isinstance(text, str) else str(text)
    if value.isprintable():
        return value
    out = []
    for char in value:
        if newlines and char in _KEEP:
            out.append(_KEEP[char])
        else:
            out.append(_visible(char))
    return "".join(out)


def markup_safe(text: object, *, newlines: bool = False) -> str:
    """``printable(text)`` with markup escaped: for strings that become Textual markup (border
    titles, a ``Static`` with markup on). Outside text that is not markup goes in a ``Text``.

    Every ``[`` is escaped, not only those that start a tag: ``\\x1b[2J`` followed by ``[/b]``
    would otherwise swallow the tag that closes it. Textual reads only the backslash right
    before a ``[``, so other backslashes show as themselves; one at the very end would escape the
    markup after it, so a space follows it.
    """
    shown = printable(text, newlines=newlines).replace("[", "\\[")
    return shown + " " if shown.endswith("\\") else shown


def cell_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (East Asian) characters take two."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def cell_cut(text: str, width: int, ellipsis: str = "…") -> str:
    """``text`` cut to at most ``width`` columns, ending with ``ellipsis`` when cut."""
    if cell_width(text) <= width:
        return text
    room = max(width - cell_width(ellipsis), 0)
    out, used = [], 0
    for char in text:
        w = 0 if unicodedata.combining(char) else (
            2 if unicodedata.east_asian_width(char) in ("W", "F") else 1)
        if used + w > room:
            break
        out.append(char)
        used += w
    return "".join(out) + (ellipsis if width >= cell_width(ellipsis) else "")


def cell_pad(text: str, width: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``width`` columns (``<`` left, ``>`` right)."""
    gap = max(width - cell_width(text), 0)
    return " " * gap + text if align == ">" else text + " " * gap
