"""The mistakes (or largest residuals) of an evaluation drawn as the data preview draws samples.

Drawing happens in a thread worker: ``core/evaluate_draw.py`` lays the items out for the widget's
width and Rich renders them to segments there (``render_blocks``), so the UI thread only copies
finished lines. Pictures are half-blocks in those lines, or, where the terminal has a graphics
protocol (``tui/widgets/graphics.py``), textual-image widgets between them. Table rows keep all
their columns: the view scrolls sideways instead of cutting.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.events import Resize
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from nnbench.core.i18n import _
from nnbench.tui.widgets.graphics import Renderer, renderer
from nnbench.tui.widgets.picture_rows import Part, part_widgets, render_parts
from nnbench.tui.widgets.rendered_lines import RenderedLines, render_lines


def render_blocks(items: list[Any], width: int, how: Renderer = "halfblocks") -> list[Part]:
    """``items`` drawn for ``width`` columns (wider for a table row: it is not cut) and the way
    pictures are drawn (any thread)."""
    from nnbench.core.evaluate_draw import sample_blocks
    from nnbench.core.preview_draw import blocks_rich

    blocks = sample_blocks(items, width, all_columns=True) or [_("no mistakes with these filters")]
    wide = max([width] + [len(b) for b in blocks if isinstance(b, str)])
    if how == "halfblocks":
        return [render_lines(blocks_rich(blocks), wide)]
    return render_parts(blocks, wide)


class MistakesView(Widget):
    """``show(items)`` draws them in a worker; a resize draws them again for the new width."""

    DEFAULT_CSS = """
    MistakesView { height: auto; width: auto; min-width: 100%; layout: vertical; }
    MistakesView > Static { width: auto; }
    """

    class Drawn(Message):
        def __init__(self, items: list[Any], width: int, parts: list[Part]) -> None:
            super().__init__()
            self.items = items
            self.width = width
            self.parts = parts

    def __init__(self, *, id: str | None = None, pictures: Renderer | None = None) -> None:
        """``pictures``: how to draw them; by default as this terminal can (``renderer()``)."""
        super().__init__(id=id)
        self.items: list[Any] | None = None
        self.drawn: list[Any] | None = None
        """The items the lines on screen show (tests wait for ``drawn is items``)."""
        self.pictures: Renderer = pictures or renderer()
        self._drawn_width = 0
        self._parts: list[Part] = []

    def show(self, items: list[Any]) -> None:
        self.items = items
        self._drawn_width = 0
        self._replace([Static(_("drawing the samples …"))])
        self._redraw()

    def on_resize(self, event: Resize) -> None:
        if self.items is not None and self._width() != self._drawn_width:
            self._redraw()

    def _width(self) -> int:
        parent = self.parent
        size = parent.size.width if isinstance(parent, Widget) else self.size.width
        return max(size - 2, 40)

    def _redraw(self) -> None:
        if self.items is not None:
            self._draw(self.items, self._width(), self.pictures)

    @work(thread=True, exclusive=True, exit_on_error=False, group="mistakes",
          description="Drawing the mistakes")
    def _draw(self, items: list[Any], width: int, how: Renderer) -> None:
        try:
            parts = render_blocks(items, width, how)
        except Exception as exc:  # a drawing bug must not take the app down
            from rich.segment import Segment

            from nnbench.core.text import printable

            why = _("✗ the mistakes could not be drawn: {error}").format(
                error=f"{type(exc).__name__}: {exc}")
            parts = [RenderedLines([[Segment(printable(why))]])]
        self.post_message(self.Drawn(items, width, parts))

    def on_mistakes_view_drawn(self, event: MistakesView.Drawn) -> None:
        event.stop()
        if event.items is not self.items:
            return  # other items were shown meanwhile
        self._drawn_width = event.width
        self.drawn = event.items
        self._parts = event.parts
        self._replace(part_widgets(event.parts, self.pictures))

    def _replace(self, widgets: list[Widget]) -> None:
        with self.app.batch_update():
            self.remove_children()
            self.mount_all(widgets)

    def plain_text(self) -> str:
        """What the view shows as text (pictures drawn by the terminal's protocol: none)."""
        return "\n".join(part.plain_text() for part in self._parts
                         if isinstance(part, RenderedLines))
