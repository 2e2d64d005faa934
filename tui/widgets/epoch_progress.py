"""The progress of the epoch in flight: a bar, batches, samples/s, ETA and the running batch logs.

    Epoch 3/20  ━━━━━━━━━━━━╸──────  45/57 batches  1,234 samples/s  ETA 2s
    batch: loss 0.3121  accuracy 0.9012
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.renderables.bar import Bar as BarRenderable
from textual.widget import Widget
from textual.widgets import Label, ProgressBar

from nnbench.core.events import BatchProgress, EpochEnded, EpochStarted
from nnbench.core.format import fmt_logs, fmt_seconds
from nnbench.core.i18n import _
from nnbench.core.text import printable


class TrackBar(BarRenderable):
    """The done part as a heavy line, the rest as a thin track: ``━━━━━━╸───────``.

    Textual's bar draws the rest with the same heavy glyph in a dim colour, which reads as a full bar
    wherever colour is lost (a 16-colour terminal, a copied screen)."""

    TRACK = "─"

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = self.width or options.max_width
        done = max(0.0, min(float(self.highlight_range[1]), float(width)))
        halves = int(done * 2)
        full, half = divmod(halves, 2)
        bar = Text(end="")
        bar.append(self.BAR * full, style=console.get_style(self.highlight_style))
        if half:
            bar.append(self.HALF_BAR_RIGHT, style=console.get_style(self.highlight_style))
        bar.append(self.TRACK * (width - full - half),
                   style=console.get_style(self.background_style))
        yield bar


class EpochBar(ProgressBar):
    """A ProgressBar drawn with ``TrackBar``: empty at 0 of N batches, even without colour."""

    BAR_RENDERABLE = TrackBar


class EpochProgress(Widget):
    """Fed with EpochStarted / BatchProgress / EpochEnded; shows state with -paused / -done classes."""

    DEFAULT_CSS = """
    EpochProgress {
        height: 2;
        width: 1fr;
    }
    EpochProgress > Horizontal {
        height: 1;
    }
    EpochProgress #epoch-label {
        width: 16;
        text-style: bold;
        padding-right: 1;
    }
    EpochProgress ProgressBar {
        width: 1fr;
        max-width: 40;
        min-width: 8;
    }
    EpochProgress ProgressBar Bar {
        width: 1fr;
    }
    EpochProgress ProgressBar Bar > .bar--bar {
        background: $panel-lighten-2;
    }
    EpochProgress #batch-stats {
        width: 1fr;
        padding-left: 1;
        color: $text-muted;
    }
    EpochProgress #batch-logs {
        width: 1fr;
        color: $text-muted;
    }
    EpochProgress.-paused #epoch-label {
        color: $warning;
    }
    EpochProgress.-done ProgressBar Bar > .bar--complete {
        color: $success;
    }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(_("Epoch -"), id="epoch-label")
            yield EpochBar(total=None, show_percentage=False, show_eta=False, id="epoch-bar")
            yield Label("", id="batch-stats", markup=False)
        yield Label("", id="batch-logs", markup=False)

    def reset(self, text: str = "") -> None:
        """Back to idle: no epoch, empty bar."""
        self.remove_class("-done", "-paused")
        self.query_one("#epoch-label", Label).update(_("Epoch -"))
        self.query_one("#epoch-bar", ProgressBar).update(total=100, progress=0)
        self.query_one("#batch-stats", Label).update(text)
        self.query_one("#batch-logs", Label).update("")

    def _set(self, label: str, text: str) -> None:
        # The labels' widths are fixed in CSS, so a new text needs no layout pass: updates come
        # ~10 times a second while training, and a layout of the whole screen each time cost
        # the app more CPU than drawing did (bench/profile_app.py).
        self.query_one(f"#{label}", Label).update(text, layout=False)

    def epoch_started(self, event: EpochStarted, steps: int | None) -> None:
        self.remove_class("-done")
        self._set("epoch-label", _("Epoch {epoch}/{epochs}").format(epoch=event.epoch, epochs=event.epochs))
        self.query_one("#epoch-bar", ProgressBar).update(total=steps, progress=0)
        self._set("batch-stats", _("{done}/{steps} batches").format(done=0, steps=steps)
                  if steps else _("starting"))

    def batch(self, event: BatchProgress) -> None:
        self._set("epoch-label", _("Epoch {epoch}/{epochs}").format(epoch=event.epoch, epochs=event.epochs))
        self.query_one("#epoch-bar", ProgressBar).update(total=event.steps, progress=event.batch)
        of = f"/{event.steps}" if event.steps else ""
        parts = [_("{batch}{of} batches").format(batch=event.batch, of=of),
                 _("{rate} samples/s").format(rate=f"{event.samples_per_second:,.0f}")]
        if event.eta_seconds is not None:
            parts.append(_("ETA {time}").format(time=fmt_seconds(event.eta_seconds)))
        self._set("batch-stats", "  ".join(parts))
        self._set("batch-logs", printable(_("batch") + f"  {fmt_logs(event.logs)}") if event.logs else "")

    def epoch_ended(self, event: EpochEnded, steps: int | None) -> None:
        self.add_class("-done")
        bar = self.query_one("#epoch-bar", ProgressBar)
        total = steps or bar.total or 1
        bar.update(total=total, progress=total)
        self._set("epoch-label", _("Epoch {epoch}/{epochs}").format(epoch=event.epoch, epochs=event.epochs))
        self._set("batch-stats", _("done in {time}").format(time=fmt_seconds(event.seconds)))

    def set_paused(self, paused: bool) -> None:
        self.set_class(paused, "-paused")
        if paused:
            self._set("batch-stats", _("paused"))

    def finish(self, text: str, epoch: int | None = None, epochs: int | None = None) -> None:
        """The run ended: show its last finished ``epoch`` (not one a stop cut short, which the
        header and the summary don't count either) and say how it ended."""
        self.remove_class("-paused")
        if epoch is not None:
            self.add_class("-done")
            bar = self.query_one("#epoch-bar", ProgressBar)
            bar.update(total=bar.total or 1, progress=bar.total or 1)
            of = f"/{epochs}" if epochs else ""
            self.query_one("#epoch-label", Label).update(
                _("Epoch {epoch}{of}").format(epoch=epoch, of=of) if epoch else _("Epoch -"))
        self.query_one("#batch-stats", Label).update(text)
