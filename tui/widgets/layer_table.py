"""The Inside view's two drawings: a table of layer health and the live confusion matrix.

    layer        act      mean    std  weights       update   grad   dead
    dense        relu   -0.031  0.397  ▃▁▄▆█▆▅▃▂▁▁▁  1.3e-02  0.486    0%
    dense_1      softmax 0.068  0.336  ▃▂▁▃▃▂▂▁▁▁▃▂  1.4e-02  0.461
    ⚠ dense: 62% of units never activate (dead ReLU) — lower the learning rate ...

The heat map is tui/widgets/confusion_matrix.py's ``render_confusion`` (the Evaluate screen's),
with the cells that moved most since the epoch before underlined. Layer and class names come from
presets and data sets: they are put in ``Text`` as data, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from nnbench.core.events import ConfusionMatrixUpdated, LayerHealth, LayerStats
from nnbench.core.i18n import _
from nnbench.core.layer_health import changed_cells
from nnbench.core.text import cell_cut, cell_pad, printable
from nnbench.tui.widgets.confusion_matrix import layout, render_confusion

SPARK = "▁▂▃▄▅▆▇█"
WIDE = 110
"""From this width on the table also shows each layer's min and max."""
CHANGED = Style(underline=True, bold=True)


def sparkline(counts: Sequence[int]) -> str:
    """A histogram as block characters, the tallest bin a full block (empty bins the lowest)."""
    top = max(counts, default=0)
    if top <= 0:
        return ""
    return "".join(SPARK[min(len(SPARK) - 1, round(c / top * (len(SPARK) - 1)))] for c in counts)


def _num(value: float | None, width: int, spec: str = ".3f") -> str:
    if value is None:
        return " " * width
    text = f"{value:{spec}}"
    if len(text) > width:
        text = f"{value:.1e}"
    return f"{text:>{width}}"


def _share(value: float | None) -> str:
    return "     " if value is None else f"{round(value * 100):>4}%"


def _share_style(value: float | None) -> Style:
    if value is None:
        return Style()
    if value >= 0.5:
        return Style(color="red", bold=True)
    if value >= 0.2:
        return Style(color="yellow")
    return Style(color="green")


def render_layers(health: LayerHealth | None, width: int = 80) -> Text:
    """The table of ``health``'s layers, then its flags in words."""
    text = Text(no_wrap=True, overflow="crop", end="")
    if health is None:
        text.append(_("no layer health yet: it arrives with the first epoch"), style="dim")
        return text
    wide = width >= WIDE
    name_w = max(8, min(18, width - 68 - (16 if wide else 0)))
    # Headings by cell width: a Korean heading is two cells a character.
    head = (_heading(_("layer"), name_w) + " " + _heading(_("act"), 8)
            + _heading(_("mean"), 7, ">") + f" {'std':>6} "
            + (f"{'min':>7} {'max':>7} " if wide else "")
            + " " + _heading(_("weights"), 12) + " " + _heading(_("update"), 8, ">") + " "
            + _heading(_("grad"), 8, ">") + f" {'dead/sat':>8}")
    text.append(head, style="bold")
    flagged = {f.layer for f in health.flags}
    for s in health.layers:
        text.append("\n")
        _layer_row(text, s, name_w, wide, s.name in flagged)
    for flag in health.flags:
        text.append("\n")
        text.append(f"⚠ {printable(flag.text)}", style=Style(color="red" if flag.rule in (
            "dead", "not_finite", "exploding") else "yellow"))
    return text


def _heading(text: str, width: int, align: str = "<") -> str:
    return cell_pad(cell_cut(text, width, ellipsis=""), width, align)


def _layer_row(text: Text, s: LayerStats, name_w: int, wide: bool, flagged: bool) -> None:
    text.append(cell_pad(cell_cut(printable(s.name), name_w), name_w),
                style=Style(bold=True, color="red" if flagged else None))
    text.append(" ")
    text.append(f"{cell_cut(printable(s.activation or ''), 7, ellipsis=''):<8}", style="dim")
    text.append(_num(s.mean, 7) + " " + _num(s.std, 6))
    if wide:
        text.append(" " + _num(s.min, 7) + " " + _num(s.max, 7))
    text.append("  ")
    text.append(f"{sparkline(s.histogram):<12}", style="cyan")
    text.append(" " + _num(s.update_ratio, 8, ".1e") + " " + _num(s.grad_norm, 8, ".3g"))
    share = s.dead if s.dead is not None else s.saturated
    text.append("   ")
    text.append(_share(share), style=_share_style(share))


@dataclass(frozen=True)
class ClassScore:
    """What ``render_confusion`` reads per class."""

    precision: float
    recall: float
    f1: float


def class_scores(matrix: Sequence[Sequence[int]]) -> list[ClassScore]:
    k = len(matrix)
    out = []
    for i in range(k):
        tp = matrix[i][i]
        predicted = sum(matrix[r][i] for r in range(k))
        actual = sum(matrix[i])
        p = tp / predicted if predicted else 0.0
        r = tp / actual if actual else 0.0
        out.append(ClassScore(p, r, 2 * p * r / (p + r) if p + r else 0.0))
    return out


def render_live_confusion(now: ConfusionMatrixUpdated | None,
                          before: ConfusionMatrixUpdated | None, width: int = 80) -> Text:
    """The heat map with per-class precision/recall/F1 beside it; the cells that changed most
    since ``before`` underlined."""
    if now is None:
        return Text(_("no confusion matrix: not a classification run, or no epoch yet"),
                    style="dim")
    text = render_confusion(now.matrix, now.class_names, class_scores(now.matrix), width)
    moved = changed_cells(now.matrix, before.matrix if before is not None else None)
    if moved:
        label_w, cell_w = layout([printable(n) for n in now.class_names],
                                 max((max(r) for r in now.matrix), default=0), width)
        starts = [0]
        for line in text.plain.split("\n"):
            starts.append(starts[-1] + len(line) + 1)
        for i, j in moved:
            begin = starts[i + 1] + label_w + 1 + j * cell_w
            text.stylize(CHANGED, begin, begin + cell_w)
    return text


class LayerTable(Static):
    """Layer health of one epoch; redraws to fit on resize."""

    DEFAULT_CSS = """
    LayerTable {
        width: 1fr;
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.health: LayerHealth | None = None

    def show(self, health: LayerHealth | None) -> None:
        self.health = health
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        self.update(render_layers(self.health, self.content_size.width or 80))


class LiveConfusion(Static):
    """The latest confusion matrix against the one before; redraws to fit on resize."""

    DEFAULT_CSS = """
    LiveConfusion {
        width: 1fr;
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.now: ConfusionMatrixUpdated | None = None
        self.before: ConfusionMatrixUpdated | None = None

    def show(self, now: ConfusionMatrixUpdated | None,
             before: ConfusionMatrixUpdated | None) -> None:
        self.now, self.before = now, before
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        self.update(render_live_confusion(self.now, self.before, self.content_size.width or 80))
