"""The run's story, one line per thing that happened: started, epochs, learning-rate changes,
checkpoints, non-finite loss, early stop, pause, the end.

``describe(event)`` turns a core event into words; ``EventLog`` shows them and keeps the plain text
(``entries``) so tests and copy-paste see exactly what the user sees.
"""

from __future__ import annotations

import time
from pathlib import PurePath
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

from nnbench.core import events as ev
from nnbench.core.format import fmt_logs, fmt_lr, fmt_seconds, fmt_value

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
    "stopped": "bold yellow",
}


def _shape(shape: tuple[int | None, ...]) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def describe(event: Any) -> list[tuple[str, str]]:
    """(kind, text) lines for a core event; [] for events the log does not show (batches)."""
    if isinstance(event, ev.RunStarted):
        summary, data = event.summary, event.data
        params = f"{summary.total:,} parameters"
        if summary.non_trainable:
            params += f" ({summary.trainable:,} trainable)"
        counts = f"{data.train_samples:,} train / {data.val_samples:,} val / {data.test_samples:,} test"
        classes = f", {data.num_classes} classes" if data.num_classes else ""
        # data.notes arrive as Notice events of their own.
        return [("start", f"Run {event.run_id} started: {event.preset_name}, {event.epochs} epochs"),
                ("info", f"model: {len(summary.rows)} layers, {params}"),
                ("info", f"data: {data.source}: {counts}, input {_shape(data.input_shape)}{classes}")]
    if isinstance(event, ev.Notice):
        return [("notice", event.text)]
    if isinstance(event, ev.EpochEnded):
        lr = f"  lr {fmt_lr(event.learning_rate)}" if event.learning_rate is not None else ""
        return [("epoch", f"epoch {event.epoch}/{event.epochs}  {fmt_logs(event.logs)}{lr}  "
                          f"{fmt_seconds(event.seconds)}")]
    if isinstance(event, ev.LearningRateChanged):
        return [("lr", f"epoch {event.epoch}: learning rate {fmt_lr(event.old)} -> {fmt_lr(event.new)}")]
    if isinstance(event, ev.CheckpointSaved):
        value = f" ({event.monitor} {fmt_value(event.value)})" if event.value is not None else ""
        # The file name is enough: checkpoints live in the run's folder.
        name = PurePath(event.path).name or event.path
        return [("checkpoint", f"epoch {event.epoch}: checkpoint saved{value} to {name}")]
    if isinstance(event, ev.NonFiniteLoss):
        where = f"epoch {event.epoch}" + (f" batch {event.batch}" if event.batch is not None else "")
        return [("error", f"{where}: loss became {fmt_value(event.value)}; training stops")]
    if isinstance(event, ev.EarlyStopped):
        text = f"early stop at epoch {event.stopped_epoch}"
        if event.best_epoch is not None:
            text += f"; best epoch {event.best_epoch} {event.monitor} {fmt_value(event.best_value)}"
        text += "; best weights restored" if event.restored_weights else "; last weights kept"
        return [("early", text)]
    if isinstance(event, ev.Paused):
        return [("warning", "paused (p resumes)" if event.paused else "resumed")]
    if isinstance(event, ev.Evaluated):
        return [("finished", f"test: {fmt_logs(event.metrics)}")]
    if isinstance(event, ev.RunFinished):
        epochs = f"{event.epochs_done} epoch{'s' if event.epochs_done != 1 else ''}"
        if event.status == "finished":
            return [("finished", f"finished after {epochs}")]
        if event.status == "failed":
            title = f"{event.error_title}: " if event.error_title else ""
            return [("error", f"failed after {epochs}: {title}{event.error or 'unknown error'}")]
        return [("stopped", f"{event.status} after {epochs}")]
    return []


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
        self.border_title = "Events"
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
        line.add_row(time.strftime("%H:%M:%S"), Text(text, style=STYLES.get(kind, "")))
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

    def add_event(self, event: Any) -> None:
        for kind, text in describe(event):
            self.add(kind, text)

    def texts(self) -> list[str]:
        return [text for _, text in self.entries]

    def clear(self) -> EventLog:
        self.entries.clear()
        self._lines.clear()
        self._wrapped_at = 0
        super().clear()
        return self
