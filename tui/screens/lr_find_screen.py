"""The learning-rate finder: the loss against the learning rate (log scale) of a short range test
on a fresh model of the working preset (core/lr_find.py), with the suggested rate marked, one key
from setting it as the preset's ``compile.optimizer.learning_rate``.

The test runs in a process of its own (the app never loads TensorFlow), driven from a thread
worker that posts each point as it comes: the UI never waits. Esc stops it.
"""

from __future__ import annotations

import contextlib
import io
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from nnbench.core.errors import NnbenchError
from nnbench.core.format import fmt_lr, fmt_value
from nnbench.core.i18n import N_, _
from nnbench.core.lr_find import LrFindResult, LrPoint, find_in_process
from nnbench.core.text import printable
from nnbench.tui.screens.modal import Modal
from nnbench.tui.widgets.curve_chart import STEER_COLOR, TRAIN_COLOR, VAL_COLOR

if TYPE_CHECKING:
    from nnbench.core.preset import Preset

Finder = Callable[..., LrFindResult]
"""``find_in_process`` (a process of its own), or in tests the range test itself; called as
``finder(preset, on_point=..., stop=...)`` from a thread."""


class LrCurve(Widget):
    """Raw and smoothed loss against log10(lr), the suggestion a vertical line."""

    DEFAULT_CSS = """
    LrCurve { height: 1fr; min-height: 8; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.points: list[LrPoint] = []
        self.suggested: float | None = None
        self._figure: Any = None

    def show(self, points: list[LrPoint], suggested: float | None) -> None:
        self.points, self.suggested = list(points), suggested
        self.refresh()

    def render(self) -> Text:
        width, height = self.content_size.width, self.content_size.height
        finite = [p for p in self.points if math.isfinite(p.loss) and p.learning_rate > 0]
        if len(finite) < 2:
            return Text(_("running the range test: a fresh model, one batch a learning rate…"),
                        style="dim")
        if width < 20 or height < 5:
            return Text(_("(too small)"))
        try:
            return self._draw(finite, width, height)
        except Exception as error:  # a chart must never take the app down
            return Text(_("chart unavailable: {error}").format(error=error), style="red")

    def _draw(self, points: list[LrPoint], width: int, height: int) -> Text:
        import plotext

        from nnbench.tui.widgets.plotext_private import figure_text, own_figure

        figure = self._figure
        if figure is None:
            figure = self._figure = own_figure()
            figure.theme("simple")
            figure.axes(False, axis="x", side="upper")
            figure.axes(False, axis="y", side="right")
        else:
            figure.clear.data()
        figure.plot_size(width, height)
        xs = [math.log10(p.learning_rate) for p in points]
        # The raw loss past the divergence would flatten the curve: cap it at 3x the start's.
        cap = 3 * max(points[0].smoothed, 1e-12)
        for ys, color in (([min(p.loss, cap) for p in points], VAL_COLOR),
                          ([min(p.smoothed, cap) for p in points], TRAIN_COLOR)):
            signal = figure.signal(xs, ys, marker=plotext.marker("hd", plotext.pixel(
                foreground=color)))
            figure.draw(signal.lines())
        if self.suggested:
            figure.line(math.log10(self.suggested), orientation="v", style="dotted",
                        pixel=plotext.pixel(foreground=STEER_COLOR, background="default"))
        low, high = math.floor(min(xs)), max(math.ceil(max(xs)), math.floor(min(xs)) + 1)
        step = max(1, math.ceil((high - low) / max(1, width // 9)))
        ticks = list(range(low, high + 1, step))
        ruler = figure.ruler("x")
        ruler.lim(low, high)
        ruler.ticks(ticks, [f"1e{t}" for t in ticks])
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return figure_text(figure.build().string())


class LrFindScreen(Modal[float | None]):
    """Dismisses with the learning rate to set (the suggestion), or None."""

    HINT = N_("enter sets the suggested rate · r runs it again · esc closes")
    BINDINGS = [Binding("enter,s", "use", N_("Set it"), id="lr_find.use"),
                Binding("r", "again", N_("Run again"), id="lr_find.again")]
    DEFAULT_CSS = """
    LrFindScreen > .dialog { height: 90%; max-width: 110; }
    LrFindScreen #lr-legend { height: 1; color: $text-muted; }
    LrFindScreen #lr-status { height: auto; }
    LrFindScreen #lr-status.-failed { color: $error; }
    """

    @dataclass
    class Point(Message):
        point: LrPoint
        run: int

    @dataclass
    class Done(Message):
        result: LrFindResult
        run: int

    @dataclass
    class Failed(Message):
        title: str
        text: str
        run: int

    def __init__(self, preset: Preset, *, finder: Finder = find_in_process) -> None:
        super().__init__()
        self.preset = preset
        self.finder = finder
        self.points: list[LrPoint] = []
        self.result: LrFindResult | None = None
        self.stop = threading.Event()
        self.run_number = 0
        """Messages of an earlier run (before r) are dropped."""

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog", id="lr-dialog"):
            yield Static(_("Learning-rate finder: {name}").format(name=printable(self.preset.name)),
                         classes="title",
                         markup=False)
            yield LrCurve(id="lr-curve")
            yield Static(Text.assemble(("━", "bright_blue"), " " + _("smoothed loss") + "  ",
                                       ("━", "bright_magenta"), " " + _("loss per batch") + "  ",
                                       ("┊", "bright_yellow"), " " + _("suggested")),
                         id="lr-legend")
            yield Static("", id="lr-status", markup=False)

    def on_mount(self) -> None:
        self._start()

    def _start(self) -> None:
        self.stop.set()  # an earlier run's process ends
        self.stop = threading.Event()
        self.run_number += 1
        self.points, self.result = [], None
        self.query_one(LrCurve).show([], None)
        self._status(_("starting a fresh model in a process of its own (TensorFlow loads there)…"))
        self._find(self.preset, self.stop, self.run_number)

    @work(thread=True, exclusive=True, exit_on_error=False, group="lr_find",
          description="Finding a learning rate")
    def _find(self, preset: Preset, stop: threading.Event, run: int) -> None:
        try:
            result = self.finder(preset, on_point=lambda p: self.post_message(self.Point(p, run)),
                                 stop=stop)
        except NnbenchError as exc:
            if not stop.is_set():
                self.post_message(self.Failed(exc.title, exc.message, run))
            return
        self.post_message(self.Done(result, run))

    def on_lr_find_screen_point(self, message: Point) -> None:
        if message.run != self.run_number:
            return
        self.points.append(message.point)
        self.query_one(LrCurve).show(self.points, None)
        p = message.point
        self._status(_("batch {n}: learning rate {rate}, loss {loss}").format(
            n=len(self.points), rate=fmt_lr(p.learning_rate), loss=fmt_value(p.loss)))

    def on_lr_find_screen_done(self, message: Done) -> None:
        if message.run != self.run_number:
            return
        result = self.result = message.result
        self.query_one(LrCurve).show(result.points, result.suggested)
        self._status(describe_result(result))

    def on_lr_find_screen_failed(self, message: Failed) -> None:
        if message.run != self.run_number:
            return
        status = self.query_one("#lr-status", Static)
        status.add_class("-failed")
        status.update(f"{printable(_(message.title))}: {printable(message.text, newlines=True)}")

    def _status(self, text: str) -> None:
        status = self.query_one("#lr-status", Static)
        status.remove_class("-failed")
        status.update(text)

    def action_use(self) -> None:
        if self.result is None or self.result.suggested is None:
            self.notify(_("No suggestion yet: wait for the test to end (or r to run it again)."),
                        severity="warning")
            return
        self.stop.set()
        self.dismiss(rounded(self.result.suggested))

    def action_again(self) -> None:
        self._start()

    def action_cancel(self) -> None:
        self.stop.set()
        super().action_cancel()


def rounded(rate: float) -> float:
    """The rate as a person writes it (3 significant digits, as the finder prints it)."""
    return float(fmt_lr(rate))


def describe_result(result: LrFindResult) -> str:
    ended = {"diverged": _("the loss diverged"), "done": _("every step ran (no divergence)"),
             "stopped": _("stopped")}.get(result.ended, result.ended)
    head = _("{n} batches of {size}, {ended}.").format(n=len(result.points),
                                                      size=result.batch_size, ended=ended) + " "
    if result.suggested is None:
        return head + _("No suggestion: the loss never fell over this range.")
    if result.current_lr:
        return head + _("Suggested learning rate {rate}, where the loss falls fastest (the preset "
                        "has {now}): enter sets it.").format(rate=fmt_lr(result.suggested),
                                                             now=fmt_lr(result.current_lr))
    return head + _("Suggested learning rate {rate}, where the loss falls fastest: enter sets "
                    "it.").format(rate=fmt_lr(result.suggested))


def set_learning_rate(app: Any, rate: float) -> None:
    """Make ``rate`` the working preset's ``compile.optimizer.learning_rate`` (one undo step),
    and show it in the Compile view."""
    from nnbench.tui.messages import PresetChanged

    preset = app.preset
    optimizer = preset.compile.optimizer
    new = preset.copy_with(compile=preset.compile.model_copy(update={
        "optimizer": optimizer.model_copy(update={"params": {**optimizer.params,
                                                             "learning_rate": rate}})}))
    app.session_view.changed(PresetChanged(new, _("learning rate {rate} (from the "
                                                  "learning-rate finder)").format(rate=fmt_lr(rate))))
    app.main.compile_pane.show_preset(app.preset)


def open_lr_finder(app: Any, *, finder: Finder = find_in_process) -> None:
    """What the finder's key does: the finder on the working preset; its answer set as the
    preset's learning rate."""
    def chosen(rate: float | None) -> None:
        if rate is not None:
            set_learning_rate(app, rate)
            app.notify(_("Learning rate set to {rate}: compile.optimizer.learning_rate").format(
                rate=fmt_lr(rate)),
                       timeout=4)

    app.push_screen(LrFindScreen(app.preset, finder=finder), chosen)
