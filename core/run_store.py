"""The runs folder as a whole: where it is, making a new run's folder, reading one as a RunRecord
(and saying a dead run is interrupted), listing, finding and deleting runs (core/runs.py describes
a run's folder)."""

from __future__ import annotations

import builtins
import contextlib
import csv
import json
import os
import platform
import shutil
import socket
from datetime import UTC
from pathlib import Path

from nnbench.core import clock
from nnbench.core.errors import RunStoreError
from nnbench.core.events import Event
from nnbench.core.preset import Preset
from nnbench.core.run_folder import (
    RunRecord,
    pid_alive,
    read_events,
    record_from_summary,
    summary_dict,
    write_json,
)

RUNS_DIR_ENV = "NNBENCH_RUNS_DIR"


def default_runs_dir() -> Path:
    """$NNBENCH_RUNS_DIR, else $XDG_DATA_HOME/nnbench/runs, else ~/.local/share/nnbench/runs."""
    if os.environ.get(RUNS_DIR_ENV):
        return Path(os.environ[RUNS_DIR_ENV]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "nnbench" / "runs"


class RunStore:
    """The runs folder at ``root``: makes a run's folder; reads, lists, finds and deletes runs."""

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
            write_json(run_dir / "summary.json", summary_dict(record))
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
            record = record_from_summary(run_dir, None)
            record.unreadable = "no summary.json"
            return record
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not valid JSON"
            record = record_from_summary(run_dir, None)
            record.unreadable = f"summary.json: {reason}"
            return record
        record = record_from_summary(run_dir, data)
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


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("nnbench", "tensorflow", "tensorflow-cpu", "keras", "numpy"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out
