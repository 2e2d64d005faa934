"""The console listener of ``nnbench train`` and ``nnbench attach --print``: one line per event."""

from __future__ import annotations

import sys
from typing import TextIO

from nnbench.core.describe import describe
from nnbench.core.events import BatchProgress, Event, RunFinished
from nnbench.core.format import fmt_logs, fmt_value
from nnbench.core.i18n import _
from nnbench.core.text import printable


def format_logs(logs: dict[str, float]) -> str:
    # ReduceLROnPlateau logs learning_rate too; the epoch line shows it once, as lr.
    return fmt_logs(logs)


def _batch_line(event: BatchProgress) -> str:
    """The live line of a terminal: where in the epoch, the loss so far, speed and time left."""
    of = f"/{event.steps}" if event.steps else ""
    text = _("epoch {epoch}/{epochs} batch {batch}{of}").format(
        epoch=event.epoch, epochs=event.epochs, batch=event.batch, of=of)
    loss = event.logs.get("loss")
    if loss is not None:  # Keras's log name, as the epoch line shows it
        text += f" loss {fmt_value(loss)}"
    text += " " + _("{rate} samples/s").format(rate=f"{event.samples_per_second:,.0f}")
    if event.eta_seconds is not None:
        text += " " + _("eta {seconds}s").format(seconds=f"{event.eta_seconds:.0f}")
    return text


class ConsolePrinter:
    """A listener that prints the lines core/describe.py gives each event; a live batch line only
    on a terminal. A closed or broken stdout silences it; training goes on."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out if out is not None else sys.stdout
        try:
            self.tty = self.out.isatty()
        except (OSError, ValueError, AttributeError):
            self.tty = False
        self.progress_shown = False
        self.dead = False

    def _write(self, text: str) -> None:
        if self.dead:
            return
        try:
            self.out.write(text)
            self.out.flush()
        except (OSError, ValueError):
            self.dead = True  # the reader went away (a pipe closed, a full disk): stay quiet

    def _line(self, text: str) -> None:
        if self.progress_shown:
            self._write("\r\033[K")
            self.progress_shown = False
        self._write(text + "\n")

    def __call__(self, event: Event) -> None:
        if isinstance(event, BatchProgress):
            if self.tty:
                self._write("\r\033[K" + _batch_line(event))
                self.progress_shown = True
            return
        if isinstance(event, RunFinished) and not event.run_dir:
            return  # refused before training: main() prints the one-line reason
        for line in describe(event):
            self._line(line.text)
        if isinstance(event, RunFinished) and event.run_dir:
            self._line(_("run folder: {path}").format(path=printable(event.run_dir)))
