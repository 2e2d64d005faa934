"""A checkbox that reads without colour: ▐X▌ on, ▐ ▌ off (16-colour terminals, screen readers of
screenshots), labelled "on"/"off" unless given a label of its own."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox

from nnbench.core.i18n import _


class Toggle(Checkbox):
    DEFAULT_CSS = """
    Toggle { width: auto; }
    """

    def __init__(self, label: str = "", value: bool = False, **kwargs: object) -> None:
        self._fixed_label = label
        super().__init__(label or self._state_label(value), value, compact=True,
                         **kwargs)  # type: ignore[arg-type]

    @staticmethod
    def _state_label(value: bool) -> str:
        return _("on") if value else _("off")

    @property
    def _button(self) -> Content:
        # Overrides ToggleButton's private drawing of the box (declared in tui/textual_private.py).
        self.BUTTON_INNER = "X" if self.value else " "
        return super()._button

    def watch_value(self) -> None:
        super().watch_value()  # posts Changed
        if not self._fixed_label:
            self.label = self._state_label(self.value)
