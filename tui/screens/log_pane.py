"""The Log view: what TensorFlow and Python wrote to stderr while the app runs (fd 2 points at a
file so it never scribbles over the screen)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import RichLog, Static

from nnbench.core.i18n import _
from nnbench.core.text import printable

POLL_SECONDS = 1.0
MAX_READ = 256 * 1024


@dataclass
class LogRead:
    """What one look at the log file found: new whole lines, or that it was truncated."""

    lines: list[str]
    offset: int
    truncated: bool = False


def read_new_lines(path: Path, offset: int) -> LogRead | None:
    """The whole lines written since ``offset`` (a line still being written waits); None when
    nothing is new or the file can't be read."""
    try:
        size = path.stat().st_size
        truncated = size < offset
        if truncated:
            offset = 0
        if size == offset:
            return LogRead([], offset, truncated) if truncated else None
        with path.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read(MAX_READ)
    except OSError:
        return None
    end = chunk.rfind(b"\n") + 1
    if end == 0 and len(chunk) < MAX_READ:
        return LogRead([], offset, truncated) if truncated else None
    end = end or len(chunk)
    lines = chunk[:end].decode("utf-8", "replace").splitlines()
    return LogRead(lines, offset + end, truncated)


class LogPane(Vertical):
    """Tails ``path`` from a thread; a file that shrinks (truncated) is read again from the start.
    Lines wrap at the view's width (TensorFlow's run long) and are outside text: shown, never
    obeyed."""

    DEFAULT_CSS = """
    LogPane #log-where { height: 1; color: $text-muted; padding: 0 1; }
    LogPane RichLog { height: 1fr; }
    """

    @dataclass
    class Read(Message):
        read: LogRead

    def __init__(self, path: Path | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.path = path
        self._offset = 0
        self.lines: list[str] = []
        """Every line shown, as the file holds it (the widget holds them wrapped)."""
        self._stop = threading.Event()
        self._wake = threading.Event()

    def skip_to(self, offset: int) -> None:
        """Show only what was written after ``offset`` (the log file is shared by sessions)."""
        self._offset = offset

    def compose(self) -> ComposeResult:
        where = (f"{self.path} · " + _("TensorFlow's native log lines of this session")
                 if self.path else _("stderr is not captured in this session"))
        yield Static(printable(where), id="log-where", markup=False)
        yield RichLog(id="log-lines", max_lines=5000, wrap=True, markup=False, highlight=False)

    def on_mount(self) -> None:
        if self.path is not None:
            self._tail(self.path, self._offset)

    def on_unmount(self) -> None:
        self._stop.set()
        self._wake.set()

    def poll(self) -> None:
        """Look at the file now rather than at the next tick."""
        self._wake.set()

    @work(thread=True, exit_on_error=False, group="log", description="Reading the log file")
    def _tail(self, path: Path, offset: int) -> None:
        while not self._stop.is_set():
            read = read_new_lines(path, offset)
            if read is not None:
                offset = read.offset
                self.post_message(self.Read(read))
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def on_log_pane_read(self, message: Read) -> None:
        log = self.query_one(RichLog)
        if message.read.truncated:
            log.clear()
            self.lines.clear()
        for line in message.read.lines:
            self.lines.append(line)
            log.write(Text(printable(line)))
