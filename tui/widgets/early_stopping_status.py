"""One line with EarlyStopping's counters after each epoch:

    EarlyStopping: patience 1/2, best val_loss 0.3310 at epoch 6
"""

from __future__ import annotations

from textual.widgets import Static

from nnbench.core.events import EarlyStopped, EarlyStoppingState
from nnbench.core.format import fmt_value


def patience_text(state: EarlyStoppingState) -> str:
    text = f"EarlyStopping: patience {state.wait}/{state.patience}"
    if state.best is not None:
        text += f", best {state.monitor} {fmt_value(state.best)}"
        if state.best_epoch is not None:
            text += f" at epoch {state.best_epoch}"
    return text


class EarlyStoppingStatus(Static):
    """Shows -waiting when epochs pass without improvement, -stopped once it fired."""

    DEFAULT_CSS = """
    EarlyStoppingStatus {
        height: 1;
        width: 1fr;
        color: $text-muted;
    }
    EarlyStoppingStatus.-waiting {
        color: $warning;
    }
    EarlyStoppingStatus.-stopped {
        color: $warning;
        text-style: bold;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__("", markup=False, name=name, id=id, classes=classes)
        self.text = ""

    def reset(self, enabled: bool | None = None) -> None:
        self.remove_class("-waiting", "-stopped")
        self.text = "" if enabled is None else (
            "EarlyStopping: waiting for the first epoch" if enabled else "EarlyStopping: off")
        self.update(self.text)

    def show_state(self, state: EarlyStoppingState) -> None:
        self.set_class(state.wait > 0, "-waiting")
        self.text = patience_text(state)
        self.update(self.text)

    def show_stopped(self, event: EarlyStopped) -> None:
        self.remove_class("-waiting")
        self.add_class("-stopped")
        text = f"EarlyStopping fired at epoch {event.stopped_epoch}"
        if event.best_epoch is not None:
            text += f": best {event.monitor} {fmt_value(event.best_value)} at epoch {event.best_epoch}"
        if event.restored_weights:
            text += ", restored"
        self.text = text
        self.update(text)
