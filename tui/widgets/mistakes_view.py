"""The mistakes (or largest residuals) of an evaluation drawn as the data preview draws samples.

Drawing happens in a thread worker: ``core/evaluate_draw.py`` lays the items out for the widget's
width and Rich renders them to segments there (``render_blocks``), so the UI thread only copies
finished lines. Table rows keep all their columns: the view scrolls sideways instead of cutting.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.events import Resize
from textual.message import Message
from textual.widgets import Static

from nnbench.tui.widgets.rendered_lines import RenderedLines, render_lines


def render_blocks(items: list[Any], width: int) -> RenderedLines:
    """``items`` drawn as finished lines of segments for ``width`` columns (any thread)."""
    from nnbench.core.evaluate_draw import sample_blocks
    from nnbench.core.preview_draw import blocks_rich

    blocks = sample_blocks(items, width, all_columns=True) or ["no mistakes with these filters"]
    wide = max([width] + [len(b) for b in blocks if isinstance(b, str)])
    return render_lines(blocks_rich(blocks), wide)


class MistakesView(Static):
    """``show(items)`` draws them in a worker; a resize draws them again for the new width."""

    DEFAULT_CSS = "MistakesView { height: auto; width: auto; min-width: 100%; }"

    class Drawn(Message):
        def __init__(self, items: list[Any], width: int, lines: RenderedLines) -> None:
            super().__init__()
            self.items = items
            self.width = width
            self.lines = lines

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.items: list[Any] | None = None
        self.drawn: list[Any] | None = None
        """The items the lines on screen show (tests wait for ``drawn is items``)."""
        self._drawn_width = 0
        self._lines: RenderedLines | None = None

    def show(self, items: list[Any]) -> None:
        self.items = items
        self._drawn_width = 0
        self.update("drawing the samples …")
        self._redraw()

    def on_resize(self, event: Resize) -> None:
        if self.items is not None and self._width() != self._drawn_width:
            self._redraw()

    def _width(self) -> int:
        parent = self.parent
        size = parent.size.width if parent is not None else self.size.width
        return max(size - 2, 40)

    def _redraw(self) -> None:
        if self.items is not None:
            self._draw(self.items, self._width())

    @work(thread=True, exclusive=True, exit_on_error=False, group="mistakes",
          description="Drawing the mistakes")
    def _draw(self, items: list[Any], width: int) -> None:
        try:
            lines = render_blocks(items, width)
        except Exception as exc:  # a drawing bug must not take the app down
            from rich.segment import Segment

            from nnbench.core.text import printable

            lines = RenderedLines([[Segment(printable(f"✗ the mistakes could not be drawn: "
                                              f"{type(exc).__name__}: {exc}"))]])
        self.post_message(self.Drawn(items, width, lines))

    def on_mistakes_view_drawn(self, event: MistakesView.Drawn) -> None:
        event.stop()
        if event.items is not self.items:
            return  # other items were shown meanwhile
        self._drawn_width = event.width
        self.drawn = event.items
        self._lines = event.lines
        self.update(event.lines)

    def plain_text(self) -> str:
        """What the view shows, as text (for tests)."""
        lines = self._lines.lines if self._lines is not None else []
        return "\n".join("".join(segment.text for segment in line) for line in lines)
