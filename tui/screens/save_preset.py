"""The modal that saves the working preset as TOML: a name, a description and a path."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from nnbench.core.user_presets import user_presets_dir
from nnbench.tui.screens.modal import Modal


class SavePresetScreen(Modal[tuple[str, str, Path] | None]):
    """Dismisses with (name, description, path) or None. The path follows the name until it is
    edited."""

    HINT = "enter saves · esc cancels"
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
        self._path_follows_name = path is None

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog", id="save-dialog"):
            yield Static("Save the preset", classes="title")
            with Horizontal(classes="row"):
                yield Label("name")
                yield Input(self.preset_name, id="save-name", compact=True)
            with Horizontal(classes="row"):
                yield Label("description")
                yield Input(self.description, id="save-description", compact=True,
                            placeholder="one line: what this preset is for")
            with Horizontal(classes="row"):
                yield Label("path")
                yield Input(str(self.path or self._default_path(self.preset_name)),
                            id="save-path", compact=True)
            yield Static("", id="save-problem", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Save", variant="primary", id="save", compact=True)

    @staticmethod
    def _default_path(name: str) -> Path:
        return user_presets_dir() / f"{name or 'untitled'}.toml"

    def on_mount(self) -> None:
        self.query_one("#save-name", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input.id == "save-name" and self._path_follows_name:
            path_input = self.query_one("#save-path", Input)
            with path_input.prevent(Input.Changed):
                path_input.value = str(self._default_path(event.value.strip()))
        elif event.input.id == "save-path" and event.input.has_focus:
            self._path_follows_name = False

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
            problem.update("✗ give the preset a name")
            return
        if not path_text:
            problem.update("✗ give a path to save to, e.g. ~/presets/mine.toml")
            return
        path = Path(path_text).expanduser()
        if path.suffix != ".toml":
            problem.update("✗ the file name must end in .toml")
            return
        if path.is_dir():
            problem.update(f"✗ {path} is a folder; add a file name ending in .toml")
            return
        description = self.query_one("#save-description", Input).value.strip()
        self.dismiss((name, description, path))
