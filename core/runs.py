"""The run store: one folder per run, the truth on disk.

    <runs>/<run_id>/preset.toml     the resolved preset, replayable with `nnbench train PATH`
                    history.csv     keras.callbacks.CSVLogger's columns, flushed every epoch
                    events.jsonl    every event but batch progress, one JSON object a line
                    summary.json    status, best epoch, test metrics, duration, versions
                    model.keras     the final model; best.keras the best checkpoint

A run whose process died while its summary still says "running" is reported as interrupted.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import platform
import shutil
import socket
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nnbench.core.errors import RunStoreError
from nnbench.core.events import (
    BatchProgress,
    EarlyStopped,
    EpochEnded,
    Evaluated,
    RunFinished,
    RunStarted,
    event_from_dict,
    event_to_dict,
)
from nnbench.core.preset import Preset

RUNS_DIR_ENV = "NNBENCH_RUNS_DIR"


def default_runs_dir() -> Path:
    """$NNBENCH_RUNS_DIR, else $XDG_DATA_HOME/nnbench/runs, else ~/.local/share/nnbench/runs."""
    if os.environ.get(RUNS_DIR_ENV):
        return Path(os.environ[RUNS_DIR_ENV]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "nnbench" / "runs"


@dataclass
class RunRecord:
    run_id: str
    path: str
    preset_name: str
    status: str
    started: str
    duration_s: float | None = None
    epochs_done: int = 0
    best_epoch: int | None = None
    best_value: float | None = None
    monitor: str | None = None
    test_metrics: dict[str, float] = field(default_factory=dict)
    final_logs: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    early_stopped: dict[str, Any] | None = None
    """EarlyStopped's fields (stopped_epoch, best_epoch, ...) when early stopping fired."""
    params: int | None = None
    pid: int | None = None
    host: str | None = None
    versions: dict[str, str] = field(default_factory=dict)


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    # Write-then-rename, so a reader (or a crash) never sees half a summary.
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunStore:
    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_runs_dir()

    def create(self, preset: Preset) -> Path:
        """A new run folder holding the resolved preset and a 'running' summary."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunStoreError(f"cannot create the runs folder {self.root}: {exc.strerror}; "
                                "pass --runs-dir or set NNBENCH_RUNS_DIR to a writable folder"
                                ) from None
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in preset.name)[:40] or "run"
        run_dir = self.root / f"{stamp}-{safe}"
        n = 1
        while run_dir.exists():
            n += 1
            run_dir = self.root / f"{stamp}-{safe}-{n}"
        run_dir.mkdir()
        (run_dir / "preset.toml").write_text(preset.to_toml(), encoding="utf-8")
        record = RunRecord(
            run_id=run_dir.name, path=str(run_dir), preset_name=preset.name, status="running",
            started=datetime.now(UTC).isoformat(timespec="seconds"),
            pid=os.getpid(), host=socket.gethostname(), versions=_versions(),
        )
        _write_json(run_dir / "summary.json", asdict(record))
        return run_dir

    def _read(self, run_dir: Path) -> RunRecord | None:
        try:
            data = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        known = {f for f in RunRecord.__dataclass_fields__}
        try:
            record = RunRecord(**{k: v for k, v in data.items() if k in known})
        except TypeError:  # a summary missing required fields: skip it, don't break the listing
            return None
        if (record.status == "running" and record.host == socket.gethostname()
                and not _pid_alive(record.pid)):
            record.status = "interrupted"
        return record

    def list(self) -> list[RunRecord]:
        """Every readable run, newest first."""
        if not self.root.is_dir():
            return []
        records = [r for d in self.root.iterdir() if d.is_dir() and (r := self._read(d))]
        return sorted(records, key=lambda r: r.run_id, reverse=True)

    def get(self, run_id: str) -> RunRecord:
        record = self._read(self.root / run_id)
        if record is None:
            raise RunStoreError(f"no run '{run_id}' in {self.root}; `nnbench runs` lists them")
        return record

    def delete(self, run_id: str) -> None:
        """Remove a run's folder; a run still training in a live process is refused."""
        record = self.get(run_id)
        if record.status == "running":
            raise RunStoreError(f"run '{run_id}' is still training (process {record.pid}); stop it "
                                "first, then delete it")
        shutil.rmtree(self.root / run_id)

    def history(self, run_id: str) -> list[dict[str, float]]:
        """The rows of history.csv as floats (``epoch`` is 0-based, as CSVLogger writes it)."""
        path = self.root / run_id / "history.csv"
        if not path.is_file():
            return []
        rows: list[dict[str, float]] = []
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    rows.append({k: float(v) for k, v in row.items() if k and v not in (None, "")})
        except (ValueError, TypeError, csv.Error, UnicodeDecodeError, OSError):
            pass  # a torn last line from a killed process: keep the epochs read so far
        return rows

    def events(self, run_id: str) -> list[Any]:
        path = self.root / run_id / "events.jsonl"
        if not path.is_file():
            return []
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(event_from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                continue
        return out


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("nnbench", "tensorflow", "tensorflow-cpu", "keras", "numpy"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


class RunRecorder:
    """A listener that keeps events.jsonl and summary.json current, flushed every epoch."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.summary_path = run_dir / "summary.json"
        self.summary = json.loads(self.summary_path.read_text(encoding="utf-8"))
        self.events = (run_dir / "events.jsonl").open("a", encoding="utf-8")
        self.started = time.monotonic()

    def __call__(self, event: Any) -> None:
        if isinstance(event, BatchProgress):
            return
        self.events.write(json.dumps(event_to_dict(event), default=str) + "\n")
        self.events.flush()
        s = self.summary
        if isinstance(event, RunStarted):
            s["monitor"] = event.monitor
            s["params"] = event.summary.total
        elif isinstance(event, EpochEnded):
            s["epochs_done"] = event.epoch
            s["final_logs"] = {k: _finite(v) for k, v in event.logs.items()}
            monitor = s.get("monitor") or ("val_loss" if "val_loss" in event.logs else "loss")
            value = event.logs.get(monitor)
            if value is not None and math.isfinite(value):
                better = (max if _higher_is_better(monitor) else min)
                if s.get("best_value") is None or better(value, s["best_value"]) == value:
                    s["best_value"], s["best_epoch"], s["monitor"] = value, event.epoch, monitor
        elif isinstance(event, EarlyStopped):
            s["early_stopped"] = asdict(event)
            if event.best_epoch is not None:
                s["best_epoch"], s["best_value"] = event.best_epoch, _finite(event.best_value)
        elif isinstance(event, Evaluated):
            s["test_metrics"] = {k: _finite(v) for k, v in event.metrics.items()}
        elif isinstance(event, RunFinished):
            s["status"] = event.status
            s["error"] = event.error
            self.events.close()
        else:
            return
        s["duration_s"] = round(time.monotonic() - self.started, 3)
        _write_json(self.summary_path, s)


def _higher_is_better(monitor: str) -> bool:
    name = monitor.removeprefix("val_")
    return name in ("accuracy", "precision", "recall", "auc", "f1", "r2")
