"""One run folder's files, one at a time: summary.json as a typed RunRecord, events.jsonl's
lines, the write-then-rename every JSON file of the folder gets, and whether a run's writer lives.

core/runs.py describes the folder; core/run_store.py reads and lists whole folders with these.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nnbench.core.events import Event, event_from_dict


@dataclass
class RunRecord:
    """What a run's summary.json says, typed (or, for a folder that can't be read as a run, why)."""

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
    """Whether process ``pid`` lives (one this user can't signal counts as alive)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def record_from_summary(folder: Path, data: Any) -> RunRecord:
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


def summary_dict(record: RunRecord) -> dict[str, Any]:
    """``record`` as summary.json holds it."""
    data = asdict(record)
    data.pop("unreadable")
    return data


def read_events(path: Path) -> list[Event]:
    """Every readable event of an events.jsonl (a torn or foreign line is skipped)."""
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
    """The event of one events.jsonl line, or None when the line is torn or not an event."""
    try:
        return event_from_dict(json.loads(line))
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
