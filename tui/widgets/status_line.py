"""The line above the footer: TensorFlow's state, the model's size, training, the last action."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from nnbench.core.text import printable


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    keras = reactive("Loading TensorFlow…")
    model = reactive("")
    training = reactive("")
    message = reactive("")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)

    def render(self) -> str:
        parts = [self.keras, self.model, self.training, self.message]
        # The last action often quotes a preset name or a path: one printable line.
        return printable(" │ ".join(p for p in parts if p))
