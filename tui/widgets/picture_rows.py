"""Blocks of samples (``core/preview_draw.py``) drawn for the Data view and the mistakes view.

With half-blocks (``tui/widgets/graphics.py``) the caller renders all the blocks to one set of
lines. With the terminal's own protocol (Kitty, Sixel) each row of pictures becomes one textual-image
widget (the row as one image) in the cells the half-blocks would take, with the labels and captions
under it as text; the text between the rows stays rendered lines. Both are prepared off the UI thread
(``render_parts``); the UI thread only builds the widgets (``part_widgets``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeAlias

from textual.widget import Widget
from textual.widgets import Static

from nnbench.tui.widgets.graphics import Renderer, picture_widget
from nnbench.tui.widgets.rendered_lines import RenderedLines, render_lines

UPSCALE = 8
"""Each picture pixel becomes UPSCALE x UPSCALE image pixels, copied (nearest), before
textual-image scales it to the cells: an 8-pixel digit stays crisp instead of a blur."""


@dataclass(frozen=True)
class PicturesPart:
    """One row of pictures for the terminal's protocol: one PIL image of them all, transparent
    between them, and the cells it covers (those the half-blocks would: a pixel a cell across,
    two pixel rows a line)."""

    image: Any
    width: int
    height: int


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
    """The row as one image: one widget a row, not one a picture, keeps a 64-picture grid to a
    few widgets (Textual's layout and the protocol's encoding cost per widget)."""
    from PIL import Image

    side = max(p.pixels.shape[1] for p in row.pictures)
    height = max(math.ceil(p.pixels.shape[0] / 2) for p in row.pictures)
    width = len(row.pictures) * (side + row.gap) - row.gap
    canvas = Image.new("RGBA", (width * UPSCALE, 2 * height * UPSCALE), (0, 0, 0, 0))
    for n, picture in enumerate(row.pictures):
        h, w = picture.pixels.shape[:2]
        image = Image.fromarray(picture.pixels).resize((w * UPSCALE, h * UPSCALE),
                                                       Image.Resampling.NEAREST)
        canvas.paste(image, (n * (side + row.gap) * UPSCALE, 0))
    return PicturesPart(canvas, width, height)


def _row_text(row: Any, dim_labels: bool) -> Any:
    from rich.console import Group
    from rich.text import Text

    from nnbench.core.preview_draw import picture_row_text

    labels, *captions = picture_row_text(row)
    return Group(Text(labels, style="dim" if dim_labels else "", no_wrap=True, overflow="crop"),
                 *(Text(line, style="dim", no_wrap=True, overflow="crop") for line in captions))


def part_widgets(parts: list[Part], how: Renderer) -> list[Widget]:
    """The widgets that show ``parts`` (UI thread)."""
    return [picture_widget(part.image, how, width=part.width, height=part.height)
            if isinstance(part, PicturesPart) else Static(part, markup=False) for part in parts]
