"""One training, watched from outside: the app in a pty (Ctrl+R) or the bare Keras script,
followed through its events file while the process tree's CPU and memory are read."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.figures.launch import start_app, wait_ready
from bench.ptyrun import PtyProgram, RunFolderWatcher, TreeMeter
from bench.workloads import Workload


@dataclass
class Watched:
    """A training process followed through its events file."""

    epoch_seconds: list[float]
    fit_wall_s: float
    """RunStarted seen .. last EpochEnded seen"""
    fit_cpu_s: float
    """CPU seconds of the whole process tree over the same span"""
    peak_rss_mb: float
    final_loss: float | None
    epoch_ends: list[tuple[float, int, dict[str, float]]]
    """(monotonic time the epoch's line was written, epoch, logs)"""
    chunks: list[Any] = field(default_factory=list)
    keys: list[tuple[float, bytes]] = field(default_factory=list)
    pids: int = 1


def _follow(watcher: RunFolderWatcher, meter: TreeMeter, pump: Callable[[], bool],
            timeout: float, on_epoch: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Poll the events file until RunFinished; CPU read as each RunStarted/EpochEnded is seen."""
    clock_offset = time.time() - time.monotonic()
    marks: list[tuple[str, float, float, dict[str, Any]]] = []
    deadline = time.monotonic() + timeout
    last_sample = 0.0
    while time.monotonic() < deadline:
        alive = pump()
        new = watcher.poll()
        now = time.monotonic()
        if new:
            cpu, _ = meter.sample()
            last_sample = now
            seen, mtime, _ = watcher.events[-1]
            written = min(seen, mtime - clock_offset)
            for event in new:
                kind = event.get("event")
                if kind in ("RunStarted", "EpochEnded"):
                    marks.append((kind, written, cpu, event))
                    if kind == "EpochEnded" and on_epoch is not None:
                        on_epoch(int(event.get("epoch", 0)))
            if watcher.finished() is not None:
                break
        elif now - last_sample > 0.25:
            meter.sample()
            last_sample = now
        if not alive and not new:
            watcher.poll()
            if watcher.finished() is None:
                raise RuntimeError("the training process ended without RunFinished")
            break
    else:
        raise RuntimeError(f"no RunFinished within {timeout:.0f}s")
    finished = watcher.finished() or {}
    if finished.get("status") not in ("finished", None):
        raise RuntimeError(f"run {finished.get('status')}: {finished.get('error')}")
    started = next((m for m in marks if m[0] == "RunStarted"), None)
    ends = [m for m in marks if m[0] == "EpochEnded"]
    if not ends:
        raise RuntimeError("no epoch ended")
    first = started or ends[0]
    return {"started": first, "ends": ends}


def _watched(marks: dict[str, Any], meter: TreeMeter) -> Watched:
    first, ends = marks["started"], marks["ends"]
    logs = ends[-1][3].get("logs", {})
    return Watched(
        epoch_seconds=[float(e[3].get("seconds", 0.0)) for e in ends],
        fit_wall_s=ends[-1][1] - first[1], fit_cpu_s=ends[-1][2] - first[2],
        peak_rss_mb=meter.peak_rss / 2**20, final_loss=logs.get("loss"),
        epoch_ends=[(e[1], int(e[3].get("epoch", 0)), e[3].get("logs", {})) for e in ends],
        pids=len(meter.pids_seen))


def train_bare(w: Workload, epochs: int, scratch: Path, data: Path | None) -> Watched:
    folder = scratch / f"bare-{time.monotonic_ns()}"
    folder.mkdir()
    events = folder / "events.jsonl"
    argv = w.bare_argv(epochs, data_path=data, events=events, save=folder / "model.keras")
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=folder)
    try:
        meter = TreeMeter(proc.pid)
        watcher = RunFolderWatcher(folder)

        def pump() -> bool:
            time.sleep(0.01)
            return proc.poll() is None

        marks = _follow(watcher, meter, pump, timeout=600)
        proc.wait(120)
        return _watched(marks, meter)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


def train_in_app(w: Workload, epochs: int, scratch: Path, data: Path | None,
                 during: Callable[[PtyProgram, int], None] | None = None,
                 setup: Callable[[PtyProgram], None] | None = None) -> Watched:
    """The full app in a pty trains the preset by Ctrl+R; followed through its run folder."""
    folder = scratch / f"app-{time.monotonic_ns()}"
    runs_dir = folder / "runs"
    runs_dir.mkdir(parents=True)
    preset = w.write_preset(folder, epochs, data)
    watcher = RunFolderWatcher(runs_dir)
    app = start_app(preset, runs_dir)
    try:
        meter = TreeMeter(app.pid, extra_pids=watcher.run_pids)
        wait_ready(app, meter)
        if setup is not None:
            setup(app)
        app.set_live(False)  # from here on only record: parsing would compete for the CPUs
        app.press("ctrl+r")
        t_press = time.monotonic()
        while not watcher.files():
            app.pump(0.05)
            if time.monotonic() - t_press > 120:
                app.set_live(True)
                raise RuntimeError("Ctrl+R started no run within 120 s:\n" + app.text())
        marks = _follow(watcher, meter, lambda: app.pump(0.01), timeout=900,
                        on_epoch=(lambda n: during(app, n)) if during else None)
        app.drain(1.0)  # the last epoch's frames
        result = _watched(marks, meter)
        result.chunks, result.keys = app.chunks, app.keys
        return result
    finally:
        app.close()
        shutil.rmtree(folder, ignore_errors=True)
