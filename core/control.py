"""Controls that reach a run from any process: a small file in the run folder the trainer polls.

    <run>/control.json   {"stop": false, "stop_after_epoch": true, "pause": false}

Any reader (the app that started the run, an app attached later, ``nnbench stop``) writes it with
``request``; the run's own process is its only reader, between batches, at most every
``POLL_SECONDS`` (one ``os.stat`` then), so the cost per batch stays negligible.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

CONTROL_FILE = "control.json"
POLL_SECONDS = 0.1

Action = Literal["stop", "stop_after_epoch", "pause", "resume"]


class StopNow(Exception):
    """Raised inside fit() to leave it before the next batch."""


@dataclass
class TrainControls:
    """What the caller can do to a running fit, from any thread (and, via ``ControlFile``, from
    another process)."""

    stop: threading.Event = field(default_factory=threading.Event)
    """Stop now: before the next batch starts."""
    stop_after_epoch: threading.Event = field(default_factory=threading.Event)
    pause: threading.Event = field(default_factory=threading.Event)
    reason: str = ""
    """Why a stop was asked for ("signal SIGTERM", "control file"), for the run's event log."""


def read_controls(run_dir: Path) -> dict[str, bool]:
    try:
        data = json.loads((run_dir / CONTROL_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: bool(data.get(k)) for k in ("stop", "stop_after_epoch", "pause")}


def request(run_dir: str | Path, action: Action) -> None:
    """Ask the process training ``run_dir`` to stop, stop after the epoch, pause or resume.

    Raises OSError when the folder can't be written (the caller says so)."""
    run_dir = Path(run_dir)
    state = read_controls(run_dir) or {"stop": False, "stop_after_epoch": False, "pause": False}
    if action == "resume":
        state["pause"] = False
    elif action == "pause":
        state["pause"] = True
    else:
        state[action] = True
        state["pause"] = False  # a paused run must wake up to see the stop
    tmp = run_dir / f".{CONTROL_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, run_dir / CONTROL_FILE)


class ControlFile:
    """The trainer's side: ``poll(controls)`` copies the file's wishes into the Events."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / CONTROL_FILE
        self.checked = 0.0
        self.mtime: int | None = None
        # A control file left from an earlier process of this run (resume) must not stop this one.
        with contextlib.suppress(OSError):
            self.path.unlink()

    def poll(self, controls: TrainControls, *, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if now - self.checked < POLL_SECONDS:
            return
        self.checked = now
        try:
            mtime = self.path.stat().st_mtime_ns
        except OSError:
            return
        if mtime == self.mtime:
            return
        self.mtime = mtime
        wishes = read_controls(self.path.parent)
        if wishes.get("stop") and not controls.stop.is_set():
            controls.reason = controls.reason or "stop"
            controls.stop.set()
        if wishes.get("stop_after_epoch") and not controls.stop_after_epoch.is_set():
            controls.stop_after_epoch.set()
        if wishes.get("pause"):
            controls.pause.set()
        else:
            controls.pause.clear()


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def stop_on_signals(controls: TrainControls, *, on_first: Callable[[str], None] | None = None,
                    signals: tuple[signal.Signals, ...] = STOP_SIGNALS) -> Iterator[None]:
    """While inside: the first of ``signals`` stops the run after the current batch (saved as
    stopped, with its model), like Ctrl+C; a second one ends at once (KeyboardInterrupt).

    Schedulers send SIGTERM (``timeout``, Slurm, systemd); a dropped SSH connection SIGHUP. Only
    the main thread can set handlers: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = 0

    def handler(signum: int, frame: object) -> None:
        nonlocal received
        received += 1
        if received > 1:
            raise KeyboardInterrupt
        name = signal.Signals(signum).name
        controls.reason = f"signal {name}"
        controls.stop.set()
        controls.pause.clear()
        if on_first is not None:
            on_first(name)

    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
