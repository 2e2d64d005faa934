"""The nnbench app: wires the keys to the views around one working ``Session`` (the preset, its
path, the unsaved flag, undo, the data loaded for it; nnbench.core.session), loads TensorFlow in
the background, keeps TensorFlow's native log off the screen, and turns an exception in any action
into a message. The rest lives one hop away: the panes as views of the session in
tui/session_view.py, open/save/export in tui/preset_actions.py, train/stop/pause in
tui/run_actions.py (its keys and what changes while a run trains in tui/app_training.py), the
table of keys and the help screen's sections in tui/app_keys.py."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.driver import Driver
from textual.screen import ModalScreen, Screen
from textual.widgets import TabbedContent
from textual.worker import Worker, WorkerState

from nnbench.core.compat import Problem
from nnbench.core.errors import NnbenchError, PresetError
from nnbench.core.events import DataInfo
from nnbench.core.i18n import N_, _
from nnbench.core.launch import Launcher
from nnbench.core.preset import DEFAULT_PRESET, Preset, load_preset
from nnbench.core.session import Session, open_choice
from nnbench.core.text import printable
from nnbench.tui import app_keys
from nnbench.tui.app_keys import (
    APP_BINDINGS,
    MAIN_SCREEN_ACTIONS,
    TRAINING_ACTIONS,
    app_binding,
)
from nnbench.tui.app_training import AppTraining
from nnbench.tui.commands import guarded, main_screen_commands
from nnbench.tui.messages import KerasReady, PresetChanged
from nnbench.tui.preset_actions import PresetActions
from nnbench.tui.run_actions import RunActions
from nnbench.tui.screens.build_pane import BuildPane
from nnbench.tui.screens.confirm import ConfirmScreen
from nnbench.tui.screens.data_pane import DataPane
from nnbench.tui.screens.error_modal import ErrorModal
from nnbench.tui.screens.help_screen import HelpScreen, KeySection
from nnbench.tui.screens.layer_edit import LayerEditScreen
from nnbench.tui.screens.main_screen import TABS, MainScreen
from nnbench.tui.session_view import SessionView
from nnbench.tui.textual_private import replace_bindings, terminal_driver
from nnbench.tui.widgets.too_small import MIN_HEIGHT, MIN_WIDTH


class NnbenchApp(AppTraining, App[int]):
    """Build it with ``make_app``; tests give it a small runs folder and a preset. Its training
    keys and what it does as a run starts and ends are ``AppTraining``'s (tui/app_training.py)."""

    CSS_PATH = "app.tcss"
    TITLE = "nnbench"
    HORIZONTAL_BREAKPOINTS = [(0, "-too-narrow"), (MIN_WIDTH, "-wide-enough")]
    VERTICAL_BREAKPOINTS = [(0, "-too-short"), (MIN_HEIGHT, "-tall-enough")]
    BINDINGS = APP_BINDINGS

    def __init__(self, preset: Preset, *, runs_dir: Path, preset_path: Path | None = None,
                 log_path: Path | None = None, log_start: int = 0,
                 driver_class: type[Driver] | None = None,
                 not_opened: tuple[str, NnbenchError] | None = None,
                 launcher: Launcher | None = None, attach: Path | None = None) -> None:
        super().__init__(driver_class=driver_class)
        # The footer's words in the language chosen now, not at import (tui/keys.py).
        replace_bindings(self, app_binding)
        self.launcher = launcher
        """Starts a run (core.launch.launch_run: a process of its own); tests pass a thread one."""
        self.attach_to = attach
        """A run folder to show in the Train view at start (``nnbench attach RUN``)."""
        self.not_opened = not_opened
        """The preset asked for on the command line and why it could not be opened."""
        self.session = Session(preset, preset_path)
        self.runs_dir = runs_dir
        self.log_path = log_path
        self.log_start = log_start
        self.training = False
        self.keras_ready = False
        self.problems: list[Problem] = []
        """Where the loss, output, labels, metrics and callbacks disagree (nnbench.core.compat)."""
        self._quitting = False
        self.presets = PresetActions(self)
        """Open, save and export (ctrl+o, ctrl+s, ctrl+e)."""
        self.runs = RunActions(self)
        """Train, stop, pause (ctrl+r, x, e, p), resume and attach."""
        self.session_view = SessionView(self)
        """The panes as views of the session."""

    # The views read the session through these.

    @property
    def preset(self) -> Preset:
        return self.session.preset

    @property
    def preset_path(self) -> Path | None:
        return self.session.path

    @property
    def unsaved(self) -> bool:
        return self.session.unsaved

    @property
    def data_info(self) -> DataInfo | None:
        """The loaded data's info, only while it is the data of the current settings."""
        return self.session.data_info

    # --- setup -------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(runs_dir=self.runs_dir, log_path=self.log_path,
                          log_start=self.log_start)

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def on_mount(self) -> None:
        # The panes show the preset from their own on_mount; the status line starts at
        # "Loading TensorFlow…".
        self.update_title()
        self._load_keras()
        if self.not_opened is not None:
            self.call_after_refresh(self._say_not_opened)
        if self.attach_to is not None:
            self.call_after_refresh(self.attach_run, self.attach_to)

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every toast passes the escaping seam: its text often quotes outside text (a column
        name, a path, a Keras message), which must be shown, never obeyed as markup or sent to
        the terminal as control characters."""
        super().notify(printable(message, newlines=True), title=printable(title),
                       severity=severity, timeout=timeout, markup=False)

    def _say_not_opened(self) -> None:
        assert self.not_opened is not None
        choice, error = self.not_opened
        self.main.status.message = _("could not open {choice}; showing {name}").format(
            choice=choice, name=self.preset.name)
        self.push_screen(ErrorModal(error.title, error.message))

    @work(thread=True, exit_on_error=False, group="keras", description=N_("Loading TensorFlow"))
    def _load_keras(self) -> None:
        try:
            from nnbench.core.analysis_service import default_analyzer

            default_analyzer().warm()  # Keras loads in the checking helper, never in the app
        except Exception as exc:  # a broken TensorFlow install: say so, keep the editor usable
            self.post_message(KerasReady(error=f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(KerasReady())

    def on_keras_ready(self, message: KerasReady) -> None:
        self.keras_ready = message.error is None
        if message.error:
            self.main.status.keras = _("TensorFlow failed to load")
            self.push_screen(ErrorModal(_("TensorFlow failed to load"),
                                        f"{message.error}\n\n" + _("Editing works; checking and "
                                        "training the model do not. See the Log tab.")))
        else:
            self.main.status.keras = _("TensorFlow ready")

    # --- the working preset (tui/session_view.py) --------------------------------------------

    def update_title(self) -> None:
        """The preset's name (a dot while unsaved) and where it lives, in the header."""
        self.title = self.session.title
        self.sub_title = self.session.subtitle

    def set_preset(self, preset: Preset, path: Path | None) -> None:
        """Replace the working preset (opened from a file or the bundled ones)."""
        self.session_view.open(preset, path)

    def check_compatibility(self) -> None:
        """Show every loss / output / label / metric / callback problem at its field."""
        self.session_view.check_compatibility()

    def on_preset_changed(self, message: PresetChanged) -> None:
        self.session_view.changed(message)

    def on_build_pane_checked(self, message: BuildPane.Checked) -> None:
        self.session_view.check_compatibility()

    def on_data_pane_loaded(self, message: DataPane.Loaded) -> None:
        self.session_view.data_loaded(message)

    def on_data_pane_load_failed(self, message: DataPane.LoadFailed) -> None:
        self.session_view.data_load_failed(message)

    def action_undo(self) -> None:
        """Undo the last change to the layers or a field (ctrl+z)."""
        self.session_view.undo()

    # --- nothing crashes the app -------------------------------------------------------------

    async def run_action(self, action: Any, default_namespace: Any = None,
                         namespaces: Any = None) -> bool:
        """Every key, click and palette action runs here: a bug in one is a message, not the
        end of the app (and of the unsaved work)."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as exc:
            self.report_failure(f"'{action}'" if isinstance(action, str) else "the action", exc)
            return True

    def report_failure(self, doing: str, error: BaseException) -> None:
        """Show an unexpected exception in a dialog and keep its traceback in the log file."""
        text = "".join(traceback.format_exception(error))
        if self.log_path is not None:
            try:
                with self.log_path.open("a", encoding="utf-8") as log:
                    log.write(f"nnbench: {doing} failed\n{text}")
            except OSError:
                pass
        where = " " + _("The traceback is in the Log tab.") if self.log_path is not None else ""
        message = (f"{type(error).__name__}: {error}\n\n"
                   + _("The app keeps running and your unsaved changes are kept.{where} This is a "
                       "bug in nnbench; please report it.").format(where=where))
        if isinstance(error, NnbenchError):  # a refusal that escaped its view: just say it
            message = error.message
        self.push_screen(ErrorModal(_("{doing} failed").format(doing=doing.capitalize())
                                    if not isinstance(error, NnbenchError) else error.title,
                                    message))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The Train view reports its own worker's failures.
        if event.state != WorkerState.ERROR or event.worker.group == "training":
            return
        error = event.worker.error
        if error is not None:
            # Workers are described (N_) when their class is made: translated here.
            self.report_failure(_(event.worker.description) or event.worker.name or _("a task"),
                                error)

    # --- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in TRAINING_ACTIONS:
            return self.training
        if action == "train" and isinstance(self.screen, LayerEditScreen):
            return True  # says what to do with the form first
        # The main screen's keys wait while a dialog is up (its own keys come first).
        return not (action in MAIN_SCREEN_ACTIONS and isinstance(self.screen, ModalScreen))

    def action_show_tab(self, tab: str) -> None:
        """Show a tab and focus its first control (alt+1 … alt+8, or 1 … 8 outside text)."""
        try:
            self.main.query_one(TabbedContent).active = tab
        except ValueError:  # pressed as the first frame came, before the tab strip had its tabs
            if tab not in TABS:
                raise
            self.call_after_refresh(self.action_show_tab, tab)
            return
        self.main.focus_tab(tab)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.key_sections()))

    def key_sections(self) -> list[KeySection]:
        """The help screen's table of keys (tui/app_keys.py)."""
        return app_keys.key_sections(self)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in self._system_commands(screen):
            yield guarded(self, command)

    def _system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title == "Quit":  # Textual's quits at once; ours asks first
                yield SystemCommand(_("Quit"), _("Quit nnbench; asks first while training or "
                                                 "with unsaved changes (ctrl+q)"), self.action_quit)
            else:
                yield command
        if isinstance(screen, MainScreen):
            yield from main_screen_commands(self)

    # --- presets (tui/preset_actions.py) -----------------------------------------------------

    def action_open_preset(self) -> None:
        self.presets.open()

    def action_save_preset(self) -> None:
        self.presets.save()

    def action_export_script(self) -> None:
        """Write the preset as a runnable plain-Keras script in the current folder."""
        self.presets.export()

    # --- quitting ----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        if not self._quitting:
            self._quit()

    @work(group="dialog", exit_on_error=False, description=N_("Quitting"))
    async def _quit(self) -> None:
        self._quitting = True
        try:
            if self.training:
                extra = " " + _("Unsaved preset changes are lost.") if self.unsaved else ""
                run = self.main.train_pane.state.run_id if self.main.train_pane else None
                attach = " " + _("(`nnbench attach {run}`, or the Runs tab)").format(
                    run=run) if run else ""
                if not await self.push_screen_wait(ConfirmScreen(
                        _("Training is running"),
                        _("Quit? The run goes on training in its own process; come back to it "
                          "any time{attach}. To stop it instead, press x first.{extra}").format(
                            attach=attach, extra=extra),
                        yes=_("Quit, keep training"))):
                    return
            elif self.unsaved and not await self.push_screen_wait(ConfirmScreen(
                    _("Unsaved changes"), _("Quit and lose the changes to {name}?").format(
                        name=self.preset.name),
                    yes=_("Quit without saving"))):
                return
            self.exit(0)
        finally:
            self._quitting = False


