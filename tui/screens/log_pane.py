"""The Log view: what TensorFlow and Python wrote to stderr while the app runs (fd 2 points at a
file so it never scribbles over the screen)."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Log, Static

POLL_SECONDS = 1.0
MAX_READ = 256 * 1024


class LogPane(Vertical):
    """Tails ``path``; a file that shrinks (truncated) is read again from the start."""

    DEFAULT_CSS = """
    LogPane #log-where { height: 1; color: $text-muted; padding: 0 1; }
    LogPane Log { height: 1fr; }
    """

    def __init__(self, path: Path | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.path = path
        self._offset = 0

    def skip_to(self, offset: int) -> None:
        """Show only what was written after ``offset`` (the log file is shared by sessions)."""
        self._offset = offset

    def compose(self) -> ComposeResult:
        where = (f"{self.path} · TensorFlow's native log lines of this session"
                 if self.path else "stderr is not captured in this session")
        yield Static(where, id="log-where", markup=False)
        yield Log(id="log-lines", max_lines=5000)

    def on_mount(self) -> None:
        self.poll()
        self.set_interval(POLL_SECONDS, self.poll)

    def poll(self) -> None:
        if self.path is None:
            return
        try:
            size = self.path.stat().st_size
            if size < self._offset:
                self.query_one(Log).clear()
                self._offset = 0
            if size == self._offset:
                return
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read(MAX_READ)
        except OSError:
            return
        # Only whole lines: a line still being written waits for the next poll.
        end = chunk.rfind(b"\n") + 1
        if end == 0 and len(chunk) < MAX_READ:
            return
        end = end or len(chunk)
        self._offset += end
        self.query_one(Log).write_lines(chunk[:end].decode("utf-8", "replace").splitlines())
