"""The loaded data drawn in the Data view: class balance, then pictures, text or table rows.

Drawing happens in a thread worker: ``core/preview_draw.py`` lays the preview out for the widget's
width and Rich renders it to segments there, so the UI thread only copies finished lines. Pictures
are half-blocks in those lines, or, where the terminal has a graphics protocol (Kitty, Sixel:
``tui/widgets/graphics.py``), textual-image widgets between them (``tui/widgets/picture_rows.py``).
A resize draws it again for the new width.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.events import Resize
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from nnbench.core.i18n import _
from nnbench.tui.widgets.graphics import Renderer, renderer
from nnbench.tui.widgets.picture_rows import Part, part_widgets, render_parts
from nnbench.tui.widgets.rendered_lines import RenderedLines, render_lines

if TYPE_CHECKING:  # NumPy and the data package load with the first preview, not with the app
    from nnbench.core.preview import DataPreview


def render_preview(preview: DataPreview, width: int) -> RenderedLines:
    """``preview`` as finished lines of segments for ``width`` columns, pictures in half-blocks
    (any thread)."""
    from nnbench.core.preview_draw import preview_rich

    return render_lines(preview_rich(preview, width), width)


def preview_parts(preview: DataPreview, width: int, how: Renderer) -> list[Part]:
    """``preview`` prepared for ``width`` columns and the way pictures are drawn (any thread)."""
    if how == "halfblocks":
        return [render_preview(preview, width)]
    from nnbench.core.preview_draw import preview_blocks

    return render_parts(preview_blocks(preview, width), width, dim_labels=True)


class DataPreviewView(Widget):
    """``show(preview)`` draws it; ``show(None)`` empties the view."""

    DEFAULT_CSS = """
    DataPreviewView { height: auto; padding: 1 0 0 0; layout: vertical; }
    DataPreviewView.-empty { display: none; }
    """

    class Drawn(Message):
        def __init__(self, preview: DataPreview, width: int, parts: list[Part]) -> None:
            super().__init__()
            self.preview = preview
            self.width = width
            self.parts = parts

    def __init__(self, *, id: str | None = None, pictures: Renderer | None = None) -> None:
        """``pictures``: how to draw them; by default as this terminal can (``renderer()``)."""
        super().__init__(id=id, classes="-empty")
        self.preview: DataPreview | None = None
        self.pictures: Renderer = pictures or renderer()
        self._drawn_width = 0

    def show(self, preview: DataPreview | None) -> None:
        if preview is self.preview:
            return
        self.preview = preview
        self._drawn_width = 0
        if preview is None:
            self._replace([])
            self.add_class("-empty")
            return
        self.remove_class("-empty")
        self._replace([Static(_("drawing the samples …"))])
        self._redraw()

    def on_resize(self, event: Resize) -> None:
        if self.preview is not None and event.size.width != self._drawn_width:
            self._redraw()

    def _redraw(self) -> None:
        if self.preview is not None:
            self._draw(self.preview, max(self.content_size.width, 40), self.pictures)

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview",
          description="Drawing the data")
    def _draw(self, preview: DataPreview, width: int, how: Renderer) -> None:
        try:
            parts = preview_parts(preview, width, how)
        except Exception as exc:  # a drawing bug must not take the app down
            from rich.segment import Segment

            from nnbench.core.text import printable

            why = _("✗ the preview could not be drawn: {error}").format(
                error=f"{type(exc).__name__}: {exc}")
            parts = [RenderedLines([[Segment(printable(why))]])]
        self.post_message(self.Drawn(preview, width, parts))

    def on_data_preview_view_drawn(self, event: DataPreviewView.Drawn) -> None:
        event.stop()
        if event.preview is not self.preview:
            return  # another preview was shown meanwhile
        self._drawn_width = event.width
        self._replace(part_widgets(event.parts, self.pictures))

    def _replace(self, widgets: list[Widget]) -> None:
        with self.app.batch_update():
            self.remove_children()
            if widgets:
                self.mount_all(widgets)
