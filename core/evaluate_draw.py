"""Mistakes and residuals drawn as the data preview draws samples (``core/preview_draw.py``).

Images become the preview's small half-block pictures (one brightness scale for all shown), each
with the true class under it, then the predicted one and its probability; text is cut to a few
lines of words; table rows line up under their column names. The layout is a list of the
preview's blocks (lines and picture rows), so ``blocks_plain`` draws it for a pipe and
``blocks_rich`` for a terminal or the app. Every string from the data goes through
``printable`` and is cut by terminal cells; nothing here is markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np

from nnbench.core.evaluate_types import Example, Mistake, Residual, short
from nnbench.core.i18n import _
from nnbench.core.preview import PICTURE_SIDE, Picture, shrink, to_rgb
from nnbench.core.preview_draw import Block, picture_grid, wrap_text
from nnbench.core.text import cell_cut, cell_pad, cell_width, printable

Item: TypeAlias = Mistake | Residual
NAME_WIDTH = 14
"""Columns a class or column name takes at most in a table."""


def sample_blocks(items: Sequence[Item], width: int, *, all_columns: bool = False) -> list[Block]:
    """``items`` drawn for ``width`` columns: pictures, texts, or a table of rows (all its columns
    when ``all_columns``: the app scrolls sideways; else as many as fit and how many did not)."""
    width = max(width, 20)
    pictures = [it for it in items if it.example.kind == "image" and it.example.pixels is not None]
    texts = [it for it in items if it.example.kind in ("text", "sequence")]
    rows = [it for it in items if it.example.kind in ("row", "values") and it.example.row]
    drawn = {id(it) for it in (*pictures, *texts, *rows)}
    blocks: list[Block] = []
    if pictures:
        blocks += picture_blocks(pictures, width)
    if texts:
        blocks += text_blocks(texts, width)
    if rows:
        blocks += table_blocks(rows, width, all_columns=all_columns)
    blocks += [cell_cut(f"{head(it)}  {printable(it.example.one_line(10_000))}", width)
               for it in items if id(it) not in drawn]
    return blocks


def head(item: Item) -> str:
    """One line that names an item: its index, true and predicted class or value, and how sure."""
    if isinstance(item, Mistake):
        return _("#{index}  true {true}  predicted {predicted}  p={p}").format(
            index=item.index, true=printable(item.true_name),
            predicted=printable(item.predicted_name), p=f"{item.probability:.3f}")
    return _("#{index}  true {true}  predicted {predicted}  residual {residual}").format(
        index=item.index, true=short(item.true), predicted=short(item.predicted),
        residual=short(item.residual))


def captions(item: Item) -> tuple[str, tuple[str, ...]]:
    """A picture's label and the lines under it."""
    if isinstance(item, Mistake):
        return item.true_name, (f"→ {item.predicted_name}", f"p={item.probability:.2f}")
    return f"t={short(item.true)}", (f"p={short(item.predicted)}", f"r={short(item.residual)}")


def as_pictures(examples: Sequence[Example], labels: Sequence[str],
                side: int = PICTURE_SIDE) -> list[Picture]:
    """Image examples as the preview's pictures: shrunk to ``side``, one brightness scale for all
    (percentiles, so a few extreme pixels don't wash the rest out)."""
    images = [_channels(np.asarray(e.pixels, dtype=np.float32)) for e in examples]
    finite = np.concatenate([img[np.isfinite(img)] for img in images]) if images else np.zeros(0)
    low, high = ((float(np.percentile(finite, 1)), float(np.percentile(finite, 99)))
                 if finite.size else (0.0, 1.0))
    return [Picture(to_rgb(shrink(img, side), low, high), label)
            for img, label in zip(images, labels, strict=True)]


def _channels(image: np.ndarray) -> np.ndarray:
    """(h, w) or (h, w, c) -> (h, w, c); anything else flattened into one row of pixels."""
    if image.ndim == 2:
        return image[..., None]
    if image.ndim == 3 and image.shape[2] in (1, 3, 4):
        return image
    return image.reshape(1, -1, 1)


def picture_blocks(items: Sequence[Item], width: int) -> list[Block]:
    labelled = [captions(it) for it in items]
    pictures = as_pictures([it.example for it in items], [label for label, _ in labelled])
    return picture_grid(pictures, width, [lines for _, lines in labelled])


def text_blocks(items: Sequence[Item], width: int) -> list[Block]:
    lines: list[Block] = []
    for item in items:
        lines.append(cell_cut(head(item), width))
        words = " ".join(printable(item.example.text or "", newlines=True).split())
        if item.example.path:
            words = f"{printable(item.example.path.rsplit('/', 1)[-1])}: {words}"
        lines += [f"  {chunk}" for chunk in wrap_text(words, width - 2) or [_("(empty)")]]
    return lines


def table_blocks(items: Sequence[Item], width: int, *, all_columns: bool = False) -> list[Block]:
    """The rows under their column names: index, true, predicted, p (or residual), features."""
    regression = isinstance(items[0], Residual)
    names = [printable(name) for name, _ in items[0].example.row]
    header = ["#", _("true"), _("predicted"), _("residual") if regression else "p", *names]
    table = [header] + [_cells(it, len(names)) for it in items]
    widths = [min(max(cell_width(row[k]) for row in table), NAME_WIDTH if k < 4 else 12)
              for k in range(len(header))]
    fit, used = len(header), 0
    if not all_columns:
        fit = 0
        for w in widths:
            if used + w > width and fit >= 4:
                break
            fit, used = fit + 1, used + w + 2
    text_columns = 1 if regression else 3  # class names read left-aligned, numbers right
    lines: list[Block] = [
        "  ".join(cell_pad(cell_cut(c, w), w, "<" if 0 < k < text_columns else ">")
                  for k, (c, w) in enumerate(zip(row[:fit], widths, strict=False))).rstrip()
        for row in table]
    if fit < len(header):
        lines.append(_("… and {n} more columns (wider terminal, or the app scrolls sideways)")
                     .format(n=len(header) - fit))
    return lines


def _cells(item: Item, features: int) -> list[str]:
    if isinstance(item, Mistake):
        lead = [f"{item.index}", printable(item.true_name), printable(item.predicted_name),
                f"{item.probability:.3f}"]
    else:
        lead = [f"{item.index}", short(item.true), short(item.predicted), short(item.residual)]
    values = [short(v) for _, v in item.example.row]
    return lead + values + [""] * (features - len(values))
