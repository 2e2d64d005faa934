"""The one place nnbench reaches into plotext's private API (plotext 6).

plotext 6 gives one public figure, ``plotext.figure``, the master figure of the one public
``plotext.terminal``, and sizes it from the real terminal. A chart widget needs a figure of its own
(two charts must never share state) whose size is the widget's, not the terminal's: so it makes a
terminal of its own, from the class of the public one, and takes that terminal's master figure,
``terminal._master``, which plotext does not export. That is all this module borrows.

tests/test_private_keras_plotext.py resolves what is borrowed and fails, naming the plotext version
and the symbol, when an upgrade moves it; pyproject.toml pins ``plotext>=6.1,<7`` for the same reason.
"""

from __future__ import annotations

import re
from typing import Any

from rich.color import Color
from rich.style import Style
from rich.text import Span, Text

from nnbench.core.errors import NnbenchError
from nnbench.core.i18n import N_

CHECKED_WITH = "6.1.0"
"""The plotext version these names were last checked against (the test runs on whatever is
installed; this says where a difference started)."""
SUPPORTED = ">=6.1,<7"
"""The range pyproject.toml pins: plotext 6's figure API, which the charts are written in."""

PRIVATE_SYMBOLS = ("type(plotext.terminal)()", "terminal._master")
"""What is borrowed: a new instance of the public terminal's class, and its master figure."""


class PlotextChanged(NnbenchError):
    """The installed plotext no longer has what the charts borrow from it."""

    title = N_("Chart library changed")


def plotext_version() -> str:
    import plotext

    return str(getattr(plotext, "__version__", "unknown"))


def own_figure() -> Any:
    """A plotext figure of its own, sized only by ``plot_size`` (never by the real terminal).

    Raises:
        PlotextChanged: this plotext has no terminal class to instantiate or no ``_master`` on it.
    """
    import plotext

    try:
        terminal = type(plotext.terminal)()
        # Not limited to the real terminal's size: a widget is as big as its layout makes it.
        terminal.limit(False, False)
        figure = terminal._master
    except (AttributeError, TypeError) as exc:
        raise PlotextChanged(
            f"plotext {plotext_version()} changed what the charts use ({exc}): nnbench needs a "
            f"figure of its own from {' and '.join(PRIVATE_SYMBOLS)}, as in plotext {CHECKED_WITH}; "
            f"install plotext{SUPPORTED} or adapt tui/widgets/plotext_private.py") from None
    for method in ("plot_size", "build", "signal", "draw", "line", "ruler", "clear"):
        if not hasattr(figure, method):
            raise PlotextChanged(
                f"plotext {plotext_version()}: the figure from terminal._master has no {method}(); "
                f"nnbench's charts are written for plotext{SUPPORTED} "
                "(tui/widgets/plotext_private.py)")
    return figure


# --- the figure's text -----------------------------------------------------------------------------
# plotext builds an ANSI string. Rich's ``Text.from_ansi`` reads any ANSI and takes a third of a
# chart's redraw; plotext 6 writes only resets and 256-colour foregrounds and backgrounds, which
# this reads in one pass. Anything else (a plotext that writes more) goes through Rich's decoder.

_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # other escapes, and what Rich would strip or expand


def figure_text(ansi: str) -> Text:
    """plotext's output as Rich ``Text`` (no wrap, cropped), keeping foregrounds only.

    The same Text as ``foreground_only(Text.from_ansi(ansi, no_wrap=True, overflow="crop",
    end=""))``, built faster for what plotext writes.
    """
    plain: list[str] = []
    spans: list[Span] = []
    styles: dict[tuple[int | None, int | None], Style | None] = {}
    fg: int | None = None
    bg: int | None = None
    offset = 0
    for number, line in enumerate(ansi.split("\n")):  # as Rich splits lines
        if number:
            plain.append("\n")
            offset += 1
        line = line.rsplit("\r", 1)[-1]  # as a terminal (and Rich) shows a carriage return
        start = 0
        for match in (*_SGR.finditer(line), None):
            chunk = line[start:match.start() if match else len(line)]
            if chunk:
                if _CONTROL.search(chunk):  # nothing plotext 6 writes: Rich knows what to do
                    return _rich_text(ansi)
                key = (fg, bg)
                style = styles[key] if key in styles else styles.setdefault(key, _style(fg, bg))
                if style is not None:
                    spans.append(Span(offset, offset + len(chunk), style))
                plain.append(chunk)
                offset += len(chunk)
            if match is None:
                break
            codes = [int(code) if code else 0 for code in match.group(1).split(";")]
            while codes:
                code = codes.pop(0)
                if code == 0:
                    fg = bg = None
                elif code in (38, 48) and len(codes) >= 2 and codes[0] == 5:
                    fg, bg = (min(255, codes[1]), bg) if code == 38 else (fg, min(255, codes[1]))
                    del codes[:2]
                else:
                    return _rich_text(ansi)
            start = match.end()
    return Text("".join(plain), no_wrap=True, overflow="crop", end="", tab_size=8, spans=spans)


def _style(fg: int | None, bg: int | None) -> Style | None:
    color = Color.from_ansi(fg) if fg is not None else None
    if bg is None:
        return Style.from_color(color) if color is not None else None
    return Style(color=color, bold=None)  # the background dropped, as foreground_only does


def _rich_text(ansi: str) -> Text:
    return foreground_only(Text.from_ansi(ansi, no_wrap=True, overflow="crop", end=""))


def foreground_only(text: Text) -> Text:
    """Drop every background plotext put in the figure.

    plotext paints a marker's cells with background 15 (white) even when asked for "default"; in a
    16-colour terminal that is a bright white bar (ESC[107m) through the chart. A chart draws lines
    in colour on its widget's own background, so only foregrounds (and bold) are kept.
    """
    text.spans = [
        Span(span.start, span.end, Style(color=span.style.color, bold=span.style.bold))
        if isinstance(span.style, Style) and span.style.bgcolor is not None else span
        for span in text.spans
    ]
    return text
