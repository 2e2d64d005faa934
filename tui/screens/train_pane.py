"""The Train view: any run, drawn from the run model, live or replayed.

    ● running  20250101-120000-digits-mlp · digits-mlp · epoch 3/30
    ╭ loss ━ loss 0.31 ━ val_loss 0.33 ─╮╭ accuracy ━ accuracy 0.91 ━ val_accuracy 0.90 ╮
    │ (curves, best epoch and early stop marked)                                          │
    Epoch 3/30  ━━━━━━━━━━╸─────  45/57 batches  1,234 samples/s  ETA 2s
    batch  loss 0.3121  accuracy 0.9012
    EarlyStopping: patience 1/3, best val_loss 0.3310 at epoch 2
    ╭ Events ─────────────────────────────────────────╮╭ Test results ╮

A run trains in a process of its own (core/launch.py), so it outlives the app; this view follows
its folder (core/follow.py) in a thread worker that posts ``TrainingEvents``, and folds them into a
``RunState`` (core/run_state.py) on the UI thread. A run started here, one attached from the Runs
view or ``nnbench attach``, and a finished one replayed are the same code path. Stop, stop after
this epoch and pause reach the run's process through its control file. The widgets, and how a
``RunState`` is drawn on them, are ``TrainView``'s (train_view.py).
"""

from __future__ import annotations

import threading
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from textual import work
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from nnbench.core import events as ev
from nnbench.core.errors import NnbenchError
from nnbench.core.i18n import _
from nnbench.core.run_state import RunState
from nnbench.core.text import printable
from nnbench.tui.messages import RunRefused, TrainingEvents, TrainingStateChanged
from nnbench.tui.screens.train_view import TrainView

if TYPE_CHECKING:
    from nnbench.core.preset import Preset

LIVE = ("starting", "running", "paused", "stopping")


def show_error(widget: Widget, title: str, message: str) -> None:
    """A readable error in the app's ErrorModal (it shows text literally)."""
    from nnbench.tui.screens.error_modal import ErrorModal

    widget.app.push_screen(ErrorModal(title, message))


