"""Figures of size: the Runs tab on a folder of many runs, and the wall of the whole test suite."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.figures.launch import FIRST_FRAME_TEXT, start_app, tab_keys
from bench.figures.model import Config, Figure, median
from bench.workloads import WORKLOADS


def _fake_runs(runs_dir: Path, count: int) -> None:
    """``count`` finished runs of 20 epochs each, written as nnbench writes them (its own event
    classes and RunRecord), without training any."""
    import dataclasses

    from nnbench.core import events as ev
    from nnbench.core.runs import RunRecord

    def only_known(cls: type, values: dict[str, Any]) -> dict[str, Any]:
        known = {f.name for f in dataclasses.fields(cls)}
        return {k: v for k, v in values.items() if k in known}

    epochs = 20
    rows = [ev.SummaryRow("dense", "Dense", "(None, 8)", 520),
            ev.SummaryRow("dense_1", "Dense", "(None, 10)", 90)]
    data = ev.DataInfo("sklearn:digits", 1149, 288, 360, (64,), 10, [str(d) for d in range(10)])
    runs_dir.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        run_id = f"20250101-{i // 60 % 24:02d}{i % 60:02d}00-bench-tiny-{i:04d}"
        run_dir = runs_dir / run_id
        run_dir.mkdir()
        lines = [ev.RunStarted(run_id, str(run_dir), "bench-tiny", epochs, 36,
                               ev.ModelSummary(rows, 610, 610, 0), data, "val_loss")]
        history = ["epoch,accuracy,loss,val_accuracy,val_loss"]
        for e in range(1, epochs + 1):
            logs = {"accuracy": 0.5 + e / 50, "loss": 1.5 / e, "val_accuracy": 0.5 + e / 60,
                    "val_loss": 1.6 / e + (i % 7) / 100}
            lines += [ev.EpochStarted(e, epochs), ev.EpochEnded(e, epochs, logs, 0.001, 0.3)]
            history.append(f"{e - 1},{logs['accuracy']},{logs['loss']},{logs['val_accuracy']},"
                           f"{logs['val_loss']}")
        lines += [ev.Evaluated({"accuracy": 0.9, "loss": 0.3}),
                  ev.RunFinished("finished", str(run_dir), epochs)]
        (run_dir / "events.jsonl").write_text(
            "".join(json.dumps(ev.event_to_dict(x)) + "\n" for x in lines), encoding="utf-8")
        (run_dir / "history.csv").write_text("\n".join(history) + "\n", encoding="utf-8")
        (run_dir / "preset.toml").write_text(WORKLOADS["tiny"].preset_toml(epochs), encoding="utf-8")
        record = RunRecord(**only_known(RunRecord, {
            "run_id": run_id, "path": str(run_dir), "preset_name": "bench-tiny",
            "status": "finished", "started": "2025-01-01T00:00:00+00:00", "duration_s": 7.0,
            "epochs_done": epochs, "best_epoch": epochs, "best_value": 0.08, "monitor": "val_loss",
            "test_metrics": {"accuracy": 0.9, "loss": 0.3},
            "final_logs": {"loss": 0.075, "val_loss": 0.08}, "params": 610, "pid": 1}))
        (run_dir / "summary.json").write_text(json.dumps(dataclasses.asdict(record)),
                                              encoding="utf-8")


def fig_runs_list(config: Config, scratch: Path, log: Callable[[str], None]) -> Figure:
    fig = Figure("runs_list", f"runs list with {config.runs_on_disk:,} runs on disk")
    runs_dir = scratch / "many" / "runs"
    t0 = time.monotonic()
    _fake_runs(runs_dir, config.runs_on_disk)
    fig.raw["made_runs_s"] = time.monotonic() - t0
    key = tab_keys(config).get("runs")
    if not key:
        fig.status = "failed"
        fig.notes.append("no key for the Runs tab")
        return fig
    drawn = f"Runs ({config.runs_on_disk})"
    start_s, after_key_s = [], []
    for _ in range(config.runs_list_repeats):
        with start_app(None, runs_dir) as app:
            if app.wait_for(lambda s: all(w in s for w in FIRST_FRAME_TEXT), 120) is None:
                raise RuntimeError("no first frame:\n" + app.text())
            pressed = app.press(key)
            t = app.wait_for(lambda s: drawn in s, 120)
            if t is None:
                raise RuntimeError(f"the Runs tab never said {drawn!r}:\n{app.text()}")
            start_s.append(t - app.started)
            after_key_s.append(t - pressed)
    fig.add("start_to_list_s", "s", start_s, "process start .. the table's title counts every run")
    fig.add("key_to_list_s", "s", after_key_s, "the Runs tab key (pressed at the first frame) .. the same")
    fig.headline["start_to_list_s"] = fig.measures["start_to_list_s"].median
    log(f"  start to list {fig.headline['start_to_list_s']:.2f}s (key to list "
        f"{median(after_key_s):.2f}s)")
    return fig


def fig_test_suite(config: Config, scratch: Path, log: Callable[[str], None],
                   suite_root: Path) -> Figure:
    fig = Figure("test_suite", f"`pytest -q` wall in {suite_root}")
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=suite_root, capture_output=True, text=True)
    wall = time.monotonic() - t0
    tail = [line for line in proc.stdout.splitlines() if line.strip()][-1:] or ["(no output)"]
    fig.add("wall_s", "s", [wall], "pytest -q, start to exit")
    fig.headline["wall_s"] = wall
    fig.raw["summary"] = tail[0]
    fig.raw["exit_code"] = proc.returncode
    if proc.returncode != 0:
        fig.notes.append(f"the suite did not pass (exit {proc.returncode}): {tail[0]}")
    log(f"  {wall:.0f}s: {tail[0]}")
    return fig
