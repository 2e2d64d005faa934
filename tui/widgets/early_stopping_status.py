"""One line with EarlyStopping's counters after each epoch:

    EarlyStopping: patience 1/2, best val_loss 0.3310 at epoch 6
"""

from __future__ import annotations

from textual.widgets import Static

from nnbench.core.events import EarlyStopped, EarlyStoppingState
from nnbench.core.format import fmt_value
from nnbench.core.i18n import _


def patience_text(state: EarlyStoppingState) -> str:
    text = _("EarlyStopping: patience {wait}/{patience}").format(wait=state.wait,
                                                                 patience=state.patience)
    if state.best is not None:
        text += _(", best {monitor} {value}").format(monitor=state.monitor,
                                                    value=fmt_value(state.best))
        if state.best_epoch is not None:
            text += _(" at epoch {epoch}").format(epoch=state.best_epoch)
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
            _("EarlyStopping: waiting for the first epoch") if enabled else _("EarlyStopping: off"))
        self.update(self.text)

    def show_state(self, state: EarlyStoppingState) -> None:
        self.set_class(state.wait > 0, "-waiting")
        self.text = patience_text(state)
        self.update(self.text)

    def show_stopped(self, event: EarlyStopped) -> None:
        self.remove_class("-waiting")
        self.add_class("-stopped")
        text = _("EarlyStopping fired at epoch {epoch}").format(epoch=event.stopped_epoch)
        if event.best_epoch is not None:
            text += _(": best {monitor} {value} at epoch {epoch}").format(
                monitor=event.monitor, value=fmt_value(event.best_value), epoch=event.best_epoch)
        if event.restored_weights:
            text += _(", restored")
        self.text = text
        self.update(text)
