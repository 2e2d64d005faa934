"""Train, stop, pause, resume and watch runs: the app's training keys, over the Train view."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nnbench.core.i18n import _

if TYPE_CHECKING:
    from nnbench.tui.app import NnbenchApp
    from nnbench.tui.screens.train_pane import TrainPane


class RunActions:
    """What ctrl+r, x, e and p do, and the Runs view's resume and attach."""

    def __init__(self, app: NnbenchApp) -> None:
        self.app = app

    @property
    def _train_pane(self) -> TrainPane | None:
        return self.app.main.train_pane

    def train(self) -> None:
        """Train the working preset, unless a field or the model says why it cannot be."""
        app = self.app
        if not getattr(app.main, "started", False):
            # Pressed as the first frame came: the Train view is still being built. The run
            # starts once it is (a frame later), not with an error about a missing view.
            app.call_after_refresh(self.train)
            return
        if app.training:
            app.notify(_("Training is already running — x stops it"), severity="warning")
            return
        train_pane = self._train_pane
        if train_pane is None:
            app.notify(_("The Train view is not installed."), severity="error")
            return
        if app.presets.refuse_refused("train"):
            return
        problem = app.main.build_pane.model_problem
        if problem:
            app.action_show_tab("build")
            app.notify(problem, title=_("Model cannot be built"), severity="error", timeout=8)
            return
        app.action_show_tab("train")
        train_pane.start(app.preset, app.runs_dir, note=self._edit_note())

    def _edit_note(self) -> str:
        """What the working preset changed from the one opened or saved, when it is unsaved:
        runs of four edited models are not all just "digits-mlp" in the runs list."""
        from nnbench.core.compare import edit_label

        session = self.app.session
        if not session.unsaved:
            return ""
        try:
            return edit_label(session.saved, session.preset)
        except Exception:  # a note is a nicety: never a reason not to train
            return "edited"

    def stop_now(self) -> None:
        if self._train_pane is not None:
            self._train_pane.stop_now()

    def stop_after_epoch(self) -> None:
        if self._train_pane is not None:
            self._train_pane.stop_after_epoch()

    def toggle_pause(self) -> None:
        if self._train_pane is not None:
            self._train_pane.toggle_pause()

    def steer(self) -> None:
        from nnbench.tui.screens.steer_screen import open_steer

        if self._train_pane is not None:
            open_steer(self._train_pane, self._train_pane.state)

    def lr_find(self) -> None:
        from nnbench.tui.screens.lr_find_screen import open_lr_finder

        open_lr_finder(self.app)

    def resume(self, run_dir: Path) -> None:
        """Go on with an interrupted or stopped run, in a process of its own, and watch it."""
        train_pane = self._train_pane
        if train_pane is None:
            return
        if self.app.training:
            self.app.notify(_("A run is training here; stop it first (x) or wait for it."),
                            severity="warning")
            return
        self.app.action_show_tab("train")
        train_pane.resume(run_dir)

    def attach(self, run_dir: Path | str) -> None:
        """Show a run (live or finished) in the Train view, as a run started here is shown."""
        train_pane = self._train_pane
        if train_pane is None:
            return
        self.app.action_show_tab("train")
        train_pane.attach(run_dir)
