"""A SelectionList whose unselected rows show an empty box, so the choice reads without colour,
whose highlighted row stays on screen inside a scrolling form, and which is entered at its top."""

from __future__ import annotations

from rich.segment import Segment
from textual import events
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import SelectionList
from textual.widgets.option_list import OptionDoesNotExist

from nnbench.tui.textual_private import option_lines


class MarkedSelectionList(SelectionList[str]):
    DEFAULT_CSS = """
    MarkedSelectionList { height: auto; border: none; padding: 0; }
    """

    def _on_focus(self, event: events.Focus) -> None:
        # Widget's private focus handler (declared in tui/textual_private.py) must run first.
        super()._on_focus(event)
        # Entering the list starts at its first row, as every other field starts at its start:
        # a highlight kept from the last visit is invisible until focus arrives, so the Down
        # presses counted from the top and Space ticked a row the person never chose.
        if self.option_count and (self.highlighted is None or not event.from_app_focus):
            self.highlighted = 0
        self.call_after_refresh(self.scroll_to_highlight)

    def scroll_to_highlight(self, top: bool = False) -> None:
        """The list is as tall as its rows (it never scrolls itself), so moving the highlight
        past the bottom of the form left it off screen and space ticked a row nobody could
        see: scroll the form instead."""
        super().scroll_to_highlight(top)
        container = self.parent
        if self.highlighted is None or not self.is_mounted or container is None:
            return
        y, height = option_lines(self, self.highlighted)  # options may wrap onto several lines
        region = Region(0, self.virtual_region.y + y, self.virtual_region.width, height)
        container.scroll_to_region(region, animate=False, immediate=True)  # type: ignore[attr-defined]

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        _, scroll_y = self.scroll_offset
        try:
            selection = self.get_option_at_index(scroll_y + y)
        except OptionDoesNotExist:
            return strip
        if selection.value in self.selected:
            return strip
        segments = list(strip)
        if len(segments) > 1 and segments[1].text == "X":
            segments[1] = Segment(" ", segments[1].style)
        return Strip(segments, strip.cell_length)
