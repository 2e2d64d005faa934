"""The run store: one folder per run, the truth on disk.

    <runs>/<run_id>/preset.toml     the resolved preset, replayable with `nnbench train PATH`
                    history.csv     keras.callbacks.CSVLogger's columns, flushed every epoch
                    events.jsonl    every event but batch progress, one JSON object a line
                    progress.json   the latest batch progress (rewritten ~10 times a second)
                    summary.json    status, best epoch, test metrics, duration, versions
                    control.json    stop / stop-after-epoch / pause wishes (core/control.py)
                    backup/         BackupAndRestore's state: what `nnbench resume` goes on from
                    model.keras     the final model; best.keras the best checkpoint
                    output.log      a detached run's own stdout and stderr

A run's process is the only writer of its folder. A run whose process died while its summary
still says "running" is interrupted: the first reader to notice says so in summary.json too (its
writer is gone). The store reads any folder: one it can't read, parse or type is listed as
unreadable with the reason and never hides the others.
"""

from __future__ import annotations

import builtins
import contextlib
import csv
import json
import logging
import math
import os
import platform
import shutil
import socket
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from nnbench.core import clock
from nnbench.core.errors import RunStoreError
from nnbench.core.events import (
    BatchProgress,
    EarlyStopped,
    EpochEnded,
    Evaluated,
    Event,
    RunFinished,
    RunStarted,
    event_from_dict,
    event_to_dict,
)
from nnbench.core.monitor import Monitor
from nnbench.core.preset import Preset

log = logging.getLogger(__name__)

RUNS_DIR_ENV = "NNBENCH_RUNS_DIR"
PROGRESS_SECONDS = 0.1
"""progress.json is rewritten at most this often (batch progress arrives ~10 times a second)."""


