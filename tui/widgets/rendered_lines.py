"""Rich output rendered ahead of time, in a worker, for the UI thread to show as it is."""

from __future__ import annotations

from typing import Any


class RenderedLines:
    """Lines of Rich segments rendered ahead of time, in a worker, for one width.

    A Rich renderable that only yields them again: shown in a ``Static`` it costs the UI thread no
    drawing. The data preview and the evaluation's mistakes both draw this way.
    """

    def __init__(self, lines: list[list[Any]]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.segment import Segment

        for line in self.lines:
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        # As wide as the widest line: a view of ``width: auto`` (the mistakes' table rows, which
        # are not cut) then grows past its container, which scrolls sideways.
        from rich.measure import Measurement
        from rich.segment import Segment

        widest = max((Segment.get_line_length(line) for line in self.lines), default=0)
        return Measurement(widest, widest)

    def plain_text(self) -> str:
        """The lines as text, without their colours (for tests)."""
        return "\n".join("".join(segment.text for segment in line) for line in self.lines)


def render_lines(renderable: Any, width: int) -> RenderedLines:
    """``renderable`` as finished lines of segments ``width`` columns wide, cut there (any thread).

    Colours are rendered as truecolor; Textual maps them down to what the terminal has."""
    from rich.console import Console

    console = Console(width=width, color_system="truecolor", force_terminal=True,
                      legacy_windows=False)
    options = console.options.update(width=width, no_wrap=True)
    return RenderedLines(console.render_lines(renderable, options, pad=False))
