"""An ASCII line chart of per-epoch curves, drawn with plotext into a Textual widget.

The widget owns one plotext figure for its life (tui/widgets/plotext_private.py: charts never share
state). ``replot()`` after new data only marks the chart stale; the figure is cleared and drawn again
when Textual next renders the widget, so a chart that is not displayed (its tab hidden) costs nothing
and draws once when it is shown again, at its size then; several replots before a frame draw once.
Everything runs on the UI thread.

Plotext's C++ kernel aborts the whole process on some inputs (NaN, points outside the axis limits
next to denormal values), so data is cleaned before it reaches plotext: non-finite values are left
out (the line breaks there), tiny magnitudes become 0 and the x axis always covers every point.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.events import Resize
from textual.widget import Widget

from nnbench.core.downsample import downsample, points_for_width
from nnbench.core.i18n import _
from nnbench.tui.widgets.plotext_private import figure_text, own_figure

# Colours are ANSI palette numbers (0-15) so the chart reads the same in a 16-colour terminal.
TRAIN_COLOR = 12  # bright blue
VAL_COLOR = 13  # bright magenta
BEST_COLOR = 10  # bright green
STOP_COLOR = 9  # bright red
STEER_COLOR = 11  # bright yellow: a learning rate or patience a person set mid-run
SERIES_COLORS = (12, 13, 14, 11, 10, 9, 4, 5)

_MARKUP_COLOR = {
    1: "ansi_red", 2: "ansi_green", 3: "ansi_yellow", 4: "ansi_blue", 5: "ansi_magenta",
    6: "ansi_cyan", 9: "ansi_bright_red", 10: "ansi_bright_green", 11: "ansi_bright_yellow",
    12: "ansi_bright_blue", 13: "ansi_bright_magenta", 14: "ansi_bright_cyan",
}
_TINY = 1e-30
_HUGE = 1e30
_MIN_WIDTH = 14
_MIN_HEIGHT = 4


def markup_color(code: int) -> str:
    """The Textual colour name of an ANSI palette number, for legends in markup."""
    return _MARKUP_COLOR.get(code, "ansi_default")


@dataclass
class Curve:
    """One line on the chart: points (x, y) in the order they arrived."""

    label: str
    color: int
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)

    @property
    def last(self) -> float | None:
        return self.ys[-1] if self.ys else None


@dataclass(frozen=True)
class VerticalMarker:
    """A vertical line across the chart at ``x`` (best epoch, early stop)."""

    x: float
    label: str
    color: int


def _clean(value: float) -> float | None:
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    if abs(value) < _TINY:
        return 0.0
    return max(-_HUGE, min(_HUGE, float(value)))


def _segments(xs: Sequence[float], ys: Sequence[float]) -> list[tuple[list[float], list[float]]]:
    """Runs of consecutive finite points; a NaN breaks the line instead of crashing plotext."""
    runs: list[tuple[list[float], list[float]]] = []
    current: tuple[list[float], list[float]] = ([], [])
    for x, y in zip(xs, ys, strict=False):
        cx, cy = _clean(x), _clean(y)
        if cx is None or cy is None:
            if current[0]:
                runs.append(current)
            current = ([], [])
            continue
        current[0].append(cx)
        current[1].append(cy)
    if current[0]:
        runs.append(current)
    return runs


def x_ticks(low: int, high: int, width: int) -> list[int]:
    """The epochs to label on an x axis from ``low`` to ``high`` that is ``width`` cells wide.

    Whole epochs only, at most one label per 6 cells: every epoch when there is room, else ``low``
    and every 2nd, 5th, 10th, 20th, 50th... epoch (a multiple too close to ``low`` is left out).
    """
    room = max(2, width // 6)
    magnitude = 1
    while True:
        for base in (1, 2, 5):
            step = base * magnitude
            if step == 1:
                ticks = list(range(low, high + 1))
            else:
                ticks = [low] + [m for m in range(step, high + 1, step) if m - low >= step / 2]
            if len(ticks) <= room:
                return ticks
        magnitude *= 10


class CurveChart(Widget):
    """Per-epoch curves with vertical markers; the legend (with each curve's last value) sits in the
    border title, the markers' legend in the border subtitle."""

    DEFAULT_CSS = """
    CurveChart {
        width: 1fr;
        height: 1fr;
        min-height: 5;
        border: round $panel-lighten-2;
        border-title-align: left;
        border-subtitle-align: right;
        padding: 0 1 0 0;
    }
    CurveChart:focus {
        border: round $accent;
    }
    CurveChart > .curve-chart--empty {
        color: $text-muted;
    }
    """

    COMPONENT_CLASSES = {"curve-chart--empty"}

    def __init__(self, title: str = "", *, empty_text: str | None = None,
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.title = title
        self.empty_text = _("waiting for the first epoch") if empty_text is None else empty_text
        """What the chart says while it has no points (in the interface's language)."""
        self.curves: dict[str, Curve] = {}
        self.markers: dict[str, VerticalMarker] = {}
        self._rendered: Text | None = None
        self._rendered_size: tuple[int, int] | None = None
        self._stale = True
        self._plot: Any = None  # the plotext figure, made at the first draw (plotext loads then)
        self.replot_count = 0
        """How many times the figure was drawn (tests use it to see when a chart redraws)."""

    # --- data ---------------------------------------------------------------------------------

    def clear(self, title: str | None = None) -> None:
        """Forget every curve and marker (a new run starts)."""
        self.curves.clear()
        self.markers.clear()
        if title is not None:
            self.title = title

    def set_curve(self, label: str, xs: Iterable[float], ys: Iterable[float],
                  color: int | None = None) -> Curve:
        """Replace (or add) a whole curve, e.g. a run's history read from disk."""
        color = self._next_color() if color is None and label not in self.curves else color
        curve = Curve(label, color if color is not None else self.curves[label].color,
                      [float(x) for x in xs], [float(y) for y in ys])
        self.curves[label] = curve
        return curve

    def append(self, label: str, x: float, y: float, color: int | None = None) -> None:
        """Add one point to a curve, creating it on first use."""
        curve = self.curves.get(label)
        if curve is None:
            curve = self.curves[label] = Curve(label, self._next_color() if color is None else color)
        curve.xs.append(float(x))
        curve.ys.append(float(y) if isinstance(y, (int, float)) else math.nan)

    def set_marker(self, key: str, x: float | None, label: str, color: int) -> None:
        """Show (or move) a vertical line; ``x=None`` removes it."""
        if x is None:
            self.markers.pop(key, None)
        else:
            self.markers[key] = VerticalMarker(float(x), label, color)

    def point_count(self, label: str) -> int:
        """Points recorded for a curve (NaN points included: they are recorded, just not drawn)."""
        curve = self.curves.get(label)
        return len(curve.xs) if curve else 0

    def _next_color(self) -> int:
        used = {curve.color for curve in self.curves.values()}
        for color in SERIES_COLORS:
            if color not in used:
                return color
        return SERIES_COLORS[len(self.curves) % len(SERIES_COLORS)]

    # --- drawing ------------------------------------------------------------------------------

    def replot(self) -> None:
        """Show the current data: the legend now, the figure when the chart is next rendered."""
        self._update_legend()
        self._stale = True
        self.refresh()

    def on_resize(self, event: Resize) -> None:
        # The legend fits the new width now; the figure redraws at its next render, when the
        # size it was drawn at differs (a tab shown again at its old size keeps its figure).
        self._update_legend()

    def render(self) -> Text:
        # Textual renders only what is displayed: the figure is drawn here, not in replot().
        size = (self.content_size.width, self.content_size.height)
        if self._rendered is None or self._stale or size != self._rendered_size:
            self._rendered = self._build(*size)
            self._rendered_size, self._stale = size, False
        return self._rendered

    def plain_text(self) -> str:
        """What the chart shows, without colour (for tests and debugging)."""
        return self.render().plain

    def _update_legend(self) -> None:
        """The title (what the chart plots: "loss", "compare val_loss") always leads the top
        border; then each curve with its last value if they all fit, else without values; else
        the curves go to the bottom border when no marker is there, or as many names as fit and
        "…". The title gives way only to the full list of curves whose names all contain it
        ("━ accuracy  ━ val_accuracy")."""
        # Titles, curve and marker names may come from a run folder (a history.csv column):
        # shown as text, measured in terminal cells.
        from nnbench.core.text import cell_cut, cell_width, markup_safe, printable

        room = max(0, self.size.width - 6)
        title = cell_cut(printable(self.title), room, ellipsis="") if self.title else ""
        used = cell_width(title)
        with_values, names = [], []
        for curve in self.curves.values():
            last = _last_finite(curve.ys)
            value = f" {_short(last)}" if last is not None else ""
            swatch = f"[{markup_color(curve.color)}]━[/]"
            label = printable(curve.label)
            with_values.append((f"{swatch} {markup_safe(label)}{value}", f"━ {label}{value}"))
            names.append((f"{swatch} {markup_safe(label)}", f"━ {label}"))

        def width(parts: list[tuple[str, str]]) -> int:
            return sum(cell_width(plain) + 2 for _, plain in parts) - (0 if title else 2)

        def fits(parts: list[tuple[str, str]], extra: int = 0) -> bool:
            return used + width(parts) + extra <= room

        cut = False
        # Markers without a label share the legend of one that has one (several steered changes
        # are one "┊ lr 1e-4" in the legend, the last one's).
        marks = [f"[{markup_color(m.color)}]┊[/] {markup_safe(m.label)}" for m in self.markers.values()
                 if m.label]
        bottom = "  ".join(marks)
        if not marks and title and not fits(names):
            # No markers below: the bottom border has room for the curves ("compare val_loss"
            # above, the runs compared below).
            for below in (with_values, names):
                if sum(cell_width(plain) + 2 for _, plain in below) - 2 <= room:
                    self.border_title = f"[b]{markup_safe(title)}[/b]"
                    self.border_subtitle = "  ".join(markup for markup, _ in below)
                    return
        if fits(with_values):
            legend = with_values
        elif fits(names):
            legend = names
        elif title and all(title in printable(curve.label) for curve in self.curves.values()) and (
                sum(cell_width(plain) + 2 for _, plain in names) - 2 <= room):
            # Every curve's name already says what the chart plots ("accuracy", "val_accuracy"):
            # all the curves without the title say more than the title and some of the curves.
            legend, title, used = names, "", 0
        else:  # as many names as fit, and "…" (3 columns with its gap) for the rest
            legend, cut = names, True
            while legend and not fits(legend, 3):
                legend = legend[:-1]
        parts = ([f"[b]{markup_safe(title)}[/b]"] if title else []) + [markup for markup, _ in legend]
        if cut and fits(legend, 3):
            parts.append("…")
        self.border_title = "  ".join(parts) if parts else None
        self.border_subtitle = bottom

    def _empty(self, width: int, height: int) -> Text:
        from nnbench.core.text import cell_cut, cell_width, printable

        style = self.get_component_rich_style("curve-chart--empty", partial=True)
        text = printable(self.empty_text)
        if cell_width(text) == len(text):
            middle = text.center(max(width, 0))[:width]
        else:  # wide (Korean) characters: centred by the columns they take, not their count
            middle = cell_cut(" " * max((width - cell_width(text)) // 2, 0) + text, max(width, 0))
        lines = [""] * max(0, (height - 1) // 2) + [middle]
        return Text("\n".join(lines), style=style, no_wrap=True, overflow="crop")

    def _build(self, width: int, height: int) -> Text:
        # Long histories are cut to what the width can show, keeping each stretch's extremes and
        # gaps (core/downsample.py): 10,000 epochs redraw as fast as 100.
        budget = points_for_width(width)
        runs = [(curve, _segments(*downsample(curve.xs, curve.ys, budget)))
                for curve in self.curves.values()]
        if not any(segments for _, segments in runs):
            return self._empty(width, height)
        if width < _MIN_WIDTH or height < _MIN_HEIGHT:
            return Text(_("(too small)")[:max(width, 0)], no_wrap=True, overflow="crop")
        self.replot_count += 1
        try:
            return figure_text(self._figure(width, height, runs))
        except Exception as error:  # a chart must never take the app down
            return Text(_("chart unavailable: {error}").format(error=error)[
                : max(width, 0) * max(height, 1)], style="red")

    def _figure(self, width: int, height: int, runs: list[tuple[Curve, list]]) -> str:
        import plotext

        figure = self._plot
        if figure is None:
            figure = self._plot = own_figure()
            figure.theme("simple")
            # Only the left and lower axes: the widget's border already frames the chart.
            figure.axes(False, axis="x", side="upper")
            figure.axes(False, axis="y", side="right")
        else:
            # One figure for the chart's life: its lines and markers go, its settings stay.
            figure.clear.data()
        figure.plot_size(width, height)

        xs_all = [x for _, segments in runs for seg in segments for x in seg[0]]
        xs_all += [m.x for m in self.markers.values() if _clean(m.x) is not None]
        low = math.floor(min(xs_all))
        high = max(math.ceil(max(xs_all)), low + 1)
        for curve, segments in runs:
            pixel = plotext.pixel(foreground=curve.color)
            for seg_x, seg_y in segments:
                signal = figure.signal(seg_x, seg_y, marker=plotext.marker("hd", pixel))
                figure.draw(signal.lines() if len(seg_x) > 1 else signal)
        for marker in self.markers.values():
            if _clean(marker.x) is not None:
                figure.line(marker.x, orientation="v", style="dotted",
                            pixel=plotext.pixel(foreground=marker.color, background="default"))
        ruler = figure.ruler("x")
        ruler.lim(low, high)
        ruler.ticks(x_ticks(low, high, width))
        # plotext writes notes ("values too close together") to stdout/stderr: keep them off the screen
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return figure.build().string()


def _last_finite(values: Sequence[float]) -> float | None:
    for value in reversed(values):
        if math.isfinite(value):
            return value
    return None


def _short(value: float) -> str:
    size = abs(value)
    if size != 0 and (size < 1e-3 or size >= 1e5):
        return f"{value:.2e}"
    return f"{value:.4f}" if size < 100 else f"{value:,.1f}"
