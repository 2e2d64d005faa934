"""The run's story, one line per thing that happened: started, epochs, learning-rate changes,
checkpoints, non-finite loss, early stop, pause, the end.

core/describe.py turns a core event into words (the CLI prints the same lines); ``EventLog`` shows
them and keeps the plain text (``entries``) so tests and copy-paste see exactly what the user sees.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

from nnbench.core import clock
from nnbench.core.describe import describe
from nnbench.core.events import Event
from nnbench.core.i18n import _

# kind -> Rich style; ANSI names so a 16-colour terminal shows them as meant.
STYLES = {
    "start": "bold",
    "epoch": "",
    "info": "",
    "notice": "cyan",
    "lr": "cyan",
    "checkpoint": "green",
    "warning": "yellow",
    "early": "bold yellow",
    "error": "bold red",
    "finished": "bold green",
    "advice": "bold cyan",
    "stopped": "bold yellow",
}


class EventLog(RichLog):
    """A scrolling log of run events; ``entries`` holds (kind, text) of every line shown.

    RichLog wraps a line once, at the width it had when written; this log keeps its lines and writes
    them again when its width changes (the results table appearing beside it, a terminal resize).
    """

    DEFAULT_CSS = """
    EventLog {
        height: 1fr;
        border: round $panel-lighten-2;
        border-title-align: left;
        scrollbar-size-vertical: 1;
        background: $surface;
    }
    """

    MIN_WRAP_WIDTH = 24
    """Lines are never wrapped narrower than this: a hidden or half-laid-out log (a tab not shown
    yet, a modal on top) can report a width of a few columns for a moment."""

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(wrap=True, markup=False, highlight=False, max_lines=5000,
                         min_width=self.MIN_WRAP_WIDTH, name=name, id=id, classes=classes)
        self.border_title = _("Events")
        self.entries: list[tuple[str, str]] = []
        self._lines: list[Table] = []
        self._wrapped_at = 0
        """The width every line in ``lines`` was wrapped at; -1 when some line was not."""

    def add(self, kind: str, text: str) -> None:
        """Append one line; ``kind`` picks its colour (see STYLES)."""
        self.entries.append((kind, text))
        # A two-column grid so a wrapped line continues under its text, not under the time.
        line = Table.grid(padding=(0, 1))
        line.add_column(no_wrap=True, style="dim")
        line.add_column(ratio=1)
        line.add_row(clock.now().astimezone().strftime("%H:%M:%S"), Text(text, style=STYLES.get(kind, "")))
        self._lines.append(line)
        if self.max_lines and len(self._lines) > self.max_lines:
            del self._lines[: len(self._lines) - self.max_lines]
        width = self._wrap_width()
        if width is None or (self._wrapped_at not in (0, width)):
            # Written now (RichLog keeps the order), wrapped again once the width is real.
            self._wrapped_at = -1
            self.call_after_refresh(self._rewrap)
        else:
            self._wrapped_at = width
        self.write(line)

    def _wrap_width(self) -> int | None:
        """The width lines should wrap at now, or None while it is unknown or implausibly small."""
        width = self.scrollable_content_region.width
        if not self._size_known or not self.display or width < self.MIN_WRAP_WIDTH:
            return None
        return width

    def on_resize(self, event: Resize) -> None:
        # After the refresh: RichLog's own on_resize (which writes what waited for a known size)
        # runs after this handler, and the region may change again in the same layout pass.
        self.call_after_refresh(self._rewrap)

    def on_show(self) -> None:
        # A log written while hidden (its tab not shown) saw no width; its size may not change when
        # it appears, so no Resize comes to wrap it again.
        self.call_after_refresh(self._rewrap)

    def _rewrap(self) -> None:
        width = self._wrap_width()
        if width is None:
            if self._size_known:
                self._wrapped_at = -1  # try again on the next resize or show
            return
        if width == self._wrapped_at:
            return
        self._wrapped_at = width
        super().clear()
        for line in self._lines:
            self.write(line, scroll_end=False)
        self.scroll_end(animate=False)

    def add_event(self, event: Event) -> None:
        for line in describe(event):
            self.add(line.kind, line.text)

    def texts(self) -> list[str]:
        return [text for _, text in self.entries]

    def clear(self) -> EventLog:
        self.entries.clear()
        self._lines.clear()
        self._wrapped_at = 0
        super().clear()
        return self
