"""Start a run in a process of its own, so it outlives the terminal (and the app) that started it.

    launch_run(preset, runs_dir)          -> Launch   (returns at once)
    Launch.wait_started()                 -> Started  (once the run's checks passed and its
                                                       folder exists), or raises the refusal

The child (core/run_process.py) runs in a new session (immune to the terminal's hangup), with
stdin closed and its output in the run folder's output.log. It tells the parent how its start went
through a pipe, one JSON line: {"run_dir": ...} or {"error": ..., "title": ...}. After that the
parent only reads the run folder (core/follow.py), like any other reader; it reaps the child in a
thread so a finished run never lingers as a zombie that looks alive.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from nnbench.core.errors import NnbenchError, RunStoreError, TrainingError
from nnbench.core.preset import Preset

LAUNCH_DIR = ".launch"
"""Inside the runs folder: presets handed to starting runs and their output until their run
folder exists."""


@dataclass(frozen=True)
class Started:
    run_id: str
    run_dir: Path
    pid: int


class Starting(Protocol):
    def wait_started(self) -> Started: ...


class Launcher(Protocol):
    """How the app starts a run: ``launch_run`` (a process of its own), or ``launch_in_thread``."""

    def __call__(self, preset: Preset, runs_dir: Path, *, note: str = "") -> Starting: ...


class Launch:
    """A run process that is starting."""

    def __init__(self, process: subprocess.Popen[bytes], handshake: int, log_path: Path,
                 preset_path: Path) -> None:
        self.process = process
        self._handshake = handshake
        self.log_path = log_path
        self.preset_path = preset_path
        threading.Thread(target=process.wait, name=f"reap-{process.pid}", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_started(self) -> Started:
        """Block until the child says its run folder exists; raise its refusal as NnbenchError."""
        chunks = []
        with os.fdopen(self._handshake, "rb") as pipe:
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        line = b"".join(chunks).decode("utf-8", errors="replace").strip()
        try:
            answer = json.loads(line) if line else {}
        except ValueError:
            answer = {}
        if isinstance(answer, dict) and answer.get("run_dir"):
            run_dir = Path(answer["run_dir"])
            return Started(run_dir.name, run_dir, self.process.pid)
        self.process.wait()
        with contextlib.suppress(OSError):
            self.preset_path.unlink()
        if isinstance(answer, dict) and answer.get("error"):
            with contextlib.suppress(OSError):
                self.log_path.unlink()
            error = NnbenchError(str(answer["error"]))
            error.title = str(answer.get("title") or NnbenchError.title)
            raise error
        raise TrainingError(f"the run process ended before it started (exit {self.process.returncode})"
                            f": {_tail(self.log_path) or 'no output'} (its output: {self.log_path})")


def _tail(path: Path, lines: int = 1) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " / ".join(text[-lines:])


def launch_run(preset: Preset, runs_dir: Path, *, epochs: int | None = None,
               resume: Path | None = None, cwd: Path | None = None, note: str = "") -> Launch:
    """Start ``preset`` training in its own process (or go on with the run folder ``resume``)."""
    scratch = runs_dir / LAUNCH_DIR
    try:
        scratch.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(6)
        preset_path = scratch / f"{token}.toml"
        preset_path.write_text(preset.to_toml(), encoding="utf-8")
        log_path = scratch / f"{token}.log"
        log = log_path.open("wb")
    except OSError as exc:
        raise RunStoreError(f"cannot write to the runs folder {runs_dir}: {exc.strerror}; pass "
                            "--runs-dir or set NNBENCH_RUNS_DIR to a writable folder") from None
    read_end, write_end = os.pipe()
    command = [sys.executable, "-m", "nnbench.core.run_process", "--preset", str(preset_path),
               "--runs-dir", str(runs_dir), "--handshake-fd", str(write_end), "--log", str(log_path)]
    if epochs is not None:
        command += ["--epochs", str(epochs)]
    if resume is not None:
        command += ["--resume", str(resume)]
    if note:
        command += ["--note", note]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
           "PYTHONUNBUFFERED": "1"}
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   pass_fds=(write_end,), start_new_session=True, env=env,
                                   cwd=cwd or Path.cwd())
    except OSError as exc:
        os.close(read_end)
        raise TrainingError(f"cannot start the run process: {exc}") from None
    finally:
        os.close(write_end)
        log.close()
    return Launch(process, read_end, log_path, preset_path)


class ThreadLaunch:
    """A run trained by a thread of this process, writing the same run folder a run process
    writes: for tests of the views (which only read the folder), where a process per test would
    cost seconds of TensorFlow import. It does not outlive the process."""

    def __init__(self, preset: Preset, runs_dir: Path, epochs: int | None = None,
                 note: str = "") -> None:
        from nnbench.core.control import TrainControls

        self._ready = threading.Event()
        self._started: Started | None = None
        self._error: NnbenchError | None = None
        self.controls = TrainControls()
        self.thread = threading.Thread(target=self._run, args=(preset, runs_dir, epochs, note),
                                       name="nnbench-run", daemon=True)
        self.thread.start()

    def _listen(self, event: object) -> None:
        from nnbench.core.events import RunFinished, RunStarted

        if isinstance(event, RunStarted):
            self._started = Started(event.run_id, Path(event.run_dir), os.getpid())
            self._ready.set()
        elif isinstance(event, RunFinished) and not self._ready.is_set():
            error = NnbenchError(event.error or f"the run {event.status} before it started")
            error.title = event.error_title or NnbenchError.title
            self._error = error
            self._ready.set()

    def _run(self, preset: Preset, runs_dir: Path, epochs: int | None, note: str) -> None:
        from nnbench.core.training import Trainer

        try:
            Trainer(preset, runs_dir, listeners=[self._listen], controls=self.controls,
                    epochs=epochs, note=note).run()
        finally:
            self._ready.set()

    def wait_started(self) -> Started:
        self._ready.wait()
        if self._started is not None:
            return self._started
        raise self._error or TrainingError("the run thread ended before the run started")


def launch_in_thread(preset: Preset, runs_dir: Path, *, note: str = "") -> ThreadLaunch:
    return ThreadLaunch(preset, runs_dir, note=note)
