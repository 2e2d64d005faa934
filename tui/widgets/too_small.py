"""The notice shown instead of a broken layout when the terminal is smaller than 80x24."""

from __future__ import annotations

from textual.widgets import Static

MIN_WIDTH = 80
MIN_HEIGHT = 24


class TooSmall(Static):
    """Hidden until the screen's breakpoint classes say the terminal is too small."""

    SCOPED_CSS = False  # its rules hide the screen's other children

    DEFAULT_CSS = """
    TooSmall {
        display: none;
        width: 100%;
        height: 100%;
        content-align: center middle;
        text-align: center;
        background: $background;
        color: $warning;
        text-style: bold;
    }
    Screen.-too-narrow > *, Screen.-too-short > * { display: none; }
    Screen.-too-narrow > TooSmall, Screen.-too-short > TooSmall { display: block; }
    """

    def __init__(self) -> None:
        super().__init__(f"Terminal too small\n\nnnbench needs at least {MIN_WIDTH}x{MIN_HEIGHT}.\n"
                         "Make the window bigger (or the font smaller).\n\nctrl+q quits.",
                         markup=False)

    def on_resize(self) -> None:
        self._show_size()

    def on_mount(self) -> None:
        self._show_size()

    def _show_size(self) -> None:
        width, height = self.app.size
        self.update(f"Terminal too small: {width}x{height}\n\n"
                    f"nnbench needs at least {MIN_WIDTH}x{MIN_HEIGHT}.\n"
                    "Make the window bigger (or the font smaller).\n\nctrl+q quits.")
