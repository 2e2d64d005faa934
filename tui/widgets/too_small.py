"""The notice shown instead of a broken layout when the terminal is smaller than 80x24."""

from __future__ import annotations

from textual.widgets import Static

from nnbench.core.i18n import _

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
        super().__init__(_("Terminal too small") + "\n\n" + _advice(), markup=False)

    def on_resize(self) -> None:
        self._show_size()

    def on_mount(self) -> None:
        self._show_size()

    def _show_size(self) -> None:
        width, height = self.app.size
        self.update(_("Terminal too small: {width}x{height}").format(width=width, height=height)
                    + "\n\n" + _advice())


def _advice() -> str:
    return (_("nnbench needs at least {width}x{height}.").format(width=MIN_WIDTH, height=MIN_HEIGHT)
            + "\n" + _("Make the window bigger (or the font smaller).") + "\n\n"
            + _("ctrl+q quits."))
