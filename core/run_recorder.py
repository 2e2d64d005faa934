"""The run's own writer of its folder: events.jsonl, progress.json and summary.json, kept current
as the Trainer's events arrive (core/runs.py describes the folder)."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import socket
from dataclasses import asdict
from pathlib import Path
from typing import Any

from nnbench.core import clock
from nnbench.core.events import (
    BatchProgress,
    EarlyStopped,
    EpochEnded,
    Evaluated,
    Event,
    RunFinished,
    RunStarted,
    event_to_dict,
)
from nnbench.core.monitor import Monitor
from nnbench.core.run_folder import read_events, write_json

log = logging.getLogger(__name__)

PROGRESS_SECONDS = 0.1
"""progress.json is rewritten at most this often (batch progress arrives ~10 times a second)."""


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


class RunRecorder:
    """A listener that keeps events.jsonl, progress.json and summary.json current, flushed every
    epoch. A write that fails (a full disk, the folder gone) is logged once and never stops the
    run: Keras's own writers (CSVLogger, the model save) then end it with the real reason."""

    def __init__(self, run_dir: Path, *, resumed: bool = False) -> None:
        self.run_dir = run_dir
        self.summary_path = run_dir / "summary.json"
        self.progress_path = run_dir / "progress.json"
        self.summary: dict[str, Any] = json.loads(self.summary_path.read_text(encoding="utf-8"))
        if resumed:
            self.summary.update(status="running", pid=os.getpid(), host=socket.gethostname(),
                                error=None)
        self.events = (run_dir / "events.jsonl").open("a", encoding="utf-8")
        self.started = clock.monotonic() - float(self.summary.get("duration_s") or 0)
        self.monitor: Monitor | None = None
        self.points: list[tuple[int, float]] = []
        self.last_progress = 0.0
        self.failed = False

    def _guard(self, what: str, write: Any) -> None:
        try:
            write()
        except OSError as exc:
            if not self.failed:
                log.warning("could not write %s in %s: %s", what, self.run_dir, exc.strerror)
            self.failed = True

    def __call__(self, event: Event) -> None:
        if isinstance(event, BatchProgress):
            # The clock, not time.monotonic: which batch a reader finds in progress.json is
            # decided here, and a test's clock makes that the same every run.
            now = clock.monotonic()
            if now - self.last_progress >= PROGRESS_SECONDS or event.batch == event.steps:
                self.last_progress = now
                self._guard("progress.json",
                            lambda: write_json(self.progress_path, event_to_dict(event)))
            return
        # summary.json first: whoever reads an event (a follower seeing RunFinished) and then the
        # summary finds the summary already saying it.
        if self._update(event):
            self.summary["duration_s"] = round(clock.monotonic() - self.started, 3)
            self._guard("summary.json", lambda: write_json(self.summary_path, self.summary))
        self._guard("events.jsonl", lambda: self._append(event))
        if isinstance(event, RunFinished):
            with contextlib.suppress(OSError):
                self.events.close()
                self.progress_path.unlink(missing_ok=True)

    def _append(self, event: Event) -> None:
        self.events.write(json.dumps(event_to_dict(event), default=str) + "\n")
        self.events.flush()

    def _update(self, event: Event) -> bool:
        """Fold ``event`` into the summary; False when it changes nothing there."""
        s = self.summary
        if isinstance(event, RunStarted):
            self.monitor = Monitor(event.monitor or "val_loss", event.monitor_mode, event.min_delta)
            s.update(monitor=event.monitor, monitor_mode=event.monitor_mode,
                     params=event.summary.total, epochs=event.epochs, pid=event.pid or s.get("pid"))
            if event.initial_epoch:  # resumed: the best so far is read back from the history
                from nnbench.core.run_state import replay

                earlier = replay(read_events(self.run_dir / "events.jsonl"))
                self.points = earlier.series.get(self.monitor.name, [])
                self.points = [p for p in self.points if p[0] <= event.initial_epoch]
        elif isinstance(event, EpochEnded):
            s["epochs_done"] = event.epoch
            s["final_logs"] = {k: _finite(v) for k, v in event.logs.items()}
            monitor = self.monitor or Monitor("val_loss" if "val_loss" in event.logs else "loss")
            value = event.logs.get(monitor.name)
            self.points = [p for p in self.points if p[0] < event.epoch]
            if value is not None:
                self.points.append((event.epoch, value))
            best = monitor.best_of(self.points)
            state = event.early_stopping
            if state is not None and state.monitor == monitor.name and state.best_epoch is not None:
                best = (state.best_epoch, state.best) if state.best is not None else best
            if best is not None:
                s["best_epoch"], s["best_value"], s["monitor"] = best[0], _finite(best[1]), monitor.name
        elif isinstance(event, EarlyStopped):
            s["early_stopped"] = asdict(event)
            if event.best_epoch is not None:
                s["best_epoch"], s["best_value"] = event.best_epoch, _finite(event.best_value)
        elif isinstance(event, Evaluated):
            s["test_metrics"] = {k: _finite(v) for k, v in event.metrics.items()}
        elif isinstance(event, RunFinished):
            s["status"] = event.status
            s["error"] = event.error
            s["epochs_done"] = max(int(s.get("epochs_done") or 0), event.epochs_done)
        else:
            return False
        return True
