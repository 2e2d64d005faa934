"""The steer dialog: a new learning rate and/or EarlyStopping patience for the run training now.

    ╭ Steer 20261203-061500-digits-mlp ────────────────────────╮
    │ learning rate   0.001     now 0.001                      │
    │ patience        5         now 5 (EarlyStopping val_loss) │
    │ applied before the run's next batch; marked on the curves│
    ╰─────────────────────────────── enter applies · esc cancels╯

The request reaches the run's process through its control file (core/control.py), written in a
thread worker; the dialog closes once it is written, with the ``Steer`` it asked for. The run's
answer (the LearningRateChanged / PatienceChanged event, or a notice why not) arrives in the Train
view like any other event. ``open_steer`` is what the Train view's key calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from nnbench.core import events as ev
from nnbench.core.control import Steer, check_steer
from nnbench.core.errors import NnbenchError
from nnbench.core.format import fmt_lr
from nnbench.core.i18n import N_, _
from nnbench.core.text import printable
from nnbench.tui.screens.modal import Modal

if TYPE_CHECKING:
    from textual.widget import Widget

    from nnbench.core.run_state import RunState


class SteerScreen(Modal[Steer | None]):
    """Dismisses with the ``Steer`` written to the run's control file, or None."""

    HINT = N_("enter applies · esc cancels")
    DEFAULT_CSS = """
    SteerScreen .row { height: auto; padding: 0 0 1 0; }
    SteerScreen .row Label { width: 16; }
    SteerScreen .row Input { width: 16; }
    SteerScreen .row .now { width: 1fr; padding: 0 0 0 2; color: $text-muted; }
    SteerScreen #steer-note { color: $text-muted; height: auto; }
    SteerScreen #steer-problem { color: $error; text-style: bold; height: auto; }
    """

    def __init__(self, run_dir: str, run_id: str, learning_rate: float | None,
                 patience: int | None, monitor: str | None = None, *,
                 patience_known: bool = True) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.run_id = run_id
        self.learning_rate = learning_rate
        self.patience = patience
        """The run's EarlyStopping patience now; None: the run has no EarlyStopping."""
        self.monitor = monitor
        self.patience_known = patience_known
        """False before the run's first epoch ends: whether it has EarlyStopping is not known yet
        (the run answers a patience it can't use with a notice)."""

    def compose_dialog(self) -> ComposeResult:
        lr_now = fmt_lr(self.learning_rate) if self.learning_rate is not None else _("not known yet")
        with Vertical(classes="dialog", id="steer-dialog"):
            yield Static(_("Steer {run}").format(run=printable(self.run_id)), classes="title", markup=False)
            with Horizontal(classes="row"):
                yield Label(_("learning rate"))
                yield Input(fmt_lr(self.learning_rate) if self.learning_rate else "",
                            id="steer-lr", compact=True, placeholder=_("e.g. 1e-4"))
                yield Static(_("now {value}").format(value=lr_now), classes="now", markup=False)
            with Horizontal(classes="row"):
                yield Label(_("patience"))
                if self.patience is None and self.patience_known:
                    yield Input("", id="steer-patience", compact=True, disabled=True)
                    yield Static(_("this run has no EarlyStopping"), classes="now", markup=False)
                elif self.patience is None:
                    yield Input("", id="steer-patience", compact=True, type="integer",
                                placeholder=_("epochs"))
                    yield Static(_("known after the first epoch"), classes="now", markup=False)
                else:
                    yield Input(str(self.patience), id="steer-patience", compact=True,
                                type="integer")
                    now = _("now {n} epochs").format(n=self.patience)
                    if self.monitor:
                        now += " " + _("(EarlyStopping on {monitor})").format(
                            monitor=printable(self.monitor))
                    yield Static(now, classes="now",
                                 markup=False)
            yield Static(_("Applied before the run's next batch (a paused run: when it resumes); "
                           "marked on the curves and redone by the exported script."),
                         id="steer-note", markup=False)
            yield Static("", id="steer-problem", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(_("Cancel"), id="cancel", compact=True)
                yield Button(_("Apply"), variant="primary", id="apply", compact=True)

    def on_mount(self) -> None:
        field = self.query_one("#steer-lr", Input)
        field.focus()
        field.action_select_all()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "apply":
            self._apply()
        else:
            self.dismiss(None)

    def wish(self) -> Steer:
        """What the fields ask for: only the values that differ from the run's now.

        Raises:
            NnbenchError: a value that is not a number, or one steering refuses.
        """
        lr_text = self.query_one("#steer-lr", Input).value.strip()
        patience_field = self.query_one("#steer-patience", Input)
        patience_text = "" if patience_field.disabled else patience_field.value.strip()
        try:
            lr = float(lr_text) if lr_text else None
        except ValueError:
            raise NnbenchError(_("the learning rate must be a number such as 1e-4, not "
                                 "'{text}'").format(text=lr_text)) from None
        try:
            patience = int(patience_text) if patience_text else None
        except ValueError:
            raise NnbenchError(_("patience must be a whole number of epochs, not "
                                 "'{text}'").format(text=patience_text)) from None
        if lr is not None and self.learning_rate is not None and fmt_lr(lr) == fmt_lr(
                self.learning_rate):
            lr = None  # unchanged: asking again would undo what ReduceLROnPlateau did
        if patience is not None and patience == self.patience:
            patience = None
        if lr is None and patience is None:
            raise NnbenchError(_("nothing changed: type a new learning rate or patience, or esc"))
        return check_steer(lr, patience)

    def _apply(self) -> None:
        problem = self.query_one("#steer-problem", Static)
        try:
            wish = self.wish()
        except NnbenchError as exc:
            problem.update(f"✗ {exc.message}")
            return
        problem.update("")
        self._send(wish)

    @work(thread=True, exclusive=True, exit_on_error=False, group="steer",
          description="Steering the run")
    def _send(self, wish: Steer) -> None:
        from nnbench.core.control import steer

        try:
            steer(self.run_dir, learning_rate=wish.learning_rate, patience=wish.patience)
        except (OSError, NnbenchError) as exc:
            text = exc.message if isinstance(exc, NnbenchError) else (exc.strerror or str(exc))
            self.app.call_from_thread(self.query_one("#steer-problem", Static).update,
                                      _("✗ could not reach the run: {reason}").format(reason=text))
            return
        self.app.call_from_thread(self.dismiss, wish)


def steer_screen_for(state: RunState) -> SteerScreen | None:
    """The dialog for the run ``state`` follows, or None when nothing is training there."""
    if state.run_dir is None or state.finished is not None or state.status not in (
            "running", "paused", "stopping"):
        return None
    es = state.patience
    return SteerScreen(state.run_dir, state.run_id or "", learning_rate_now(state),
                       es.patience if es is not None else None,
                       es.monitor if es is not None else None,
                       patience_known=es is not None or state.epoch > 0)


def learning_rate_now(state: RunState) -> float | None:
    """The run's learning rate as of its last event: a steered change after the last finished
    epoch, else that epoch's rate; None before the first epoch ends."""
    steered = [c for c in state.steering if isinstance(c, ev.LearningRateChanged)]
    if steered:
        last = steered[-1]
        after_epoch_end = last.epoch == state.epoch and last.steps and (last.batch or 0) >= last.steps
        if last.epoch > state.epoch or after_epoch_end:
            return last.new
    rates = state.series.get("learning_rate")
    return rates[-1][1] if rates else None


def open_steer(widget: Widget, state: RunState) -> None:
    """What the Train view's steer key does: the dialog for the run training there, or a word
    why not. The run's answer arrives as its events."""
    screen = steer_screen_for(state)
    if screen is None:
        widget.notify(_("No run is training here: Ctrl+R trains the preset, or watch a running "
                        "one from the Runs tab."), severity="warning")
        return

    def asked(wish: Steer | None) -> None:
        if wish is None:
            return
        parts = [_("learning rate {rate}").format(rate=fmt_lr(wish.learning_rate))
                 if wish.learning_rate else "",
                 _("patience {n}").format(n=wish.patience) if wish.patience is not None else ""]
        widget.notify(_("Asked the run for {what}; it applies it before its next batch.").format(
            what=_(" and ").join(p for p in parts if p)), timeout=4)

    widget.app.push_screen(screen, asked)
