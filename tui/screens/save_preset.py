"""The modal that saves the working preset as TOML: a name, a description and a path."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from nnbench.core.i18n import N_, _
from nnbench.core.user_presets import user_presets_dir
from nnbench.tui.screens.modal import Modal


class SavePresetScreen(Modal[tuple[str, str, Path] | None]):
    """Dismisses with (name, description, path) or None.

    A new name means a new preset ("save as"): until they are edited, the path follows the name
    (in the folder of the opened file, else in the user's presets folder), so the opened file is
    never overwritten with another preset, and the description empties to its prompt, since the
    old one described the preset this one came from. The name as it was brings both back.
    """

    HINT = N_("enter saves · esc cancels")
    DEFAULT_CSS = """
    SavePresetScreen .row { height: auto; padding: 0 0 1 0; }
    SavePresetScreen .row Label { width: 13; }
    SavePresetScreen .row Input { width: 1fr; }
    SavePresetScreen #save-problem { color: $error; text-style: bold; height: auto; }
    """

    def __init__(self, name: str, description: str, path: Path | None) -> None:
        super().__init__()
        self.preset_name = name
        self.description = description
        self.path = path
        self._path_edited = False
        self._description_edited = False

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog", id="save-dialog"):
            yield Static(_("Save the preset"), classes="title")
            with Horizontal(classes="row"):
                yield Label(_("name"))
                yield Input(self.preset_name, id="save-name", compact=True)
            with Horizontal(classes="row"):
                yield Label(_("description"))
                yield Input(self.description, id="save-description", compact=True,
                            placeholder=_("one line: what this preset is for"))
            with Horizontal(classes="row"):
                yield Label(_("path"))
                yield Input(str(self._path_for(self.preset_name)), id="save-path", compact=True)
            yield Static("", id="save-problem", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(_("Cancel"), id="cancel", compact=True)
                yield Button(_("Save"), variant="primary", id="save", compact=True)

    def _path_for(self, name: str) -> Path:
        """Where a preset of this name goes unless the path is edited."""
        if self.path is not None and name == self.preset_name:
            return self.path
        folder = self.path.parent if self.path is not None else user_presets_dir()
        return folder / f"{name or 'untitled'}.toml"

    def on_mount(self) -> None:
        self.query_one("#save-name", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input.id == "save-name":
            name = event.value.strip()
            if not self._path_edited:
                self._set("#save-path", str(self._path_for(name)))
            if not self._description_edited:
                self._set("#save-description",
                          self.description if name == self.preset_name else "")
        elif event.input.has_focus:  # typed by the person, not set here
            if event.input.id == "save-path":
                self._path_edited = True
            elif event.input.id == "save-description":
                self._description_edited = True

    def _set(self, selector: str, value: str) -> None:
        field = self.query_one(selector, Input)
        if field.value != value:
            with field.prevent(Input.Changed):
                field.value = value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._save()
        else:
            self.dismiss(None)

    def _save(self) -> None:
        name = self.query_one("#save-name", Input).value.strip()
        path_text = self.query_one("#save-path", Input).value.strip()
        problem = self.query_one("#save-problem", Static)
        if not name:
            problem.update(_("✗ give the preset a name"))
            return
        if not path_text:
            problem.update(_("✗ give a path to save to, e.g. ~/presets/mine.toml"))
            return
        path = Path(path_text).expanduser()
        if path.suffix != ".toml":
            problem.update(_("✗ the file name must end in .toml"))
            return
        if path.is_dir():
            problem.update(_("✗ {path} is a folder; add a file name ending in .toml").format(path=path))
            return
        description = self.query_one("#save-description", Input).value.strip()
        self.dismiss((name, description, path))
