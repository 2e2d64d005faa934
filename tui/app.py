"""The nnbench app: holds the working preset and its unsaved flag, wires the keys to the views,
loads TensorFlow in the background, and keeps TensorFlow's native log off the screen."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.driver import Driver
from textual.screen import ModalScreen, Screen
from textual.widgets import TabbedContent

from nnbench.core.errors import NnbenchError, PresetError
from nnbench.core.events import DataInfo
from nnbench.core.preset import DEFAULT_PRESET, Preset, load_preset, loads_preset, save_preset
from nnbench.tui.commands import main_screen_commands
from nnbench.tui.messages import KerasReady, PresetChanged, TrainingStateChanged
from nnbench.tui.screens.confirm import ConfirmScreen
from nnbench.tui.screens.data_pane import DataPane
from nnbench.tui.screens.error_modal import ErrorModal
from nnbench.tui.screens.help_screen import HelpScreen, KeySection
from nnbench.tui.screens.layer_edit import LayerEditScreen
from nnbench.tui.screens.main_screen import TABS, MainScreen
from nnbench.tui.screens.open_preset import OpenPresetScreen
from nnbench.tui.screens.save_preset import SavePresetScreen
from nnbench.tui.widgets.layer_form import LayerForm
from nnbench.tui.widgets.too_small import MIN_HEIGHT, MIN_WIDTH

STOP_WAIT_SECONDS = 60
"""How long quitting waits for the training thread to end after asking it to stop."""

TRAINING_ACTIONS = ("stop_now", "stop_after_epoch", "toggle_pause")
MAIN_SCREEN_ACTIONS = ("train", "open_preset", "save_preset", "show_tab", "help")
QUIET_WHILE_TRAINING = frozenset({"train", "open_preset", "save_preset"})
"""Keys that keep working while training but leave the footer to x, e and p (80 columns)."""


class NnbenchApp(App[int]):
    """Build it with ``make_app``; tests give it a small runs folder and a preset."""

    CSS_PATH = "app.tcss"
    TITLE = "nnbench"
    HORIZONTAL_BREAKPOINTS = [(0, "-too-narrow"), (MIN_WIDTH, "-wide-enough")]
    VERTICAL_BREAKPOINTS = [(0, "-too-short"), (MIN_HEIGHT, "-tall-enough")]

    BINDINGS = [
        Binding("ctrl+r", "train", "Train", id="app.train", priority=True,
                tooltip="Train the working preset (the Train tab shows it live)"),
        Binding("x", "stop_now", "Stop", id="app.stop",
                tooltip="Stop training at the next batch; the run is saved as stopped"),
        Binding("e", "stop_after_epoch", "Stop@epoch", id="app.stop_after_epoch",
                tooltip="Finish the epoch in flight, then stop"),
        Binding("p", "toggle_pause", "Pause", id="app.pause",
                tooltip="Pause training between batches, or resume"),
        Binding("ctrl+o", "open_preset", "Open", id="app.open", priority=True,
                tooltip="Open a preset: bundled, one of yours, or any .toml file"),
        Binding("ctrl+s", "save_preset", "Save", id="app.save", priority=True,
                tooltip="Save the working preset as TOML"),
        Binding("ctrl+e", "export_script", "Export", id="app.export", show=False, priority=True,
                tooltip="Write the working preset as a plain Keras script"),
        Binding("f1,question_mark", "help", "Help", id="app.help", key_display="F1",
                tooltip="This list of keys"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True,
                tooltip="Quit (asks first if training or unsaved)"),
        *(Binding(str(n), f"show_tab('{tab}')", title, show=False, id=f"app.tab.{tab}")
          for n, (tab, title) in enumerate(TABS.items(), start=1)),
    ]

    def __init__(self, preset: Preset, *, runs_dir: Path, preset_path: Path | None = None,
                 log_path: Path | None = None, log_start: int = 0,
                 driver_class: type[Driver] | None = None,
                 not_opened: tuple[str, NnbenchError] | None = None) -> None:
        super().__init__(driver_class=driver_class)
        self.not_opened = not_opened
        """The preset asked for on the command line and why it could not be opened."""
        self.preset = preset
        self.preset_path = preset_path
        self.runs_dir = runs_dir
        self.log_path = log_path
        self.log_start = log_start
        self.unsaved = False
        self.training = False
        self.keras_ready = False
        self.data_info: DataInfo | None = None
        self._quitting = False

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
        self._update_title()
        self._load_keras()
        if self.not_opened is not None:
            self.call_after_refresh(self._say_not_opened)

    def _say_not_opened(self) -> None:
        assert self.not_opened is not None
        choice, error = self.not_opened
        self.main.status.message = f"could not open {choice}; showing {self.preset.name}"
        self.push_screen(ErrorModal(error.title, error.message))

    @work(thread=True, exit_on_error=False, group="keras", description="Loading TensorFlow")
    def _load_keras(self) -> None:
        try:
            from nnbench.core.keras_env import import_keras

            import_keras()
        except Exception as exc:  # a broken TensorFlow install: say so, keep the editor usable
            self.post_message(KerasReady(error=f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(KerasReady())

    def on_keras_ready(self, message: KerasReady) -> None:
        self.keras_ready = message.error is None
        if message.error:
            self.main.status.keras = "TensorFlow failed to load"
            self.push_screen(ErrorModal("TensorFlow failed to load",
                                        f"{message.error}\n\nEditing works; checking and training "
                                        "the model do not. See the Log tab."))
        else:
            self.main.status.keras = "TensorFlow ready"

    # --- the working preset ------------------------------------------------------------------

    def _show_preset(self) -> None:
        main = self.main
        for pane in (main.build_pane, main.compile_pane, main.fit_pane, main.data_pane):
            pane.show_preset(self.preset)
        main.build_pane.set_data_info(self.data_info)
        main.fit_pane.set_training_samples(None)
        self._update_title()

    def _update_title(self) -> None:
        self.title = self.preset.name + (" •" if self.unsaved else "")
        self.sub_title = str(self.preset_path) if self.preset_path else "bundled preset"

    def set_preset(self, preset: Preset, path: Path | None) -> None:
        """Replace the working preset (opened from a file or the bundled ones)."""
        self.preset = preset
        self.preset_path = path
        self.unsaved = False
        self.data_info = None
        self._show_preset()
        self.main.status.message = f"opened {preset.name}"

    def on_preset_changed(self, message: PresetChanged) -> None:
        loss_changed = message.preset.compile.loss != self.preset.compile.loss
        self.preset = message.preset
        self.unsaved = True
        self._update_title()
        if message.reason:
            self.main.status.message = f"changed: {message.reason}"
        if loss_changed:  # the output check depends on the loss
            self.main.build_pane.schedule_analysis()

    def on_data_pane_loaded(self, message: DataPane.Loaded) -> None:
        self.data_info = message.info
        self.main.build_pane.set_data_info(message.info)
        self.main.fit_pane.set_training_samples(message.training_samples)

    # --- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in TRAINING_ACTIONS:
            return self.training
        if action == "train" and isinstance(self.screen, LayerEditScreen):
            return True  # says what to do with the form first
        # The main screen's keys wait while a dialog is up (its own keys come first).
        return not (action in MAIN_SCREEN_ACTIONS and isinstance(self.screen, ModalScreen))

    def _quiet_footer_while_training(self, training: bool) -> None:
        # A Binding's ``show`` is fixed when BINDINGS is read; swapping the bindings keeps the
        # keys working (ctrl+r says a run is going) while the footer fits 80 columns.
        by_key = self._bindings.key_to_bindings
        for key, bindings in by_key.items():
            by_key[key] = [replace(b, show=not training) if b.action in QUIET_WHILE_TRAINING
                           else b for b in bindings]

    def action_show_tab(self, tab: str) -> None:
        self.main.query_one(TabbedContent).active = tab
        self.main.focus_tab(tab)

    def refuse_refused_values(self, doing: str) -> bool:
        """If a field shows a value it refused, say which and what is wrong, show it, and
        return True: training or saving would silently use the last good value instead."""
        if isinstance(self.screen, LayerEditScreen):
            bad = self.screen.query_one(LayerForm).first_invalid()
            if bad is not None:
                bad.focus()
                self.notify(f"layer form › {bad.label}: {bad.reason}", title=f"Cannot {doing}",
                            severity="error", timeout=8)
            else:
                self.notify("Apply the layer (ctrl+s) or cancel it (esc) first.",
                            title=f"Cannot {doing} from the layer form", severity="warning")
            return True
        refusals = self.main.refused_values()
        if not refusals:
            return False
        first = refusals[0]
        self.action_show_tab(first.tab)
        if first.field is not None:
            first.field.focus()
        shown = [r.text for r in refusals[:4]]
        if len(refusals) > 4:
            shown.append(f"… and {len(refusals) - 4} more")
        noun = "value" if len(refusals) == 1 else "values"
        self.notify("\n".join(shown), title=f"Cannot {doing}: fix the refused {noun}",
                    severity="error", timeout=10)
        return True

    def action_train(self) -> None:
        main = self.main
        if self.training:
            self.notify("Training is already running — x stops it", severity="warning")
            return
        train_pane = main.train_pane
        if train_pane is None:
            self.notify("The Train view is not installed.", severity="error")
            return
        if self.refuse_refused_values("train"):
            return
        problem = main.build_pane.model_problem
        if problem:
            self.action_show_tab("build")
            self.notify(problem, title="Model cannot be built", severity="error", timeout=8)
            return
        self.action_show_tab("train")
        train_pane.start(self.preset, self.runs_dir)

    def action_stop_now(self) -> None:
        if self.main.train_pane is not None:
            self.main.train_pane.stop_now()

    def action_stop_after_epoch(self) -> None:
        if self.main.train_pane is not None:
            self.main.train_pane.stop_after_epoch()

    def action_toggle_pause(self) -> None:
        if self.main.train_pane is not None:
            self.main.train_pane.toggle_pause()

    def on_training_state_changed(self, message: TrainingStateChanged) -> None:
        self.training = message.running
        self._quiet_footer_while_training(message.running)
        status = self.main.status
        status.training = "training…" if message.running else (
            f"last run {message.status}" if message.status else "")
        self.refresh_bindings()
        if not message.running and self.main.runs_pane is not None:
            self.main.runs_pane.refresh_runs()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.key_sections()))

    def key_sections(self) -> list[KeySection]:
        from nnbench.tui.screens.build_pane import BuildPane
        from nnbench.tui.widgets.layer_stack import LayerStack

        def keys(bindings: Iterable[Any]) -> list[tuple[str, str]]:
            return [(", ".join(self.get_key_display(Binding(k, b.action))
                               for k in b.key.split(",")), b.tooltip or b.description)
                    for b in bindings if isinstance(b, Binding) and b.description]

        app_keys = [b for b in self.BINDINGS if isinstance(b, Binding)]
        sections: list[KeySection] = [
            ("Everywhere", keys(b for b in app_keys if b.action not in TRAINING_ACTIONS
                                and not b.action.startswith("show_tab"))
             + [("1 … 7", "switch tab: " + " · ".join(TABS.values())
                 + " (in a text field, leave it first with tab)"),
                ("^p", "command palette: every action by name"),
                ("tab, shift+tab", "move between fields")]),
            ("Build", keys(LayerStack.BINDINGS) + keys(BuildPane.BINDINGS)),
            ("Fields", [("enter", "open a select; in a layer form, apply (from a text field "
                                  "or checkbox)"),
                        ("space", "toggle a checkbox or a metric"),
                        ("✗ reason", "a refused value: the preset keeps the last good one")]),
            ("While training", keys(b for b in app_keys if b.action in TRAINING_ACTIONS)),
        ]
        runs_pane = self.main.runs_pane
        if runs_pane is not None:
            sections.append(("Runs", keys(type(runs_pane).BINDINGS)))
        sections.append(("Dialogs", [("enter", "apply / open / save"), ("esc", "cancel"),
                                     ("y / n", "answer a confirmation"),
                                     ("^s", "apply a layer form from any field")]))
        return sections

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title == "Quit":  # Textual's quits at once; ours asks first
                yield SystemCommand("Quit", "Quit nnbench; asks first while training or with "
                                    "unsaved changes (ctrl+q)", self.action_quit)
            else:
                yield command
        if isinstance(screen, MainScreen):
            yield from main_screen_commands(self)

    # --- presets -----------------------------------------------------------------------------

    def action_open_preset(self) -> None:
        self._open_preset()

    @work(group="dialog")
    async def _open_preset(self, choice: str | None = None) -> None:
        if choice is None:
            choice = await self.push_screen_wait(OpenPresetScreen())
        if not choice:
            return
        try:
            preset = load_preset(choice)
        except PresetError as exc:
            await self.push_screen_wait(ErrorModal(exc.title, exc.message))
            return
        if self.unsaved and not await self.push_screen_wait(ConfirmScreen(
                "Unsaved changes",
                f"Open {preset.name} and discard the unsaved changes to {self.preset.name}?",
                yes="Discard and open")):
            return
        path = Path(choice).expanduser() if _is_path(choice) else None
        self.set_preset(preset, path.resolve() if path else None)
        self.notify(f"Opened {preset.name}", timeout=2)

    def action_save_preset(self) -> None:
        if not self.refuse_refused_values("save"):
            self._save_preset()

    def action_export_script(self) -> None:
        """Write the preset as a runnable plain-Keras script in the current folder."""
        if self.refuse_refused_values("export"):
            return
        from nnbench.core.export import export_script

        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.preset.name) or "model"
        path = Path.cwd() / f"{stem}.py"
        n = 1
        while path.exists():  # never overwrite a script the user may have edited
            n += 1
            path = Path.cwd() / f"{stem}-{n}.py"
        try:
            path.write_text(export_script(self.preset), encoding="utf-8")
        except OSError as exc:
            self.notify(f"Could not write {path}: {exc.strerror}", title="Export failed",
                        severity="error")
            return
        self.notify(f"Wrote {path}: plain Keras, run it with python", title="Exported", timeout=6)

    @work(group="dialog")
    async def _save_preset(self) -> None:
        answer = await self.push_screen_wait(SavePresetScreen(
            self.preset.name, self.preset.description, self.preset_path))
        if answer is None:
            return
        name, description, path = answer
        if path.exists() and path.resolve() != self.preset_path and not await self.push_screen_wait(
                ConfirmScreen("File exists", f"{path} exists. Replace it?", yes="Replace")):
            return
        preset = self.preset.copy_with(name=name, description=description)
        try:
            save_preset(preset, path)
            again = loads_preset(path.read_text(encoding="utf-8"), file=str(path))
        except (OSError, NnbenchError) as exc:
            title = exc.title if isinstance(exc, NnbenchError) else "Could not save the preset"
            await self.push_screen_wait(ErrorModal(title, str(exc)))
            return
        if again != preset:
            self.notify("The saved file reads back differently; please report this.",
                        severity="warning")
        self.preset = preset
        self.preset_path = path.resolve()
        self.unsaved = False
        self._update_title()
        self.notify(f"Saved {name} to {path}", timeout=3)

    # --- quitting ----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        if not self._quitting:
            self._quit()

    @work(group="dialog")
    async def _quit(self) -> None:
        self._quitting = True
        try:
            if self.training:
                extra = " Unsaved preset changes are lost." if self.unsaved else ""
                if not await self.push_screen_wait(ConfirmScreen(
                        "Training is running",
                        "Stop the run and quit? Finished epochs are kept and the run is saved "
                        f"as stopped.{extra}", yes="Stop and quit")):
                    return
                await self.stop_training_and_wait()
            elif self.unsaved and not await self.push_screen_wait(ConfirmScreen(
                    "Unsaved changes", f"Quit and lose the changes to {self.preset.name}?",
                    yes="Quit without saving")):
                return
            self.exit(0)
        finally:
            self._quitting = False

    async def stop_training_and_wait(self) -> None:
        """Ask the trainer to stop and wait (without blocking the screen) for its thread to end."""
        train_pane = self.main.train_pane
        if train_pane is None:
            return
        train_pane.stop_now()
        self.main.status.training = "stopping…"
        running = [w for w in self.workers if w.group == "training" and not w.is_finished]
        if not running:
            return
        try:
            await asyncio.wait_for(asyncio.gather(*(w.wait() for w in running),
                                                  return_exceptions=True), STOP_WAIT_SECONDS)
        except TimeoutError:
            self.notify("Training did not stop in time; quitting anyway.", severity="warning")


def _is_path(choice: str) -> bool:
    return choice.endswith(".toml") or "/" in choice or Path(choice).expanduser().exists()


def make_app(preset: Preset | None = None, *, runs_dir: Path, preset_path: Path | None = None,
             log_path: Path | None = None, log_start: int = 0,
             driver_class: type[Driver] | None = None,
             not_opened: tuple[str, NnbenchError] | None = None) -> NnbenchApp:
    """The app on ``preset`` (default: the bundled default preset), storing runs in ``runs_dir``."""
    return NnbenchApp(preset or load_preset(DEFAULT_PRESET), runs_dir=Path(runs_dir),
                      preset_path=preset_path, log_path=log_path, log_start=log_start,
                      driver_class=driver_class, not_opened=not_opened)


def open_app(choice: str | None, *, runs_dir: Path, **kwargs: Any) -> NnbenchApp:
    """The app on a bundled preset name or a preset path. A preset that cannot be opened does
    not stop the app: it opens on the default preset and shows why in the error dialog."""
    choice = choice or DEFAULT_PRESET
    try:
        loaded = load_preset(choice)
    except PresetError as exc:
        return make_app(load_preset(DEFAULT_PRESET), runs_dir=runs_dir, not_opened=(choice, exc),
                        **kwargs)
    path = Path(choice).expanduser().resolve() if _is_path(choice) else None
    return make_app(loaded, runs_dir=runs_dir, preset_path=path, **kwargs)


def _terminal_driver(terminal: TextIO) -> type[Driver] | None:
    """Textual's Linux driver draws on ``sys.__stderr__`` (fd 2), which now points at the log
    file; this one draws on a duplicate of the real terminal instead."""
    if sys.platform == "win32":
        return None
    from textual.drivers.linux_driver import LinuxDriver

    class TerminalDriver(LinuxDriver):
        def __init__(self, app: App[Any], **kwargs: Any) -> None:
            super().__init__(app, **kwargs)
            self._file = terminal

    return TerminalDriver


def run_app(preset: str | None, runs_dir: Path | None) -> int:
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
        app = open_app(preset, runs_dir=runs_dir or default_runs_dir(), log_path=log_path,
                       log_start=log_start, driver_class=_terminal_driver(terminal))
        # A crash's traceback must reach the person, not the log file.
        app.error_console = Console(file=terminal, markup=False, highlight=False)
        result = app.run()
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code or 1)
