"""Messages the TUI passes around. Core events cross from the training thread wrapped in
``TrainingEvent``; nothing here holds a tensor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from nnbench.core.events import BatchProgress
from nnbench.core.preset import Preset


@dataclass
class TrainingEvent(Message):
    """A core training event (nnbench.core.events.*) posted from the training thread."""

    event: Any

    def can_replace(self, message: Message) -> bool:
        # A flood of batch progress coalesces: only the newest one matters on screen.
        return (isinstance(message, TrainingEvent)
                and isinstance(message.event, BatchProgress)
                and isinstance(self.event, BatchProgress))


@dataclass
class TrainingStateChanged(Message):
    """Training started (running=True) or ended (running=False, with the final status)."""

    running: bool
    status: str | None = None
    run_dir: str | None = None


@dataclass
class PresetChanged(Message):
    """A view edited the working preset; the app replaces its copy and marks it unsaved."""

    preset: Preset
    reason: str = ""


@dataclass
class KerasReady(Message):
    """TensorFlow finished loading in the background."""

    error: str | None = None
