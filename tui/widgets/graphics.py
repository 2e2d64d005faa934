"""How pictures reach the screen: the terminal's own graphics protocol, or half-blocks.

textual-image draws pictures with Kitty's graphics protocol or with Sixel. It finds out which one
the terminal has when ``textual_image.renderable`` is first imported: it writes two queries to
``sys.__stdout__`` (``ESC [ c`` and a Kitty query) and reads the answers from stdin in cbreak mode,
waiting up to 0.1 s for each; ``textual_image.widget`` then reads the cell size in pixels. That
only works before Textual starts (afterwards Textual's input thread takes the answers as keys),
and tmux answers for itself and drops Kitty's images. So nnbench asks once, in ``ask_terminal()``,
which the real-terminal start calls before ``app.run()``, and only where asking is safe (see
``may_ask``). Everything else (the tests, a headless app, tmux, a pipe) never imports textual-image
and draws half-blocks: ``renderer()`` is ``"halfblocks"`` until a terminal said otherwise.

Every name of textual-image nnbench uses is here; tests/test_graphics.py fails if one goes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any, Literal

Renderer = Literal["kitty", "sixel", "halfblocks"]

SETTING = "NNBENCH_PICTURES"
"""``NNBENCH_PICTURES=halfblocks`` never asks the terminal (one that answers wrongly);
``NNBENCH_PICTURES=kitty`` asks a terminal that does not name itself as Kitty-capable;
``NNBENCH_PICTURES=sixel`` asks, and draws with Sixel where the terminal has it (see
``choose_renderer``)."""

_PICKS: dict[str, Renderer] = {
    "textual_image.renderable.tgp": "kitty",
    "textual_image.renderable.sixel": "sixel",
}
"""The module of the renderable textual-image picked -> how nnbench draws; any other pick
(half cells, or Unicode when not on a terminal) is half-blocks, which nnbench draws itself."""

_renderer: Renderer = "halfblocks"
_asked = False


KITTY_TERMS = ("xterm-kitty", "xterm-ghostty")
KITTY_PROGRAMS = ("WezTerm", "ghostty")
"""Terminals that name themselves (``TERM``, ``TERM_PROGRAM``) and draw Kitty's protocol."""


def may_ask(environ: Mapping[str, str], stdin_tty: bool, stdout_tty: bool) -> bool:
    """Whether asking the terminal is worth it and safe: it names itself as one with Kitty's
    graphics (or ``NNBENCH_PICTURES=kitty|sixel`` says to ask), both ends are a terminal (the
    answer comes on stdin), not inside tmux or screen (they answer for themselves and do not pass
    Kitty's images through), not a dumb terminal, and not ``NNBENCH_PICTURES=halfblocks``.

    Asking waits up to 0.2 s for a terminal that does not answer, before the first frame: a
    terminal that gives no hint of graphics is not asked, so most starts pay nothing."""
    term = environ.get("TERM", "")
    setting = environ.get(SETTING, "").lower()
    hinted = (setting in ("kitty", "sixel") or term in KITTY_TERMS
              or environ.get("TERM_PROGRAM", "") in KITTY_PROGRAMS
              or bool(environ.get("KITTY_WINDOW_ID")))
    return (hinted and stdin_tty and stdout_tty
            and not environ.get("TMUX") and not environ.get("STY")
            and not term.startswith(("screen", "tmux")) and term not in ("", "dumb", "linux")
            and setting != "halfblocks")


def choose_renderer(picked: str | None, setting: str = "") -> Renderer:
    """How nnbench draws, given the module of the renderable textual-image picked for this
    terminal (None: the terminal was not asked) and ``NNBENCH_PICTURES``.

    Kitty's protocol wherever the terminal has it. Sixel only when the setting asks for it:
    textual-image encodes Sixel on the UI thread as it paints, about 55 ms a row of 13 digits
    here (280 ms for the 64-picture grid, and again for a row that scrolling cuts), over the
    100 ms a grid may take; Kitty's PNGs cost about 15 ms a row."""
    how = _PICKS.get(picked or "", "halfblocks")
    return "halfblocks" if how == "sixel" and setting.lower() != "sixel" else how


def ask_terminal() -> Renderer:
    """Ask the terminal once, before the app starts (where ``may_ask``), and remember the answer.

    Blocks for as long as the terminal takes to answer, 0.2 s at most when it does not."""
    global _renderer, _asked
    if not _asked:
        _asked = True
        if may_ask(os.environ, _is_tty(sys.__stdin__), _is_tty(sys.__stdout__)):
            import textual_image.renderable as picked
            import textual_image.widget  # noqa: F401  # reads the cell size while it still can

            _renderer = choose_renderer(picked.Image.__module__, os.environ.get(SETTING, ""))
    return _renderer


def renderer() -> Renderer:
    """How pictures are drawn in this process: half-blocks unless ``ask_terminal`` found more."""
    return _renderer


def picture_widget(image: Any, how: Renderer, *, width: int, height: int) -> Any:
    """A textual-image widget drawing ``image`` (a PIL image) in ``width`` x ``height`` cells with
    the terminal's protocol ``how`` ("kitty" or "sixel")."""
    from textual_image.widget import SixelImage, TGPImage

    widget = (TGPImage if how == "kitty" else SixelImage)(image)
    widget.styles.width = width
    widget.styles.height = height
    return widget


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (OSError, ValueError):  # closed
        return False
