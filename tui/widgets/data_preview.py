"""The loaded data drawn in the Data view: class balance, then pictures, text or table rows.

Drawing happens in a thread worker: ``core/preview_draw.py`` lays the preview out for the widget's
width and Rich renders it to segments there, so the UI thread only copies finished lines. A resize
draws it again for the new width.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.events import Resize
from textual.message import Message
from textual.widgets import Static

if TYPE_CHECKING:  # NumPy and the data package load with the first preview, not with the app
    from nnbench.core.preview import DataPreview


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


def render_preview(preview: DataPreview, width: int) -> RenderedLines:
    """``preview`` as finished lines of segments for ``width`` columns (any thread)."""
    from rich.console import Console

    from nnbench.core.preview_draw import preview_rich

    console = Console(width=width, color_system="truecolor", force_terminal=True,
                      legacy_windows=False)
    options = console.options.update(width=width, no_wrap=True)
    return RenderedLines(console.render_lines(preview_rich(preview, width), options, pad=False))


class DataPreviewView(Static):
    """``show(preview)`` draws it; ``show(None)`` empties the view."""

    DEFAULT_CSS = """
    DataPreviewView { height: auto; padding: 1 0 0 0; }
    DataPreviewView.-empty { display: none; }
    """

    class Drawn(Message):
        def __init__(self, preview: DataPreview, width: int, lines: RenderedLines) -> None:
            super().__init__()
            self.preview = preview
            self.width = width
            self.lines = lines

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="-empty", markup=False)
        self.preview: DataPreview | None = None
        self._drawn_width = 0

    def show(self, preview: DataPreview | None) -> None:
        if preview is self.preview:
            return
        self.preview = preview
        self._drawn_width = 0
        if preview is None:
            self.update("")
            self.add_class("-empty")
            return
        self.remove_class("-empty")
        self.update("drawing the samples …")
        self._redraw()

    def on_resize(self, event: Resize) -> None:
        if self.preview is not None and event.size.width != self._drawn_width:
            self._redraw()

    def _redraw(self) -> None:
        if self.preview is not None:
            self._draw(self.preview, max(self.content_size.width, 40))

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview",
          description="Drawing the data")
    def _draw(self, preview: DataPreview, width: int) -> None:
        try:
            lines = render_preview(preview, width)
        except Exception as exc:  # a drawing bug must not take the app down
            from rich.segment import Segment

            from nnbench.core.text import printable

            lines = RenderedLines([[Segment(printable(f"✗ the preview could not be drawn: "
                                              f"{type(exc).__name__}: {exc}"))]])
        self.post_message(self.Drawn(preview, width, lines))

    def on_data_preview_view_drawn(self, event: DataPreviewView.Drawn) -> None:
        event.stop()
        if event.preview is not self.preview:
            return  # another preview was shown meanwhile
        self._drawn_width = event.width
        self.update(event.lines)
