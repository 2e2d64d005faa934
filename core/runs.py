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

Where each part lives, all importable from here:

    core/run_folder.py    one file at a time: RunRecord from summary.json, events.jsonl's lines,
                          the write-then-rename, whether a run's process lives
    core/run_store.py     the folder as a whole: RunStore (create, read, list, resolve, delete)
    core/run_recorder.py  a run's own writer: RunRecorder, a Trainer listener
    core/run_index.py     RunIndex: the folder re-read incrementally for a view that watches it
"""

from __future__ import annotations

from nnbench.core.run_folder import (
    STATUSES,
    RunRecord,
    parse_event_line,
    pid_alive,
    read_events,
    write_json,
)
from nnbench.core.run_index import RunIndex
from nnbench.core.run_recorder import PROGRESS_SECONDS, RunRecorder
from nnbench.core.run_store import RUNS_DIR_ENV, RunStore, default_runs_dir

__all__ = [
    "PROGRESS_SECONDS", "RUNS_DIR_ENV", "STATUSES", "RunIndex", "RunRecord", "RunRecorder", "RunStore",
    "default_runs_dir", "parse_event_line", "pid_alive", "read_events", "write_json",
]