def make_app(preset: Preset | None = None, *, runs_dir: Path, preset_path: Path | None = None,
             log_path: Path | None = None, log_start: int = 0,
             driver_class: type[Driver] | None = None,
             not_opened: tuple[str, NnbenchError] | None = None,
             launcher: Launcher | None = None, attach: Path | None = None) -> NnbenchApp:
    """The app on ``preset`` (default: the bundled default preset), storing runs in ``runs_dir``."""
    return NnbenchApp(preset or load_preset(DEFAULT_PRESET), runs_dir=Path(runs_dir),
                      preset_path=preset_path, log_path=log_path, log_start=log_start,
                      driver_class=driver_class, not_opened=not_opened, launcher=launcher,
                      attach=attach)


def open_app(choice: str | None, *, runs_dir: Path, **kwargs: Any) -> NnbenchApp:
    """The app on a bundled preset name or a preset path. A preset that cannot be opened does
    not stop the app: it opens on the default preset and shows why in the error dialog."""
    choice = choice or DEFAULT_PRESET
    try:
        loaded, path = open_choice(choice)
    except PresetError as exc:
        return make_app(load_preset(DEFAULT_PRESET), runs_dir=runs_dir, not_opened=(choice, exc),
                        **kwargs)
    return make_app(loaded, runs_dir=runs_dir, preset_path=path, **kwargs)


def run_app(preset: str | None, runs_dir: Path | None, *, attach: Path | None = None) -> int:
    """Open the app on a bundled preset name or a preset path (a bad one: see ``open_app``)."""
    from rich.console import Console

    from nnbench.core.native_log import default_log_path, native_stderr_to
    from nnbench.core.runs import default_runs_dir

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    log_path = default_log_path()
    try:
        log_start = log_path.stat().st_size
    except OSError:
        log_start = 0
    with native_stderr_to(log_path):
        terminal = sys.stderr  # the real terminal: fd 2 itself now goes to the log file
        # Which graphics protocol the terminal has, asked before Textual owns stdin (only where
        # the terminal names itself as one that may have it: tui/widgets/graphics.py).
        from nnbench.tui.widgets.graphics import ask_terminal

        ask_terminal()
        app = open_app(preset, runs_dir=runs_dir or default_runs_dir(), log_path=log_path,
                       log_start=log_start, driver_class=terminal_driver(terminal), attach=attach)
        # A crash's traceback must reach the person, not the log file.
        app.error_console = Console(file=terminal, markup=False, highlight=False)
        result = app.run()
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code or 1)
