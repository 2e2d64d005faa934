"""Blocks of samples (``core/preview_draw.py``) drawn for the Data view and the mistakes view.

With half-blocks (``tui/widgets/graphics.py``) the caller renders all the blocks to one set of
lines. With the terminal's own protocol (Kitty, Sixel) each row of pictures becomes textual-image
widgets side by side in the cells the half-blocks would take, with the labels and captions under
them as text; the text between the rows stays rendered lines. Both are prepared off the UI thread
(``render_parts``); the UI thread only builds the widgets (``part_widgets``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeAlias

from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Static

from nnbench.tui.widgets.graphics import Renderer, picture_widget
from nnbench.tui.widgets.rendered_lines import RenderedLines, render_lines

UPSCALE = 8
"""Each picture pixel becomes UPSCALE x UPSCALE image pixels, copied (nearest), before
textual-image scales it to the cells: an 8-pixel digit stays crisp instead of a blur."""


@dataclass(frozen=True)
class PicturesPart:
    """One row of pictures for the terminal's protocol: PIL images and their cells."""

    images: list[Any]
    widths: list[int]
    """Cells across, picture by picture (a pixel a cell, as the half-blocks)."""
    height: int
    """Lines down (two pixel rows a line, as the half-blocks)."""
    gap: int


Part: TypeAlias = RenderedLines | PicturesPart


def render_parts(blocks: list[Any], width: int, *, dim_labels: bool = False) -> list[Part]:
    """``blocks`` prepared for the terminal's protocol (any thread): text and rows of pictures in
    turn. ``dim_labels`` dims the labels under the pictures. (Half-blocks need none of this: the
    caller renders all the blocks to one ``RenderedLines``.)"""
    from nnbench.core.preview_draw import PictureRow, blocks_rich

    parts: list[Part] = []
    text: list[Any] = []
    for block in blocks:
        if not isinstance(block, PictureRow):
            text.append(block)
            continue
        if text:
            parts.append(render_lines(blocks_rich(text), width))
            text = []
        parts.append(_pictures(block))
        parts.append(render_lines(_row_text(block, dim_labels), width))
    if text:
        parts.append(render_lines(blocks_rich(text), width))
    return parts


def _pictures(row: Any) -> PicturesPart:
    from PIL import Image

    images = []
    for picture in row.pictures:
        h, w = picture.pixels.shape[:2]
        image = Image.fromarray(picture.pixels)
        images.append(image.resize((w * UPSCALE, h * UPSCALE), Image.Resampling.NEAREST))
    height = max(math.ceil(p.pixels.shape[0] / 2) for p in row.pictures)
    side = max(p.pixels.shape[1] for p in row.pictures)
    return PicturesPart(images, [side] * len(images), height, row.gap)


def _row_text(row: Any, dim_labels: bool) -> Any:
    from rich.console import Group
    from rich.text import Text

    from nnbench.core.preview_draw import picture_row_text

    labels, *captions = picture_row_text(row)
    return Group(Text(labels, style="dim" if dim_labels else "", no_wrap=True, overflow="crop"),
                 *(Text(line, style="dim", no_wrap=True, overflow="crop") for line in captions))


class PicturesRow(Horizontal):
    """Pictures side by side, drawn by the terminal's protocol."""

    DEFAULT_CSS = "PicturesRow { height: auto; width: auto; }"

    def __init__(self, part: PicturesPart, how: Renderer) -> None:
        super().__init__()
        self.part = part
        self.how = how

    def compose(self) -> Any:
        for n, (image, width) in enumerate(zip(self.part.images, self.part.widths, strict=True)):
            widget = picture_widget(image, self.how, width=width, height=self.part.height)
            if n:
                widget.styles.margin = (0, 0, 0, self.part.gap)
            yield widget


def part_widgets(parts: list[Part], how: Renderer) -> list[Widget]:
    """The widgets that show ``parts`` (UI thread)."""
    return [PicturesRow(part, how) if isinstance(part, PicturesPart)
            else Static(part, markup=False) for part in parts]
