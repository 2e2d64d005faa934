"""Controls that reach a run from any process: a small file in the run folder the trainer polls.

    <run>/control.json   {"stop": false, "stop_after_epoch": true, "pause": false,
                          "learning_rate": {"value": 0.0001, "seq": 2},
                          "patience": {"value": 10, "seq": 1}}

Any reader (the app that started the run, an app attached later, ``nnbench stop``) writes it with
``request``; the run's own process is its only reader, between batches, at most every
``POLL_SECONDS`` (one ``os.stat`` then), so the cost per batch stays negligible.

Steering (``steer``): a new learning rate or EarlyStopping patience for the running fit. Each value
carries a sequence number, so the trainer applies a request once, and asking for the learning rate
again after ReduceLROnPlateau lowered it applies it again; asking only for patience never undoes
what ReduceLROnPlateau did.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nnbench.core.errors import NnbenchError

CONTROL_FILE = "control.json"
POLL_SECONDS = 0.1

Action = Literal["stop", "stop_after_epoch", "pause", "resume"]


class StopNow(Exception):
    """Raised inside fit() to leave it before the next batch."""


STEERABLE = ("learning_rate", "patience")
MAX_PATIENCE = 100_000
"""As many epochs as a preset may have (catalog's epochs limit): more would mean "never"."""


@dataclass(frozen=True)
class Steer:
    """A wish to change the running fit: a new learning rate and/or EarlyStopping patience."""

    learning_rate: float | None = None
    patience: int | None = None


def check_steer(learning_rate: float | None, patience: int | None) -> Steer:
    """The request as a ``Steer``, refused (NnbenchError) when it asks for nothing or a value Keras
    would train nonsense with."""
    if learning_rate is None and patience is None:
        raise NnbenchError("nothing to change: give a learning rate (--lr 1e-4) and/or a "
                           "patience (--patience 10)")
    if learning_rate is not None and not (math.isfinite(learning_rate) and learning_rate > 0):
        raise NnbenchError(f"the learning rate must be a number above 0 (e.g. 1e-4), not "
                           f"{learning_rate}")
    if patience is not None and not 0 <= patience <= MAX_PATIENCE:
        raise NnbenchError(f"patience must be a whole number of epochs from 0 to {MAX_PATIENCE:,}, "
                           f"not {patience}")
    return Steer(learning_rate, patience)


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
    steering: queue.SimpleQueue[Steer] = field(default_factory=queue.SimpleQueue)
    """Learning rate / patience changes waiting for the trainer's next batch."""

    def steer(self, learning_rate: float | None = None, patience: int | None = None) -> None:
        """Change the running fit's learning rate and/or patience before its next batch."""
        self.steering.put(check_steer(learning_rate, patience))


def read_controls(run_dir: Path) -> dict[str, bool]:
    try:
        data = json.loads((run_dir / CONTROL_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: bool(data.get(k)) for k in ("stop", "stop_after_epoch", "pause")}


def _read_raw(run_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((run_dir / CONTROL_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(run_dir: Path, state: dict[str, Any]) -> None:
    tmp = run_dir / f".{CONTROL_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, run_dir / CONTROL_FILE)


def read_steering(run_dir: Path) -> dict[str, tuple[float, int]]:
    """``{"learning_rate": (value, seq), "patience": (value, seq)}`` for the wishes in the file."""
    out: dict[str, tuple[float, int]] = {}
    for key, wish in _read_raw(run_dir).items():
        if key not in STEERABLE or not isinstance(wish, dict):
            continue
        value, seq = wish.get("value"), wish.get("seq")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(seq, int):
            out[key] = (float(value), seq)
    return out


def steer(run_dir: str | Path, learning_rate: float | None = None,
          patience: int | None = None) -> Steer:
    """Ask the process training ``run_dir`` for a new learning rate and/or patience.

    Raises NnbenchError for a value it refuses, OSError when the folder can't be written."""
    wish = check_steer(learning_rate, patience)
    run_dir = Path(run_dir)
    state = _read_raw(run_dir)
    for key, value in (("learning_rate", wish.learning_rate), ("patience", wish.patience)):
        if value is not None:
            before = state.get(key)
            seq = before.get("seq", 0) if isinstance(before, dict) else 0
            state[key] = {"value": value, "seq": (seq if isinstance(seq, int) else 0) + 1}
    _write(run_dir, state)
    return wish


def request(run_dir: str | Path, action: Action) -> None:
    """Ask the process training ``run_dir`` to stop, stop after the epoch, pause or resume.

    Raises OSError when the folder can't be written (the caller says so)."""
    run_dir = Path(run_dir)
    raw = _read_raw(run_dir)  # steering wishes in the file stay as they are
    state: dict[str, Any] = read_controls(run_dir) or {"stop": False, "stop_after_epoch": False,
                                                       "pause": False}
    if action == "resume":
        state["pause"] = False
    elif action == "pause":
        state["pause"] = True
    else:
        state[action] = True
        state["pause"] = False  # a paused run must wake up to see the stop
    _write(run_dir, {**{k: v for k, v in raw.items() if k in STEERABLE}, **state})


class ControlFile:
    """The trainer's side: ``poll(controls)`` copies the file's wishes into the Events."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / CONTROL_FILE
        self.checked = 0.0
        self.mtime: int | None = None
        self.steered: dict[str, int] = {}
        """The last sequence number applied per steerable value."""
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
        new: dict[str, Any] = {}
        for key, (value, seq) in read_steering(self.path.parent).items():
            if seq > self.steered.get(key, 0):
                self.steered[key] = seq
                new[key] = int(value) if key == "patience" else value
        if new:
            # A hand-edited file with a value steer() refuses: nothing to apply.
            with contextlib.suppress(NnbenchError):
                controls.steer(**new)


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
