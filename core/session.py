"""The working session, without Textual: the preset being edited, where it lives, whether it is
saved, the undo steps, the data loaded for it, and what follows from those (the window title,
where an opened name points, where an export goes, what a save writes and reads back).

The app holds one ``Session`` and the views read it; nothing here knows about widgets, so the rules
(what counts as unsaved, which data belongs to the settings on screen, what ctrl+z undoes) are
tested as plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nnbench.core.events import DataInfo
from nnbench.core.i18n import _
from nnbench.core.preset import DataSpec, FitSpec, Preset, load_preset, loads_preset, save_preset
from nnbench.core.text import printable

UNDO_LIMIT = 200
"""Steps kept for ctrl+z; older ones are dropped."""


@dataclass(frozen=True)
class UndoStep:
    """The preset as it was before a change, and what the change was."""

    before: Preset
    reason: str
    merges: bool
    """A later change with the same reason folds into this step (typing in one field)."""


@dataclass(frozen=True)
class LoadedData:
    """What a load returned, with the settings it was loaded with."""

    data: DataSpec
    fit: FitSpec
    info: DataInfo
    training_samples: int | None


@dataclass(frozen=True)
class ChangeEffects:
    """What else a change to the working preset makes stale, besides the title."""

    loaded_data: bool
    """What is shown as the data loaded for these settings changed (or the data settings did)."""
    loss: bool
    """The loss changed: the check of the model's output against it must run again."""


def _validation(fit: FitSpec) -> tuple[object, ...]:
    return (fit.validation_split, fit.validation_first, fit.validation_data)


def is_preset_path(choice: str) -> bool:
    """Whether ``choice`` (as typed or given on the command line) names a file rather than a
    bundled preset: a bundled preset has no path to save back to."""
    return choice.endswith(".toml") or "/" in choice or Path(choice).expanduser().exists()


def open_choice(choice: str) -> tuple[Preset, Path | None]:
    """The preset a bundled name or a path names, and its resolved path (None when bundled).

    Raises ``PresetError`` (with the file, key and what to do) when it cannot be opened.
    """
    preset = load_preset(choice)
    return preset, Path(choice).expanduser().resolve() if is_preset_path(choice) else None


def script_path(name: str, folder: Path) -> Path:
    """A file in ``folder`` for the script of the preset called ``name``, named after it and
    never one that exists: a script written before may have been edited since."""
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "model"
    path = folder / f"{stem}.py"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.py"
    return path


class Session:
    """The working preset and everything that belongs to it."""

    def __init__(self, preset: Preset, path: Path | None = None) -> None:
        self.preset = preset
        self.path = path
        self.saved = preset
        """The preset as last opened or saved: the working one differs from it when unsaved."""
        self.undo_steps: list[UndoStep] = []
        self.loaded: LoadedData | None = None

    # --- the preset ------------------------------------------------------------------------------

    @property
    def unsaved(self) -> bool:
        return self.preset != self.saved

    @property
    def title(self) -> str:
        """The window title: the preset's name, with a dot while it has unsaved changes."""
        return printable(self.preset.name) + (" •" if self.unsaved else "")

    @property
    def subtitle(self) -> str:
        """Where the preset lives (a bundled one has no file of its own)."""
        return printable(str(self.path)) if self.path else _("bundled preset")

    def open(self, preset: Preset, path: Path | None) -> None:
        """Another preset replaces the working one: nothing of the old one carries over."""
        self.preset = preset
        self.path = path
        self.saved = preset
        self.undo_steps.clear()
        self.loaded = None

    def change(self, preset: Preset, reason: str, *, merges: bool = False) -> ChangeEffects:
        """A view edited the preset. ``merges``: consecutive changes with the same reason (the
        keys typed into one field) are one undo step. Returns what the change made stale."""
        before = self.preset
        loaded_before = self._loaded_view()
        if preset != self.preset:
            last = self.undo_steps[-1] if self.undo_steps else None
            if not (merges and last is not None and last.merges and last.reason == reason):
                self.undo_steps.append(UndoStep(self.preset, reason, merges))
                del self.undo_steps[:-UNDO_LIMIT]
            self.preset = preset
        return ChangeEffects(
            loaded_data=self._loaded_view() != loaded_before or self.preset.data != before.data,
            loss=self.preset.compile.loss != before.compile.loss)

    def undo(self) -> UndoStep | None:
        """Go back one step; returns the step undone, or None when there is none."""
        if not self.undo_steps:
            return None
        step = self.undo_steps.pop()
        self.preset = step.before
        return step

    def would_replace(self, path: Path) -> bool:
        """Saving to ``path`` would overwrite a file other than the preset's own."""
        return path.exists() and path.resolve() != self.path

    def save(self, path: Path, *, name: str, description: str) -> bool:
        """Write the working preset, renamed, to ``path`` and make that the saved preset.
        Returns whether the file reads back as the same preset (False is a bug to report).

        Raises ``OSError`` or an ``NnbenchError`` (nothing changes then).
        """
        preset = self.preset.copy_with(name=name, description=description)
        save_preset(preset, path)
        again = loads_preset(path.read_text(encoding="utf-8"), file=str(path))
        self.saved_as(preset, path.resolve())
        return again == preset

    def saved_as(self, preset: Preset, path: Path) -> None:
        """``preset`` (perhaps renamed) was written to ``path``: it is the working preset now."""
        if preset != self.preset:
            # The reason is shown ("undone: save as"), so it is said in the interface's language.
            self.undo_steps.append(UndoStep(self.preset, _("save as"), False))
        self.preset = preset
        self.saved = preset
        self.path = path

    # --- the data loaded for it ---------------------------------------------------------------

    def data_loaded(self, loaded: LoadedData) -> bool:
        """Keep what a load returned if it is the data of the settings now; a load that was
        started before the source or its options changed is dropped (returns False)."""
        if loaded.data != self.preset.data:
            return False
        self.loaded = loaded
        return True

    def data_load_failed(self, data: DataSpec) -> None:
        """A load of ``data`` failed: whatever was loaded before is not the data of these
        settings either."""
        if data == self.preset.data:
            self.loaded = None

    @property
    def data_info(self) -> DataInfo | None:
        """The loaded data's info if it is the data of the current settings, else None."""
        if self.loaded is not None and self.loaded.data == self.preset.data:
            return self.loaded.info
        return None

    @property
    def training_samples(self) -> int | None:
        """Training samples of the loaded data, if it is the data of the current settings."""
        return self.loaded.training_samples if self.data_info is not None and self.loaded else None

    @property
    def split_as_loaded(self) -> bool:
        """Whether the loaded counts used the validation settings now in Fit."""
        return (self.data_info is not None and self.loaded is not None
                and _validation(self.loaded.fit) == _validation(self.preset.fit))

    def _loaded_view(self) -> tuple[DataInfo | None, bool]:
        """What the views show of the loaded data; when it changes they must show it again."""
        return self.data_info, self.split_as_loaded
