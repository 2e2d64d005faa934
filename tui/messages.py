"""Messages the TUI passes around. Core events cross from a follower thread wrapped in
``TrainingEvents``; nothing here holds a tensor."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from nnbench.core.events import BatchProgress, Event
from nnbench.core.preset import Preset


@dataclass
class TrainingEvents(Message):
    """Core events (nnbench.core.events.*) of the run in ``run_dir``, read by a follower thread.

    ``attached`` says a launched run has its folder now (no events yet)."""

    run_dir: str
    events: list[Event]
    attached: bool = False

    def can_replace(self, message: Message) -> bool:
        # A flood of batch progress coalesces: only the newest one matters on screen.
        return (isinstance(message, TrainingEvents) and message.run_dir == self.run_dir
                and _only_progress(message.events) and _only_progress(self.events))


def _only_progress(events: list[Event]) -> bool:
    return bool(events) and all(isinstance(e, BatchProgress) for e in events)


@dataclass
class RunRefused(Message):
    """A run could not start: its checks refused it (nothing was written)."""

    title: str
    text: str


@dataclass
class TrainingStateChanged(Message):
    """Training started (running=True), paused or resumed (running=True, paused), or ended
    (running=False, with the final status)."""

    running: bool
    status: str | None = None
    run_dir: str | None = None
    paused: bool = False


@dataclass
class PresetChanged(Message):
    """A view edited the working preset; the app replaces its copy and marks it unsaved."""

    preset: Preset
    reason: str = ""


@dataclass
class KerasReady(Message):
    """TensorFlow finished loading in the background."""

    error: str | None = None
