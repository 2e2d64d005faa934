"""The line above the footer: TensorFlow's state, the model's size, training, the last action."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from nnbench.core.i18n import N_, _
from nnbench.core.text import printable

LOADING = N_("Loading TensorFlow…")


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    keras = reactive(LOADING)
    model = reactive("")
    training = reactive("")
    message = reactive("")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        # The class default is read at import; the words are the language's of now.
        self.set_reactive(StatusLine.keras, _(LOADING))

    def render(self) -> str:
        parts = [self.keras, self.model, self.training, self.message]
        # The last action often quotes a preset name or a path: one printable line.
        return printable(" │ ".join(p for p in parts if p))
