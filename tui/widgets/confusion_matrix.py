"""A confusion matrix drawn as a heat map: class names on both axes, per-class scores beside.

Rows are true classes, columns predicted ones (scikit-learn's layout). A cell's shade is its share
of its row (the recall view): the diagonal in green, confusions in red, so the eye finds what a
class is mistaken for. Class names come from the data set: they are put in ``Text`` as data, so
``[bold]`` in a name is shown, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from nnbench.core.i18n import _
from nnbench.core.text import cell_cut, cell_pad, cell_width, printable

_BASE = (40, 40, 48)
_GOOD = (46, 160, 67)
_BAD = (215, 58, 73)
_STATS = ("prec", "rec", "f1")
_STAT_W = 6
_MAX_LABEL = 14
_MIN_LABEL = 4


def _blend(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> Color:
    t = max(0.0, min(1.0, t))
    return Color.from_rgb(*(round(x + (y - x) * t) for x, y in zip(a, b, strict=True)))


def cell_style(count: int, row_total: int, diagonal: bool) -> Style:
    """A cell's shade: its share of the true class's samples, green on the diagonal, red off it."""
    if count == 0 or row_total == 0:
        return Style(color="bright_black")
    share = count / row_total
    # Even a single confusion gets a visible tint (0.25): a faint red next to zero is the point.
    strength = 0.25 + 0.75 * share
    return Style(bgcolor=_blend(_BASE, _GOOD if diagonal else _BAD, strength),
                 color="white" if strength < 0.8 else "black", bold=diagonal)


def layout(class_names: Sequence[str], max_count: int, width: int) -> tuple[int, int]:
    """(label width, cell width) that fit ``width`` columns when they can: cells are at least one
    wider than the largest count, names give way first."""
    k = max(len(class_names), 1)
    digits = len(f"{max_count:,}")
    stats = 1 + _STAT_W * len(_STATS)
    longest = max((cell_width(printable(n)) for n in class_names), default=1)
    label_w = max(_MIN_LABEL, min(_MAX_LABEL, longest))
    cell_w = max(digits + 1, 3)
    # Wider cells show more of each column's name, while everything still fits.
    while cell_w < min(longest + 1, 8) and label_w + 1 + k * (cell_w + 1) + stats <= width:
        cell_w += 1
    while label_w > _MIN_LABEL and label_w + 1 + k * cell_w + stats > width:
        label_w -= 1
    return label_w, cell_w


def render_confusion(matrix: Any, class_names: Sequence[str], scores: Sequence[Any] = (),
                     width: int = 80) -> Text:
    """The heat map as rich ``Text`` (``scores``: per-class objects with precision, recall, f1)."""
    import numpy as np

    counts = np.asarray(matrix, dtype=np.int64)
    names = [printable(n) for n in class_names]
    label_w, cell_w = layout(names, int(counts.max()) if counts.size else 0, width)
    text = Text(no_wrap=True, overflow="crop", end="")
    text.append(cell_pad("true╲pred", label_w + 1), style="dim")
    for name in names:
        # The name's first letters, not "T-…": in a 3-letter column an ellipsis hides a letter.
        text.append(cell_pad(cell_cut(name, cell_w - 1, ellipsis=""), cell_w, ">"), style="bold")
    if scores:
        text.append(" ")
        for stat in _STATS:
            text.append(f"{stat:>{_STAT_W}}", style="bold")
    for i, name in enumerate(names):
        text.append("\n")
        text.append(cell_pad(cell_cut(name, label_w), label_w + 1), style="bold")
        row_total = int(counts[i].sum())
        for j in range(len(names)):
            count = int(counts[i, j])
            shown = f"{count:,}" if count else "·"
            text.append(f"{shown:>{cell_w}}", style=cell_style(count, row_total, i == j))
        if scores:
            s = scores[i]
            text.append(" ")
            for value in (s.precision, s.recall, s.f1):
                text.append(f"{value:>{_STAT_W}.3f}", style=_score_style(value))
    return text


def _score_style(value: float) -> Style:
    if value >= 0.9:
        return Style(color="green")
    if value < 0.5:
        return Style(color="red")
    return Style()


class ConfusionMatrix(Static):
    """The confusion matrix of an ``Evaluation``; redraws to fit on resize."""

    DEFAULT_CSS = """
    ConfusionMatrix {
        width: 1fr;
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__("", name=name, id=id, classes=classes, markup=False)
        self.evaluation: Any = None

    def show(self, evaluation: Any) -> None:
        """Draw ``evaluation``'s matrix (a classification ``core.evaluate.Evaluation``)."""
        self.evaluation = evaluation
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        e = self.evaluation
        if e is None or e.confusion is None:
            self.update(Text(_("no confusion matrix: not a classification run") if e else ""))
            return
        width = self.content_size.width or 80
        self.update(render_confusion(e.confusion, e.class_names, e.per_class, width))

    def plain_text(self) -> str:
        e = self.evaluation
        if e is None or e.confusion is None:
            return ""
        return render_confusion(e.confusion, e.class_names, e.per_class,
                                self.content_size.width or 80).plain