class TrainPane(TrainView):
    """The Train view of one run, which it starts, resumes or attaches to, follows and controls."""

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._following: str | None = None
        """The run folder whose events this view takes (messages from an earlier one are dropped)."""
        self._follow_stop = threading.Event()
        self._announced = False
        """True while the app was told (TrainingStateChanged) that a run is live here."""
        self._saw_live = False

    # --- commands (the app's bindings call these) ---------------------------------------------

    @property
    def is_training(self) -> bool:
        """True while the run shown here is live (starting, training, paused, stopping)."""
        return self.state.status in LIVE

    @property
    def run_dir(self) -> str | None:
        return self.state.run_dir

    def start(self, preset: Preset, runs_dir: Path | str | None, note: str = "") -> None:
        """Train ``preset`` in a process of its own, recorded under ``runs_dir``, and follow it;
        ``note`` (what was edited) goes into the run's summary."""
        if self.is_training:
            self.notify(_("A run is already training here; stop it first (x)."), severity="warning")
            return
        from nnbench.core.runs import default_runs_dir

        launcher = getattr(self.app, "launcher", None)
        self._reset(RunState(status="starting", preset_name=preset.name,
                             preferred_metrics=tuple(preset.compile.metrics)))
        self.early_stopping.reset("EarlyStopping" in preset.callbacks)
        self.event_log.add("start", _("starting {name}: loading data and building the model in a "
                                      "process of its own").format(name=printable(preset.name)))
        self.progress.reset(_("loading data and Keras"))
        self._following = None
        self._announce(True)
        self._launch(preset, Path(runs_dir) if runs_dir is not None else default_runs_dir(),
                     launcher, self._follow_stop, note)

    def resume(self, run_dir: str | Path) -> None:
        """Go on with the run in ``run_dir`` from its last finished epoch, and follow it."""
        from nnbench.core.preset import load_preset

        run_dir = Path(run_dir)
        try:
            preset = load_preset(run_dir / "preset.toml")
        except NnbenchError as exc:
            show_error(self, exc.title, exc.message)
            return
        self._reset(RunState(run_dir=str(run_dir), run_id=run_dir.name, status="starting",
                             preset_name=preset.name))
        self.progress.reset(_("resuming: loading data and Keras"))
        self._following = None
        self._announce(True)
        self._resume(preset, run_dir, self._follow_stop)

    @work(thread=True, exit_on_error=False, group="training", description="Resuming a run")
    def _resume(self, preset: Preset, run_dir: Path, stop: threading.Event) -> None:
        from nnbench.core.launch import launch_run
        from nnbench.core.runs import RunStore
        from nnbench.core.training import resumable

        try:
            record = RunStore(run_dir.parent).read(run_dir)
            done = resumable(run_dir, record.epochs_done)
            epochs = record.epochs or preset.fit.epochs
            if done >= epochs:
                raise NnbenchError(_("the run has done {done} of {epochs} epochs: nothing to resume").format(
                    done=done, epochs=epochs))
            launch_run(preset, run_dir.parent, epochs=epochs, resume=run_dir).wait_started()
        except NnbenchError as exc:
            self.post_message(RunRefused(exc.title, exc.message))
            return
        # Its new RunStarted is on disk now: the whole history replays, then the new epochs.
        self.post_message(TrainingEvents(str(run_dir), [], attached=True))
        self._follow_folder(str(run_dir), stop)

    def attach(self, run_dir: str | Path) -> None:
        """Show the run in ``run_dir``: replayed from its events, then followed while it trains."""
        run_dir = str(run_dir)
        if run_dir == self._following and self.state.events_seen:
            return
        self._reset(RunState(run_dir=run_dir, run_id=PurePath(run_dir).name, status="starting"))
        self.early_stopping.reset(None)
        self.progress.reset(_("reading the run"))
        self._following = run_dir
        self._follow(run_dir, self._follow_stop)

    def _reset(self, state: RunState) -> None:
        self._follow_stop.set()  # the earlier follower (if any) ends at its next poll
        self._follow_stop = threading.Event()
        if self._announced:
            self._announce(False)
        self._saw_live = state.status == "starting"
        self._show_new_run(state)

    def _announce(self, running: bool) -> None:
        self._announced = running
        finished = self.state.finished
        self.post_message(TrainingStateChanged(
            running=running, status=None if running else (finished.status if finished else None),
            run_dir=self.state.run_dir))

    def _control(self, action: str) -> bool:
        if not self.is_training:
            return False
        if self.state.run_dir is None:
            self.notify(_("The run is still starting; try again in a moment."), severity="warning")
            return False
        self._send_control(self.state.run_dir, action)
        return True

    def stop_now(self) -> None:
        """Stop at the next batch; the run is saved as stopped, with its model."""
        if self._control("stop"):
            self.state.status = "stopping"
            self._show_status()

    def stop_after_epoch(self) -> None:
        """Let the epoch in flight finish, then stop."""
        if self._control("stop_after_epoch"):
            self.state.status = "stopping"
            self._show_status()

    def toggle_pause(self) -> None:
        """Pause between batches, or resume."""
        if self.state.status in ("running", "paused"):
            paused = self.state.status == "paused"
            if self._control("resume" if paused else "pause") and not paused:
                self.progress.set_paused(True)

    def on_unmount(self) -> None:
        # The run goes on in its own process; only following it ends with the app.
        self._follow_stop.set()

    # --- the threads --------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="training", description="Starting a run")
    def _launch(self, preset: Preset, runs_dir: Path, launcher: Any, stop: threading.Event,
                note: str = "") -> None:
        from nnbench.core.launch import launch_run

        try:
            started = (launcher or launch_run)(preset, runs_dir, note=note).wait_started()
        except NnbenchError as exc:
            self.post_message(RunRefused(exc.title, exc.message))
            return
        self.post_message(TrainingEvents(str(started.run_dir), [], attached=True))
        self._follow_folder(str(started.run_dir), stop)

    @work(thread=True, exit_on_error=False, group="following", description="Following a run")
    def _follow(self, run_dir: str, stop: threading.Event) -> None:
        self._follow_folder(run_dir, stop)

    def _follow_folder(self, run_dir: str, stop: threading.Event) -> None:
        from nnbench.core.follow import RunFollower

        for events in RunFollower(run_dir).follow(stop):
            if stop.is_set():
                return
            self.post_message(TrainingEvents(run_dir, events))

    @work(thread=True, exit_on_error=False, group="controls", description="Sending a control")
    def _send_control(self, run_dir: str, action: str) -> None:
        from nnbench.core.control import request

        try:
            request(run_dir, action)  # type: ignore[arg-type]
        except OSError as exc:
            self.app.call_from_thread(self.notify, _("Could not reach the run: {reason}").format(
                reason=exc.strerror),
                                      severity="error")

    def on_run_refused(self, message: RunRefused) -> None:
        self.state.status = "idle"
        self.event_log.add("error", _("not started: {reason}").format(
            reason=printable(message.text, newlines=True)))
        self.progress.reset(_("not started"))
        self.early_stopping.reset(None)
        self._announce(False)
        self._update_header()
        show_error(self, message.title, message.text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group not in ("training", "following") or event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        text = f"{type(error).__name__}: {error}" if error is not None else _("unknown error")
        self.event_log.add("error", _("following the run failed: {reason}").format(
            reason=printable(text)))
        if self.state.run_dir is None:  # it never started: nothing is live, Ctrl+R may try again
            self.state.status = "idle"
            self.progress.reset(_("not started"))
            self._update_header()
        if self._announced:
            self._announce(False)
        show_error(self, _("Could not follow the run"), f"{text}\n\n" + _(
            "The run itself goes on in its own process; the Runs tab lists it."))

    # --- events -------------------------------------------------------------------------------

    def on_training_events(self, message: TrainingEvents) -> None:
        if message.attached:  # our launch has a folder now: follow its events from here on
            self._following = message.run_dir
            self.state.run_dir = message.run_dir
            return
        if message.run_dir != self._following:
            return  # from a follower this view has left
        state = self.state
        was_paused = state.status == "paused"
        for event in message.events:
            state.apply(event)
            if isinstance(event, (ev.BatchProgress, ev.EpochStarted)) and not state.finished:
                self._saw_live = True
        if (state.status == "paused") != was_paused and self._announced and not state.finished:
            self.post_message(TrainingStateChanged(running=True, run_dir=state.run_dir,
                                                   paused=state.status == "paused"))
        ended = self._draw()
        if ended is not None:
            self._ended(ended)
        elif state.is_live and state.status != "starting" and not self._announced and self._saw_live:
            self._announce(True)  # attached to a run that is training: x, e and p reach it

    def _ended(self, event: ev.RunFinished) -> None:
        """The run's end is on screen: the app hears that nothing is live, and why it failed."""
        if self._announced:
            self._announce(False)
        if event.status in ("failed", "interrupted") and self._saw_live:
            show_error(self, printable(event.error_title or f"Training {event.status}"),
                       printable(event.error or f"Training {event.status} without a message.",
                                 newlines=True))
