"""A ``DataPreview`` drawn for a terminal of a given width: as plain text, or with Rich.

Both share one layout (``preview_blocks``): lines of text, and rows of pictures. Plain text draws
a picture with shade characters (for a pipe, a log, a test); Rich draws each pair of pixel rows as
one line of ``▀`` with the upper pixel as foreground and the lower as background, which any 16- or
256-colour terminal and tmux show (Rich maps the colours down to what the terminal has).

Every string that came from the data (class names, column names, text samples) goes through
``printable`` and is cut by terminal cells; the Rich path builds ``Text``, never markup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnbench.core.i18n import _
from nnbench.core.preview import DataPreview, Picture
from nnbench.core.text import cell_cut, cell_pad, cell_width, printable

MAX_CLASS_ROWS = 20
MAX_FEATURE_ROWS = 40
TEXT_LINES = 3
"""Lines of each text sample at most."""
_EIGHTHS = " ▏▎▍▌▋▊▉█"
_SHADES = " .:-=+*#%@"


@dataclass(frozen=True)
class PictureRow:
    """Pictures side by side, each with its label cut to its width below it."""

    pictures: list[Picture]
    gap: int = 1
    captions: tuple[tuple[str, ...], ...] = ()
    """Lines under each picture's label, picture by picture (the evaluation's mistakes: the
    predicted class and its probability); drawn by ``blocks_plain`` / ``blocks_rich``."""


Block = str | PictureRow


def preview_blocks(preview: DataPreview, width: int) -> list[Block]:
    """The layout: class balance, then the samples, then what could not be shown."""
    width = max(width, 20)
    blocks: list[Block] = _balance(preview, width)
    if preview.kind == "images":
        blocks += ["", _("Samples ({n} of the training split)").format(n=len(preview.pictures))]
        blocks += _grid(preview.pictures, width)
    elif preview.kind == "text":
        blocks += ["", _("Samples")] + _texts(preview.texts, width)
    else:
        blocks += ["", _("First rows (as the model sees them, after scaling)")]
        blocks += _rows(preview, width)
        blocks += ["", _("Per feature (training split)")] + _features(preview, width)
    blocks += [_("note: {note}").format(note=printable(note)) for note in preview.notes]
    return blocks


def _count(n: int) -> str:
    return f"{n:,}"


def _bar(fraction: float, width: int) -> str:
    eighths = round(max(0.0, min(fraction, 1.0)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width)


def _balance(preview: DataPreview, width: int) -> list[Block]:
    splits = preview.splits
    names = [printable(n) for n in preview.class_names or []]
    if not names or any(s.class_counts is None for s in splits):
        lines: list[Block] = [_("Splits")]
        for s in splits:
            target = "" if s.target is None else " · " + _(
                "target min {low}, mean {mean}, max {high}").format(
                low=f"{s.target[0]:.4g}", mean=f"{s.target[1]:.4g}", high=f"{s.target[2]:.4g}")
            samples = _("{n} samples").format(n=f"{_count(s.samples):>9}")
            lines.append(f"  {cell_pad(_(s.name), 11)}{samples}{target}")
        return lines
    label_width = min(max(max(cell_width(n) for n in names), 5), 16)
    column = max((width - label_width - 2) // max(len(splits), 1), 14)
    head = cell_pad(_("class"), label_width + 2)
    head += "".join(cell_pad(cell_cut(f"{_(s.name)} {_count(s.samples)}", column - 1), column)
                    for s in splits)
    lines = [_("Class balance"), head.rstrip()]
    for k, name in enumerate(names[:MAX_CLASS_ROWS]):
        line = cell_pad(cell_cut(name, label_width), label_width + 2)
        for s in splits:
            counts = s.class_counts or []
            n = counts[k] if k < len(counts) else 0
            total, most = sum(counts) or 1, max(counts, default=0) or 1
            numbers = f" {_count(n):>6} {n / total:4.0%}"
            line += _bar(n / most, max(column - len(numbers) - 1, 3)) + numbers + " "
        lines.append(line.rstrip())
    if len(names) > MAX_CLASS_ROWS:
        lines.append(_("… and {n} more classes").format(n=len(names) - MAX_CLASS_ROWS))
    return lines


def _grid(pictures: list[Picture], width: int) -> list[Block]:
    if not pictures:
        return [_("(no pictures to show)")]
    side = max(p.pixels.shape[1] for p in pictures)
    per_row = max(1, (width + 1) // (side + 1))
    return [PictureRow(pictures[at:at + per_row]) for at in range(0, len(pictures), per_row)]


def _texts(texts: list[tuple[str, str]], width: int) -> list[Block]:
    if not texts:
        return [_("(no samples)")]
    labels = [printable(label) for label, _text in texts]
    label_width = min(max(cell_width(label) for label in labels), 14)
    room = max(width - label_width - 3, 10)
    lines: list[Block] = []
    for label, (_label, text) in zip(labels, texts, strict=True):
        words = " ".join(printable(text, newlines=True).split())
        chunks = _wrap(words, room, TEXT_LINES) or [""]
        for n, chunk in enumerate(chunks):
            lead = cell_pad(cell_cut(label, label_width), label_width) if n == 0 else " " * label_width
            lines.append(f"{lead} │ {chunk}".rstrip())
    return lines


def _wrap(text: str, width: int, most: int) -> list[str]:
    """``text`` in lines of ``width`` cells, at most ``most`` of them, the last ending in … if cut."""
    lines: list[str] = []
    rest = text
    while rest and len(lines) < most:
        if cell_width(rest) <= width:
            lines.append(rest)
            rest = ""
            break
        cut = cell_cut(rest, width, ellipsis="")
        space = cut.rfind(" ")
        piece = cut[:space] if space > width // 2 else cut
        lines.append(piece)
        rest = rest[len(piece):].lstrip()
    if rest and lines:
        lines[-1] = cell_cut(lines[-1] + " " + rest, width)
    return lines


def _number(value: float) -> str:
    return "nan" if not math.isfinite(value) else f"{value:.4g}"


def _rows(preview: DataPreview, width: int) -> list[Block]:
    columns = [_("label")] + [printable(c) for c in preview.columns]
    labels = [cell_width(printable(label)) for label, _row in preview.rows]
    widths = [max(min(cell_width(c), 14), 8) for c in columns]
    widths[0] = max(min(max(labels, default=5), 14), 5)
    fit, used = 0, 0
    for w in widths:
        if used + w + 1 > width:
            break
        fit, used = fit + 1, used + w + 1
    fit = max(fit, 1)
    lines: list[Block] = [" ".join(cell_pad(cell_cut(c, w), w, ">" if k else "<")
                                   for k, (c, w) in enumerate(zip(columns[:fit], widths, strict=False)))]
    for label, values in preview.rows:
        cells = [printable(label)] + [_number(v) for v in values]
        lines.append(" ".join(cell_pad(cell_cut(c, w), w, ">" if k else "<")
                              for k, (c, w) in enumerate(zip(cells[:fit], widths, strict=False))))
    if fit < len(columns):
        lines.append(_("… and {n} more columns (the summary below lists them all)").format(
            n=len(columns) - fit))
    return lines


def _features(preview: DataPreview, width: int) -> list[Block]:
    names = [printable(f.name) for f in preview.features]
    name_width = min(max([cell_width(n) for n in names] + [7]), max(width - 44, 8), 24)
    head = cell_pad(_("feature"), name_width) + f" {'min':>10} {'mean':>10} {'max':>10} {'missing':>8}"
    lines: list[Block] = [head]
    for name, f in zip(names[:MAX_FEATURE_ROWS], preview.features, strict=False):
        # A standardized mean is 0 up to float error: 5.987e-10 would read as a real value.
        mean = 0.0 if abs(f.mean) < 1e-6 * max(abs(f.min), abs(f.max), 1e-30) else f.mean
        lines.append(cell_pad(cell_cut(name, name_width), name_width)
                     + f" {_number(f.min):>10} {_number(mean):>10} {_number(f.max):>10}"
                       f" {f.missing:>8,}")
    if len(names) > MAX_FEATURE_ROWS:
        lines.append(_("… and {n} more features").format(n=len(names) - MAX_FEATURE_ROWS))
    return lines


# --- drawing -------------------------------------------------------------------------------------

def _picture_lines(row: PictureRow, cell: Any) -> list[list[Any]]:
    """Each text line of a picture row as a list of ``cell(upper, lower)`` results, labels after."""
    height = max(p.pixels.shape[0] for p in row.pictures)
    side = max(p.pixels.shape[1] for p in row.pictures)
    lines: list[list[Any]] = [[] for _ in range(math.ceil(height / 2))]
    for n, picture in enumerate(row.pictures):
        pixels = picture.pixels
        if pixels.shape[0] % 2:  # half-blocks take two pixel rows per line
            pixels = np.concatenate([pixels, np.zeros_like(pixels[:1])])
        values = pixels.tolist()  # plain ints: hashing and Rich colours are faster than on NumPy
        for y in range(0, len(values), 2):
            line = lines[y // 2]
            if n:
                line.append(" " * row.gap)
            line.extend(cell(tuple(upper), tuple(lower))
                        for upper, lower in zip(values[y], values[y + 1], strict=True))
            line.append(" " * (side - pixels.shape[1]))
    return lines


def _labels(row: PictureRow) -> str:
    side = max(p.pixels.shape[1] for p in row.pictures)
    return (" " * row.gap).join(cell_pad(cell_cut(printable(p.label), side), side)
                                for p in row.pictures).rstrip()


def _shade(upper: tuple[int, ...], lower: tuple[int, ...]) -> str:
    level = (sum(upper) + sum(lower)) / (6 * 255)
    return _SHADES[min(int(level * len(_SHADES)), len(_SHADES) - 1)]


def preview_plain(preview: DataPreview, width: int) -> str:
    """The preview as plain text: pictures in shade characters."""
    out: list[str] = []
    for block in preview_blocks(preview, width):
        if isinstance(block, PictureRow):
            out.extend("".join(line).rstrip() for line in _picture_lines(block, _shade))
            out.append(_labels(block))
        else:
            out.append(block)
    return "\n".join(out)


def preview_rich(preview: DataPreview, width: int) -> Any:
    """The preview as a Rich renderable: pictures in coloured half-blocks."""
    from rich.console import Group
    from rich.text import Text

    parts: list[Any] = []
    for block in preview_blocks(preview, width):
        if isinstance(block, PictureRow):
            parts.append(_HalfBlocks(block))
            parts.append(Text(_labels(block), style="dim", no_wrap=True, overflow="crop"))
        else:
            parts.append(Text(block, no_wrap=True, overflow="crop"))
    return Group(*parts)


class _HalfBlocks:
    """A ``PictureRow`` as Rich segments: ``▀`` in the upper pixel's colour on the lower one's."""

    def __init__(self, row: PictureRow) -> None:
        self.row = row

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.segment import Segment

        for line in _picture_lines(self.row, _half_block):
            for item in line:
                yield item if isinstance(item, Segment) else Segment(item)
            yield Segment.line()


_STYLES: dict[tuple[tuple[int, ...], tuple[int, ...]], Any] = {}
"""(upper, lower) colours -> their ``▀`` segment: pictures repeat colours, and a redraw
(a resize, a scroll) reuses every one."""
_COLOURS: dict[tuple[int, ...], Any] = {}


def _half_block(upper: tuple[int, ...], lower: tuple[int, ...]) -> Any:
    segment = _STYLES.get((upper, lower))
    if segment is None:
        from rich.color import Color, ColorType
        from rich.color_triplet import ColorTriplet
        from rich.segment import Segment
        from rich.style import Style

        def colour(rgb: tuple[int, ...]) -> Any:
            found = _COLOURS.get(rgb)
            if found is None:
                r, g, b = rgb
                found = _COLOURS[rgb] = Color(f"#{r:02x}{g:02x}{b:02x}", ColorType.TRUECOLOR,
                                              triplet=ColorTriplet(r, g, b))
            return found

        if len(_STYLES) > 50_000:  # bounded: many colourful pictures would grow it forever
            _STYLES.clear()
        segment = _STYLES[upper, lower] = Segment("▀", Style.from_color(colour(upper),
                                                                       colour(lower)))
    return segment


# --- the same drawing for samples from elsewhere (the evaluation's mistakes) ----------------------


def picture_grid(pictures: list[Picture], width: int,
                 captions: list[tuple[str, ...]] | None = None) -> list[Block]:
    """``pictures`` in rows that fit ``width``, as the preview's grid, each with its caption
    lines (``captions``, one tuple a picture) under its label."""
    rows = _grid(pictures, width)
    if not captions:
        return rows
    out: list[Block] = []
    at = 0
    for row in rows:
        if isinstance(row, PictureRow):
            out.append(PictureRow(row.pictures, row.gap,
                                  tuple(captions[at:at + len(row.pictures)])))
            at += len(row.pictures)
        else:
            out.append(row)
    return out


def wrap_text(text: str, width: int, most: int = TEXT_LINES) -> list[str]:
    """``text`` in at most ``most`` lines of ``width`` cells, as the preview wraps its samples."""
    return _wrap(text, width, most)


def _caption_lines(row: PictureRow) -> list[str]:
    side = max(p.pixels.shape[1] for p in row.pictures)
    count = max((len(c) for c in row.captions), default=0)
    return [(" " * row.gap).join(
        cell_pad(cell_cut(printable(c[k]) if k < len(c) else "", side), side)
        for c in row.captions).rstrip() for k in range(count)]


def picture_row_text(row: PictureRow) -> list[str]:
    """The lines under a row of pictures: their labels, then their caption lines (a terminal
    that draws the pictures with its own graphics protocol still writes these as text)."""
    return [_labels(row)] + _caption_lines(row)


def blocks_plain(blocks: list[Block]) -> str:
    """Blocks as plain text (pictures in shade characters, captions under their labels)."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, PictureRow):
            out.extend("".join(line).rstrip() for line in _picture_lines(block, _shade))
            out.append(_labels(block))
            out.extend(_caption_lines(block))
        else:
            out.append(block)
    return "\n".join(out)


def blocks_rich(blocks: list[Block]) -> Any:
    """Blocks as a Rich renderable (pictures in coloured half-blocks, captions under them)."""
    from rich.console import Group
    from rich.text import Text

    parts: list[Any] = []
    for block in blocks:
        if isinstance(block, PictureRow):
            parts.append(_HalfBlocks(block))
            parts.append(Text(_labels(block), no_wrap=True, overflow="crop"))
            parts.extend(Text(line, style="dim", no_wrap=True, overflow="crop")
                         for line in _caption_lines(block))
        else:
            parts.append(Text(block, no_wrap=True, overflow="crop"))
    return Group(*parts)
