"""The app's side of training: its training keys (ctrl+r, x, e, p, s, ctrl+l) and the Runs view's
resume, watch and clone, handed to ``RunActions`` (tui/run_actions.py); and what changes while a run
trains (the footer's keys, the status line, the checking helper let go)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work

from nnbench.core.i18n import N_, _
from nnbench.tui.app_keys import footer_binding
from nnbench.tui.messages import TrainingStateChanged
from nnbench.tui.run_status import status_word
from nnbench.tui.textual_private import replace_bindings

if TYPE_CHECKING:
    from nnbench.tui.app import NnbenchApp


class AppTraining:
    """Mixed into ``NnbenchApp``: the actions its training bindings name, and the handler of
    ``TrainingStateChanged``."""

    def action_train(self: NnbenchApp) -> None:
        self.runs.train()

    def resume_run(self: NnbenchApp, run_dir: Path) -> None:
        """Go on with an interrupted or stopped run (the Runs view's resume)."""
        self.runs.resume(run_dir)

    def attach_run(self: NnbenchApp, run_dir: Path | str) -> None:
        """Show a run (live or finished) in the Train view, as a run started here is shown."""
        self.runs.attach(run_dir)

    def clone_run(self: NnbenchApp, run_dir: Path) -> None:
        """A run's preset back into the builder, to change and train again."""
        self.presets.open(str(run_dir / "preset.toml"))

    def action_stop_now(self: NnbenchApp) -> None:
        self.runs.stop_now()

    def action_stop_after_epoch(self: NnbenchApp) -> None:
        self.runs.stop_after_epoch()

    def action_toggle_pause(self: NnbenchApp) -> None:
        self.runs.toggle_pause()

    def action_steer(self: NnbenchApp) -> None:
        """A new learning rate or patience for the run training (s, while training)."""
        self.runs.steer()

    def action_lr_find(self: NnbenchApp) -> None:
        """The learning-rate finder on the working preset (ctrl+l)."""
        self.runs.lr_find()

    @work(thread=True, exit_on_error=False, group="keras", description=N_("Freeing the checker"))
    def _free_the_checker(self: NnbenchApp) -> None:
        """While a run trains, its process gets the cores and memory the checking helper would
        hold; the next edit in Build starts the helper again."""
        from nnbench.core.analysis_service import default_analyzer

        default_analyzer().release()

    def on_training_state_changed(self: NnbenchApp, message: TrainingStateChanged) -> None:
        if not self.screen_stack:  # the app is closing: a run's last word came after its screens
            return
        if message.running and not self.training and self.launcher is None:
            # A run in a process of its own (not a test's thread launcher, whose run shares
            # this process and its TensorFlow anyway).
            self._free_the_checker()
        self.training = message.running
        self._quiet_footer_while_training(message.running, paused=message.paused)
        status = self.main.status
        status.training = (_("paused — p resumes") if message.paused else _("training…")
                           ) if message.running else (
            _("last run {status}").format(status=status_word(message.status)) if message.status else "")
        self.refresh_bindings()
        if not message.running and self.main.runs_pane is not None:
            self.main.runs_pane.refresh_runs()

    def _quiet_footer_while_training(self: NnbenchApp, training: bool, paused: bool = False) -> None:
        # Swapping the bindings keeps the keys working (ctrl+r says a run is going) while the
        # footer fits 80 columns, and p says what it does now (Pause, or Resume while paused).
        replace_bindings(self, partial(footer_binding, training=training, paused=paused))
