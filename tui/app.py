"""The nnbench app: wires the keys to the views around one working ``Session`` (the preset, its
path, the unsaved flag, undo, the data loaded for it), loads TensorFlow in the background, keeps
TensorFlow's native log off the screen, and turns an exception in any action into a message."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.driver import Driver
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, TabbedContent
from textual.worker import Worker, WorkerState

from nnbench.core.compat import Problem, problems
from nnbench.core.errors import NnbenchError, PresetError
from nnbench.core.events import DataInfo
from nnbench.core.launch import Launcher
from nnbench.core.preset import DEFAULT_PRESET, Preset, load_preset, loads_preset, save_preset
from nnbench.core.text import printable
from nnbench.tui.commands import guarded, main_screen_commands
from nnbench.tui.keys import alt_digit
from nnbench.tui.messages import KerasReady, PresetChanged, TrainingStateChanged
from nnbench.tui.screens.build_pane import BuildPane
from nnbench.tui.screens.confirm import ConfirmScreen
from nnbench.tui.screens.data_pane import DataPane
from nnbench.tui.screens.error_modal import ErrorModal
from nnbench.tui.screens.help_screen import HelpScreen, KeySection
from nnbench.tui.screens.layer_edit import LayerEditScreen
from nnbench.tui.screens.main_screen import TABS, MainScreen
from nnbench.tui.screens.open_preset import OpenPresetScreen
from nnbench.tui.screens.save_preset import SavePresetScreen
from nnbench.tui.session import LoadedData, Session
from nnbench.tui.widgets.layer_form import LayerForm
from nnbench.tui.widgets.too_small import MIN_HEIGHT, MIN_WIDTH

TRAINING_ACTIONS = ("stop_now", "stop_after_epoch", "toggle_pause")
MAIN_SCREEN_ACTIONS = ("train", "open_preset", "save_preset", "show_tab", "help", "undo")
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
        Binding("e", "stop_after_epoch", "End epoch", id="app.stop_after_epoch",
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
        Binding("ctrl+z", "undo", "Undo", id="app.undo", show=False, priority=True,
                tooltip="Undo the last change to the layers or a field"),
        # A digit typed into a field is a digit: plain digits switch tabs only where nothing can
        # be typed (Textual gives printable keys to the focused text field first). Alt+digit
        # switches from anywhere (see tui/keys.py) and is what the footer shows.
        *(Binding(key, f"show_tab('{tab}')", "Tabs" if n == 1 else title,
                  show=n == 1 and how == "alt", priority=True,
                  key_display="M-1…7" if n == 1 else f"M-{n}", id=f"app.tab.{how}.{tab}",
                  tooltip="Switch tab: Alt+1 … Alt+7, also from inside a field "
                          "(1 … 7 where nothing is typed)")
          for n, (tab, title) in enumerate(TABS.items(), start=1)
          for how, key in zip(("alt", "esc"), alt_digit(n).split(","), strict=True)),
        *(Binding(str(n), f"show_tab('{tab}')", title, show=False, id=f"app.tab.{tab}")
          for n, (tab, title) in enumerate(TABS.items(), start=1)),
    ]

    def __init__(self, preset: Preset, *, runs_dir: Path, preset_path: Path | None = None,
                 log_path: Path | None = None, log_start: int = 0,
                 driver_class: type[Driver] | None = None,
                 not_opened: tuple[str, NnbenchError] | None = None,
                 launcher: Launcher | None = None, attach: Path | None = None) -> None:
        super().__init__(driver_class=driver_class)
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
        self._update_title()
        self._load_keras()
        if self.not_opened is not None:
            self.call_after_refresh(self._say_not_opened)
        if self.attach_to is not None:
            self.call_after_refresh(self.attach_run, self.attach_to)

    def resume_run(self, run_dir: Path) -> None:
        """Go on with an interrupted or stopped run, in a process of its own, and watch it."""
        train_pane = self.main.train_pane
        if train_pane is None:
            return
        if self.training:
            self.notify("A run is training here; stop it first (x) or wait for it.",
                        severity="warning")
            return
        self.action_show_tab("train")
        train_pane.resume(run_dir)

    def clone_run(self, run_dir: Path) -> None:
        """A run's preset back into the builder, to change and train again."""
        self._open_preset(str(run_dir / "preset.toml"))

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every toast passes the escaping seam: its text often quotes outside text (a column
        name, a path, a Keras message), which must be shown, never obeyed as markup or sent to
        the terminal as control characters."""
        super().notify(printable(message, newlines=True), title=printable(title),
                       severity=severity, timeout=timeout, markup=False)

    def attach_run(self, run_dir: Path | str) -> None:
        """Show a run (live or finished) in the Train view, as a run started here is shown."""
        train_pane = self.main.train_pane
        if train_pane is None:
            return
        self.action_show_tab("train")
        train_pane.attach(run_dir)

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
        self._show_loaded()
        self._update_title()
        self.call_after_refresh(self.check_compatibility)  # once the fields are rebuilt

    def check_compatibility(self) -> None:
        """Find every loss / output / label / metric / callback problem now and show each at
        its field (pure Python, so it runs on every change)."""
        main = self.main
        build = main.build_pane
        self.problems = problems(self.preset, self.data_info, build.output_shape)
        shown: set[str] = set()
        for pane in (main.compile_pane, main.fit_pane, main.data_pane):
            shown |= pane.show_problems(self.problems)
        build.show_problems([p for p in self.problems if p.key not in shown])

    def on_build_pane_checked(self, message: BuildPane.Checked) -> None:
        self.check_compatibility()

    def _show_loaded(self) -> None:
        """Show the data loaded for the current settings, or that there is none, everywhere."""
        main = self.main
        session = self.session
        main.build_pane.set_data_info(session.data_info)
        main.fit_pane.set_training_samples(session.training_samples)
        main.data_pane.show_loaded(session.data_info, split_as_loaded=session.split_as_loaded)

    def _update_title(self) -> None:
        self.title = printable(self.preset.name) + (" •" if self.unsaved else "")
        self.sub_title = printable(str(self.preset_path)) if self.preset_path else "bundled preset"

    def set_preset(self, preset: Preset, path: Path | None) -> None:
        """Replace the working preset (opened from a file or the bundled ones)."""
        self.session.open(preset, path)
        self._show_preset()
        self.main.status.message = f"opened {preset.name}"

    def on_preset_changed(self, message: PresetChanged) -> None:
        before = self.preset
        loaded_before = (self.session.data_info, self.session.split_as_loaded)
        # Keys typed into one text field are one undo step; a pick, a toggle or a layer edit
        # is a step of its own.
        self.session.change(message.preset, message.reason,
                            merges=isinstance(self.focused, Input))
        self._changed_from(before, loaded_before)
        self.check_compatibility()
        if message.reason:
            self.main.status.message = f"changed: {message.reason}"

    def _changed_from(self, before: Preset,
                      loaded_before: tuple[DataInfo | None, bool]) -> None:
        """Bring what depends on the preset up to date after it changed from ``before``."""
        self._update_title()
        if ((self.session.data_info, self.session.split_as_loaded) != loaded_before
                or self.preset.data != before.data):
            self._show_loaded()  # rechecks the stack if the data it checks against changed
        if self.preset.compile.loss != before.compile.loss:
            self.main.build_pane.schedule_analysis()  # the output check depends on the loss

    def on_data_pane_loaded(self, message: DataPane.Loaded) -> None:
        if not self.session.data_loaded(LoadedData(message.data, message.fit, message.info,
                                                   message.training_samples)):
            self.main.data_pane.show_loaded(self.session.data_info,
                                            split_as_loaded=self.session.split_as_loaded,
                                            dropped=message.info.source)
            return
        self._show_loaded()
        self.check_compatibility()

    def on_data_pane_load_failed(self, message: DataPane.LoadFailed) -> None:
        self.session.data_load_failed(message.data)
        self._show_loaded()
        self.check_compatibility()

    def action_undo(self) -> None:
        """Undo the last change to the layers or a field (ctrl+z)."""
        step = self.session.undo()
        if step is None:
            self.notify("Nothing to undo.", timeout=2)
            return
        main = self.main
        where = main.focus_position()
        self._show_preset()
        main.status.message = f"undone: {step.reason}"
        self.call_after_refresh(main.restore_focus, where)

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
        where = " The traceback is in the Log tab." if self.log_path is not None else ""
        message = (f"{type(error).__name__}: {error}\n\nThe app keeps running and your unsaved "
                   f"changes are kept.{where} This is a bug in nnbench; please report it.")
        if isinstance(error, NnbenchError):  # a refusal that escaped its view: just say it
            message = error.message
        self.push_screen(ErrorModal(f"{doing.capitalize()} failed"
                                    if not isinstance(error, NnbenchError) else error.title,
                                    message))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The Train view reports its own worker's failures.
        if event.state != WorkerState.ERROR or event.worker.group == "training":
            return
        error = event.worker.error
        if error is not None:
            self.report_failure(event.worker.description or event.worker.name or "a task", error)

    # --- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in TRAINING_ACTIONS:
            return self.training
        if action == "train" and isinstance(self.screen, LayerEditScreen):
            return True  # says what to do with the form first
        # The main screen's keys wait while a dialog is up (its own keys come first).
        return not (action in MAIN_SCREEN_ACTIONS and isinstance(self.screen, ModalScreen))

    def _quiet_footer_while_training(self, training: bool, paused: bool = False) -> None:
        # A Binding's ``show`` and description are fixed when BINDINGS is read; swapping the
        # bindings keeps the keys working (ctrl+r says a run is going) while the footer fits 80
        # columns, and p says what it does now (Pause, or Resume while paused).
        by_key = self._bindings.key_to_bindings
        for key, bindings in by_key.items():
            by_key[key] = [replace(b, show=not training) if b.action in QUIET_WHILE_TRAINING
                           else replace(b, description="Resume" if paused else "Pause")
                           if b.action == "toggle_pause" else b for b in bindings]

    def action_show_tab(self, tab: str) -> None:
        """Show a tab and focus its first control (alt+1 … alt+7, or 1 … 7 outside text)."""
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
        self.check_compatibility()
        refusals = self.main.refused_values() + self.main.problem_refusals(self.problems)
        if not refusals:
            return False
        noun = "this" if len(refusals) == 1 else f"these {len(refusals)}"
        first = refusals[0]
        self.action_show_tab(first.tab)
        if first.field is not None:
            first.field.focus()
        self.notify(printable("\n".join(r.text for r in refusals), newlines=True),
                    title=f"Cannot {doing}: fix {noun} first",
                    severity="error", timeout=12, markup=False)
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
        self._quiet_footer_while_training(message.running, paused=message.paused)
        status = self.main.status
        status.training = ("paused — p resumes" if message.paused else "training…"
                           ) if message.running else (
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
             + [("alt+1 … alt+7", "switch tab, also from inside a field: "
                 + " · ".join(TABS.values())),
                ("1 … 7", "switch tab where nothing is typed (in a text field a digit is a "
                          "digit)"),
                ("esc", "leave a field: back to the layer stack or the tab strip"),
                ("^p", "command palette: every action by name"),
                ("tab, shift+tab", "move between fields")]),
            ("Build", keys(LayerStack.BINDINGS) + keys(BuildPane.BINDINGS)),
            ("Data", keys(DataPane.BINDINGS)),
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
        for command in self._system_commands(screen):
            yield guarded(self, command)

    def _system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
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

    @work(group="dialog", exit_on_error=False, description="Opening a preset")
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
        self._export_script(self.preset, Path.cwd())

    @work(thread=True, group="export", exit_on_error=False, description="Exporting a script")
    def _export_script(self, preset: Preset, folder: Path) -> None:
        from nnbench.core.export import export_script

        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in preset.name) or "model"
        path = folder / f"{stem}.py"
        n = 1
        while path.exists():  # never overwrite a script the user may have edited
            n += 1
            path = folder / f"{stem}-{n}.py"
        try:
            path.write_text(export_script(preset), encoding="utf-8")
        except NnbenchError as exc:
            self.call_from_thread(self.push_screen, ErrorModal(exc.title, exc.message))
            return
        except OSError as exc:
            self.call_from_thread(self.notify, f"Could not write {path}: {exc.strerror}",
                                  title="Export failed", severity="error")
            return
        self.call_from_thread(self.notify, f"Wrote {path}: plain Keras, run it with python",
                              title="Exported", timeout=6)

    @work(group="dialog", exit_on_error=False, description="Saving the preset")
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
        self.session.saved_as(preset, path.resolve())
        self._update_title()
        self.notify(f"Saved {name} to {path}", timeout=3)

    # --- quitting ----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        if not self._quitting:
            self._quit()

    @work(group="dialog", exit_on_error=False, description="Quitting")
    async def _quit(self) -> None:
        self._quitting = True
        try:
            if self.training:
                extra = " Unsaved preset changes are lost." if self.unsaved else ""
                run = self.main.train_pane.state.run_id if self.main.train_pane else None
                attach = f" (`nnbench attach {run}`, or the Runs tab)" if run else ""
                if not await self.push_screen_wait(ConfirmScreen(
                        "Training is running",
                        "Quit? The run goes on training in its own process; come back to it "
                        f"any time{attach}. To stop it instead, press x first.{extra}",
                        yes="Quit, keep training")):
                    return
            elif self.unsaved and not await self.push_screen_wait(ConfirmScreen(
                    "Unsaved changes", f"Quit and lose the changes to {self.preset.name}?",
                    yes="Quit without saving")):
                return
            self.exit(0)
        finally:
            self._quitting = False



def _is_path(choice: str) -> bool:
    return choice.endswith(".toml") or "/" in choice or Path(choice).expanduser().exists()


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
        app = open_app(preset, runs_dir=runs_dir or default_runs_dir(), log_path=log_path,
                       log_start=log_start, driver_class=_terminal_driver(terminal), attach=attach)
        # A crash's traceback must reach the person, not the log file.
        app.error_console = Console(file=terminal, markup=False, highlight=False)
        result = app.run()
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code or 1)
