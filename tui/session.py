"""The working session, without Textual: the preset being edited, where it lives, whether it is
saved, the undo steps, and the data loaded for it.

The app holds one ``Session`` and the views read it; nothing here knows about widgets, so the rules
(what counts as unsaved, which data belongs to the settings on screen, what ctrl+z undoes) are
tested as plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nnbench.core.events import DataInfo
from nnbench.core.preset import DataSpec, FitSpec, Preset

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


def _validation(fit: FitSpec) -> tuple[object, ...]:
    return (fit.validation_split, fit.validation_first, fit.validation_data)


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

    def open(self, preset: Preset, path: Path | None) -> None:
        """Another preset replaces the working one: nothing of the old one carries over."""
        self.preset = preset
        self.path = path
        self.saved = preset
        self.undo_steps.clear()
        self.loaded = None

    def change(self, preset: Preset, reason: str, *, merges: bool = False) -> None:
        """A view edited the preset. ``merges``: consecutive changes with the same reason (the
        keys typed into one field) are one undo step."""
        if preset == self.preset:
            return
        last = self.undo_steps[-1] if self.undo_steps else None
        if not (merges and last is not None and last.merges and last.reason == reason):
            self.undo_steps.append(UndoStep(self.preset, reason, merges))
            del self.undo_steps[:-UNDO_LIMIT]
        self.preset = preset

    def undo(self) -> UndoStep | None:
        """Go back one step; returns the step undone, or None when there is none."""
        if not self.undo_steps:
            return None
        step = self.undo_steps.pop()
        self.preset = step.before
        return step

    def saved_as(self, preset: Preset, path: Path) -> None:
        """``preset`` (perhaps renamed) was written to ``path``: it is the working preset now."""
        if preset != self.preset:
            self.undo_steps.append(UndoStep(self.preset, "save as", False))
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