def default_runs_dir() -> Path:
    """$NNBENCH_RUNS_DIR, else $XDG_DATA_HOME/nnbench/runs, else ~/.local/share/nnbench/runs."""
    if os.environ.get(RUNS_DIR_ENV):
        return Path(os.environ[RUNS_DIR_ENV]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "nnbench" / "runs"


@dataclass
class RunRecord:
    run_id: str
    """The run's folder name: unique in its runs folder, whatever summary.json says."""
    path: str
    preset_name: str
    status: str
    started: str
    duration_s: float | None = None
    epochs_done: int = 0
    epochs: int | None = None
    best_epoch: int | None = None
    best_value: float | None = None
    monitor: str | None = None
    monitor_mode: str = "auto"
    test_metrics: dict[str, float] = field(default_factory=dict)
    final_logs: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    early_stopped: dict[str, Any] | None = None
    """EarlyStopped's fields (stopped_epoch, best_epoch, ...) when early stopping fired."""
    params: int | None = None
    pid: int | None = None
    host: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    devices: list[str] = field(default_factory=list)
    """The devices the run trains on, as TensorFlow names them (core/strategy.py)."""
    note: str = ""
    """What this run's preset changed from the saved one it came from ("sgd lr=0.01"), when it
    was trained edited and unsaved; or a note given with ``nnbench train --note``."""
    unreadable: str | None = None
    """Why this folder could not be read as a run (then status is "unreadable")."""


_TYPES: dict[str, tuple[type, ...]] = {
    "preset_name": (str,), "status": (str,), "started": (str,), "duration_s": (int, float),
    "epochs_done": (int,), "epochs": (int,), "best_epoch": (int,), "best_value": (int, float),
    "monitor": (str,), "monitor_mode": (str,), "test_metrics": (dict,), "final_logs": (dict,),
    "error": (str,), "early_stopped": (dict,), "params": (int,), "pid": (int,), "host": (str,),
    "versions": (dict,), "note": (str,), "devices": (list,),
}
STATUSES = ("running", "finished", "stopped", "failed", "interrupted")


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write-then-rename, so a reader (or a crash) never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _typed_record(folder: Path, data: Any) -> RunRecord:
    """A RunRecord from a summary's JSON; one with ``unreadable`` set when it isn't one."""
    def unreadable(reason: str) -> RunRecord:
        return RunRecord(run_id=folder.name, path=str(folder), preset_name="", status="unreadable",
                         started="", unreadable=reason)

    if not isinstance(data, dict):
        return unreadable("summary.json is not a JSON object")
    values: dict[str, Any] = {}
    for key, types in _TYPES.items():
        if key not in data or data[key] is None:
            continue
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, types):
            return unreadable(f"summary.json: {key} is {type(value).__name__}, not "
                              f"{' or '.join(t.__name__ for t in types)}")
        values[key] = value
    for key in ("test_metrics", "final_logs"):
        if key in values:
            values[key] = {str(k): v for k, v in values[key].items()
                           if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if values.get("status") not in STATUSES:
        return unreadable(f"summary.json: status {values.get('status')!r} is not one of "
                          f"{', '.join(STATUSES)}")
    values.setdefault("preset_name", "")
    values.setdefault("started", "")
    return RunRecord(run_id=folder.name, path=str(folder), **values)


class RunStore:
    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_runs_dir()

    # --- creating ---------------------------------------------------------------------------

    def create(self, preset: Preset, note: str = "", *, devices: list[str] | None = None) -> Path:
        """A new run folder holding the resolved preset and a 'running' summary.

        ``mkdir`` that fails on an existing folder, then a suffix: two processes creating runs in
        the same second both get one."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunStoreError(f"cannot create the runs folder {self.root}: {exc.strerror}; "
                                "pass --runs-dir or set NNBENCH_RUNS_DIR to a writable folder"
                                ) from None
        stamp = clock.now().astimezone().strftime("%Y%m%d-%H%M%S")  # local time, as people read it
        safe = "".join(c if c.isalnum() and c.isascii() or c in "-_" else "-"
                       for c in preset.name)[:40].strip("-") or "run"
        for n in range(1, 10_000):
            run_dir = self.root / (f"{stamp}-{safe}" if n == 1 else f"{stamp}-{safe}-{n}")
            try:
                run_dir.mkdir()
                break
            except FileExistsError:
                continue
            except OSError as exc:
                raise RunStoreError(f"cannot create a run folder in {self.root}: {exc.strerror}"
                                    ) from None
        else:
            raise RunStoreError(f"cannot find a free run folder name in {self.root}")
        try:
            (run_dir / "preset.toml").write_text(preset.to_toml(), encoding="utf-8")
            record = RunRecord(
                run_id=run_dir.name, path=str(run_dir), preset_name=preset.name, status="running",
                started=clock.now().astimezone(UTC).isoformat(timespec="seconds"), epochs=preset.fit.epochs,
                pid=os.getpid(), host=socket.gethostname(), versions=_versions(), note=note,
                devices=list(devices or []),
            )
            write_json(run_dir / "summary.json", _summary_dict(record))
        except OSError as exc:
            shutil.rmtree(run_dir, ignore_errors=True)
            raise RunStoreError(f"cannot write the run folder {run_dir}: {exc.strerror}") from None
        return run_dir

    # --- reading ----------------------------------------------------------------------------

    def read(self, run_dir: Path) -> RunRecord:
        """The record of one folder, never raising: unreadable folders say why."""
        try:
            data = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            record = _typed_record(run_dir, None)
            record.unreadable = "no summary.json"
            return record
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not valid JSON"
            record = _typed_record(run_dir, None)
            record.unreadable = f"summary.json: {reason}"
            return record
        record = _typed_record(run_dir, data)
        if record.unreadable is None and record.status == "running" and self._died(record):
            record.status = "interrupted"
            # The writer is gone: say so on disk too, so every reader agrees.
            with contextlib.suppress(OSError):
                write_json(run_dir / "summary.json", {**data, "status": "interrupted"})
        return record

    @staticmethod
    def _died(record: RunRecord) -> bool:
        if record.pid is None:
            return True  # no process claims it: nothing will ever finish it
        return record.host in (None, socket.gethostname()) and not pid_alive(record.pid)

    def folders(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        try:
            return [d for d in self.root.iterdir() if d.is_dir() and not d.name.startswith(".")]
        except OSError:
            return []

    def list(self) -> list[RunRecord]:
        """Every run folder, newest first; unreadable ones included, with their reason."""
        records = [self.read(d) for d in self.folders()]
        return sorted(records, key=lambda r: r.run_id, reverse=True)

    def resolve(self, text: str) -> Path:
        """A run folder from a run id, a unique prefix or suffix of one, or a folder path."""
        if not text:
            raise RunStoreError("no run given; pass a run id (`nnbench runs` lists them) or a run "
                                "folder")
        path = Path(text).expanduser()
        if (path / "summary.json").is_file() or (path / "events.jsonl").is_file():
            return path.resolve()
        if (self.root / text).is_dir():
            return self.root / text
        names = sorted(d.name for d in self.folders())
        matches = [n for n in names if n.startswith(text)] or [n for n in names if n.endswith(text)]
        if len(matches) == 1:
            return self.root / matches[0]
        if matches:
            shown = ", ".join(matches[:4]) + (" …" if len(matches) > 4 else "")
            raise RunStoreError(f"'{text}' matches {len(matches)} runs ({shown}); give more of the "
                                "run id")
        raise RunStoreError(f"no run '{text}' in {self.root}; `nnbench runs` lists them")

    def get(self, run_id: str) -> RunRecord:
        record = self.read(self.resolve(run_id))
        if record.unreadable and not (self.root / run_id).is_dir():
            raise RunStoreError(f"no run '{run_id}' in {self.root}; `nnbench runs` lists them")
        return record

    def delete(self, run_id: str) -> None:
        """Remove a run's folder; a run still training in a live process is refused."""
        folder = self.resolve(run_id)
        record = self.read(folder)
        if record.status == "running":
            raise RunStoreError(f"run '{folder.name}' is still training (process {record.pid}); "
                                "stop it first, then delete it")
        shutil.rmtree(folder)

    def history(self, run_id: str) -> builtins.list[dict[str, float]]:
        """The rows of history.csv as floats (``epoch`` is 0-based, as CSVLogger writes it)."""
        path = self.root / run_id / "history.csv"
        if not path.is_file():
            return []
        rows: builtins.list[dict[str, float]] = []
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    rows.append({k: float(v) for k, v in row.items() if k and v not in (None, "")})
        except (ValueError, TypeError, csv.Error, UnicodeDecodeError, OSError):
            pass  # a torn last line from a killed process: keep the epochs read so far
        return rows

    def events(self, run_id: str) -> builtins.list[Event]:
        """Every readable event of a run (a torn or foreign line is skipped)."""
        return read_events(self.root / run_id / "events.jsonl")


def read_events(path: Path) -> list[Event]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out: list[Event] = []
    for line in text.splitlines():
        event = parse_event_line(line)
        if event is not None:
            out.append(event)
    return out


def parse_event_line(line: str) -> Event | None:
    try:
        return event_from_dict(json.loads(line))
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("nnbench", "tensorflow", "tensorflow-cpu", "keras", "numpy"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


def _summary_dict(record: RunRecord) -> dict[str, Any]:
    data = asdict(record)
    data.pop("unreadable")
    return data


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


class RunIndex:
    """The runs folder read incrementally: ``refresh()`` re-reads only the summaries that
    changed since the last call (one ``stat`` per run otherwise), so a folder of 1,000 runs can be
    watched every half second. Meant for one reader thread."""

    LIVENESS_SECONDS = 2.0

    def __init__(self, root: str | Path) -> None:
        self.store = RunStore(root)
        self.seen: dict[str, tuple[int, RunRecord]] = {}
        self.last_liveness = 0.0

    def refresh(self) -> tuple[list[RunRecord], list[str]]:
        """(records new or changed, run ids gone) since the last call."""
        changed: list[RunRecord] = []
        present: set[str] = set()
        now = time.monotonic()
        check_alive = now - self.last_liveness >= self.LIVENESS_SECONDS
        if check_alive:
            self.last_liveness = now
        for folder in self.store.folders():
            present.add(folder.name)
            try:
                mtime = (folder / "summary.json").stat().st_mtime_ns
            except OSError:
                mtime = -1
            known = self.seen.get(folder.name)
            stale = known is None or known[0] != mtime or (
                check_alive and known[1].status == "running")
            if not stale:
                continue
            record = self.store.read(folder)
            if known is not None and known[0] == mtime and known[1] == record:
                continue
            self.seen[folder.name] = (mtime, record)
            changed.append(record)
        removed = [run_id for run_id in self.seen if run_id not in present]
        for run_id in removed:
            del self.seen[run_id]
        return changed, removed
