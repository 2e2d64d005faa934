"""Follow a run folder another process writes: its events as they land, then its end.

``RunFollower.poll()`` returns the events appended to events.jsonl since the last call (whole
lines only: a line still being written waits for the next poll), the newest batch progress from
progress.json when it changed, and — when the training process died without saying so — a
``RunFinished(status="interrupted")`` that it makes up (the folder is not written). Plain file
reads by byte offset: following costs a ``stat`` or two per poll whatever the run's length.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from nnbench.core.events import (
    BatchProgress,
    EpochEnded,
    Event,
    RunFinished,
    RunStarted,
    event_from_dict,
)
from nnbench.core.runs import parse_event_line, pid_alive

POLL_SECONDS = 0.1
LIVENESS_SECONDS = 1.0
"""How often the training process's life is checked while no event arrives."""


class RunFollower:
    def __init__(self, run_dir: str | Path, *, pid: int | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.events_path = self.run_dir / "events.jsonl"
        self.progress_path = self.run_dir / "progress.json"
        self.offset = 0
        self.pending = b""
        self.progress_mtime: int | None = None
        self.pid = pid
        """The training process; learnt from RunStarted or summary.json when not given."""
        self.host: str | None = None
        self.finished = False
        self.epochs_done = 0
        self.last_alive_check = 0.0

    def poll(self) -> list[Event]:
        """New events since the last call (possibly none)."""
        if self.finished:
            return []
        events = self._new_events()
        for event in events:
            # A resumed run has a RunFinished of its first process, then a new RunStarted: the
            # run has ended only if its last word is a RunFinished.
            if isinstance(event, RunStarted):
                self.finished = False
                if event.pid:
                    self.pid = event.pid
            elif isinstance(event, RunFinished):
                self.finished = True
            elif isinstance(event, EpochEnded):
                self.epochs_done = event.epoch
        if self.finished:
            return events
        progress = self._progress()
        if progress is not None:
            events.append(progress)
        if not events and self._died():
            # Read once more: the last lines may have landed just before the process ended.
            events = self._new_events()
            if not any(isinstance(e, RunFinished) for e in events):
                events.append(RunFinished(status="interrupted", run_dir=str(self.run_dir),
                                          epochs_done=self.epochs_done,
                                          error="the training process ended without finishing "
                                                f"the run; go on with nnbench resume "
                                                f"{self.run_dir.name}"))
            self.finished = True
        return events

    def follow(self, stop: object | None = None, interval: float = POLL_SECONDS
               ) -> Iterator[list[Event]]:
        """Poll until the run ends (or ``stop``, a threading.Event, is set), yielding each batch."""
        wait = getattr(stop, "wait", None)
        while not self.finished and not (stop is not None and stop.is_set()):  # type: ignore[attr-defined]
            events = self.poll()
            if events:
                yield events
            if self.finished:
                return
            if wait is not None:
                wait(interval)
            else:
                time.sleep(interval)

    def _new_events(self) -> list[Event]:
        try:
            size = self.events_path.stat().st_size
        except OSError:
            return []
        if size < self.offset:  # rewritten from scratch: read it again
            self.offset, self.pending = 0, b""
        if size == self.offset:
            return []
        try:
            with self.events_path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read(size - self.offset)
        except OSError:
            return []
        self.offset += len(chunk)
        data = self.pending + chunk
        *lines, self.pending = data.split(b"\n")
        out: list[Event] = []
        for raw in lines:
            event = parse_event_line(raw.decode("utf-8", errors="replace"))
            if event is not None:
                out.append(event)
        return out

    def _progress(self) -> BatchProgress | None:
        try:
            mtime = self.progress_path.stat().st_mtime_ns
        except OSError:
            return None
        if mtime == self.progress_mtime:
            return None
        self.progress_mtime = mtime
        try:
            event = event_from_dict(json.loads(self.progress_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return event if isinstance(event, BatchProgress) else None

    def _died(self) -> bool:
        now = time.monotonic()
        if now - self.last_alive_check < LIVENESS_SECONDS:
            return False
        self.last_alive_check = now
        if self.pid is None or self.host is None:
            self._read_owner()
        if self.pid is None:
            return False  # not started yet (or a folder without a summary): keep waiting
        if self.host is not None and self.host != socket.gethostname():
            return False  # another machine's run: its pid means nothing here
        return not pid_alive(self.pid)

    def _read_owner(self) -> None:
        try:
            data = json.loads((self.run_dir / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict):
            pid, host = data.get("pid"), data.get("host")
            if isinstance(pid, int) and not isinstance(pid, bool) and self.pid is None:
                self.pid = pid
            if isinstance(host, str):
                self.host = host
            if data.get("status") in ("finished", "stopped", "failed") and self.pid is None:
                self.pid = os.getpid()  # nothing trains it; its events say how it ended
