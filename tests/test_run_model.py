"""The run model: Keras's best-epoch rule (core/monitor.py), the RunState reducer replayed from what a
real Trainer wrote, the one event renderer, torn event files, and a run store that tolerates any
folder and creates runs atomically from many processes at once."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_preset

from nnbench.core import events as ev
from nnbench.core.describe import describe
from nnbench.core.follow import RunFollower
from nnbench.core.monitor import METRIC_DIRECTIONS, Monitor, monitor_mode
from nnbench.core.run_state import RunState, replay
from nnbench.core.runs import RunStore, read_events

# --- the best-epoch rule against Keras's own EarlyStopping ----------------------------------------


def keras_best(values: list[float], monitor: str, mode: str = "auto", min_delta: float = 0.0,
               model: Any = None) -> tuple[int, float]:
    """(1-based epoch, value) Keras's EarlyStopping keeps as best after seeing ``values``."""
    import keras

    es = keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, min_delta=min_delta,
                                       patience=1000)
    if model is not None:
        es.set_model(model)
    es.on_train_begin()
    for epoch, value in enumerate(values):
        es.on_epoch_end(epoch, {monitor: value})
    return es.best_epoch + 1, float(es.best)


def state_best(values: list[float], monitor: Monitor) -> tuple[int, float] | None:
    """RunState's best when no EarlyStopping reports one (its own use of the rule)."""
    state = RunState(monitor=monitor)
    for epoch, value in enumerate(values, start=1):
        state.apply(ev.EpochEnded(epoch, len(values), {monitor.name: value}, None, 0.1))
    return state.best


CASES = [
    # the case: summary.json said 5 (last of a tie), the Train view 3
    ("val_accuracy", "max", 0.0, [0.5, 0.7, 0.9, 0.8, 0.9], 3),
    ("val_loss", "auto", 0.0, [0.5, 0.4, 0.4, 0.3, 0.3], 4),  # ties keep the earliest
    ("val_loss", "min", 0.05, [0.5, 0.47, 0.44, 0.40, 0.39], 3),  # 0.47, 0.40, 0.39 gain < 0.05
    ("val_accuracy", "max", 0.1, [0.5, 0.55, 0.65, 0.7, 0.76], 5),
    ("val_accuracy", "max", 0.0, [0.9, 0.9, 0.9], 1),
    ("loss", "max", 0.0, [0.3, 0.2, 0.5, 0.1], 3),  # an explicit mode wins over the name
    ("val_accuracy", "min", 0.0, [0.6, 0.5, 0.7], 2),
]


@pytest.mark.parametrize(("monitor", "mode", "min_delta", "values", "expected"), CASES)
def test_best_epoch_is_the_one_keras_early_stopping_keeps(
        monitor: str, mode: str, min_delta: float, values: list[float], expected: int) -> None:
    keras_epoch, keras_value = keras_best(values, monitor, mode, min_delta)
    assert keras_epoch == expected  # the case says what Keras does, so the table can't drift
    rule = Monitor(monitor, mode, min_delta)
    assert rule.best_of(enumerate(values, start=1)) == (keras_epoch, pytest.approx(keras_value))
    assert state_best(values, rule) == (keras_epoch, pytest.approx(keras_value))


def test_negative_min_delta_counts_like_keras_which_takes_its_absolute_value() -> None:
    values = [0.5, 0.47, 0.44, 0.40, 0.39]
    assert Monitor("val_loss", "min", -0.05).best_of(enumerate(values, 1))[0] == \
        keras_best(values, "val_loss", "min", -0.05)[0]


# --- METRIC_DIRECTIONS against the Keras metric objects nnbench compiles ---------------------------


def compiled_metrics(task: str, names: list[str], units: int, loss: str) -> dict[str, Any]:
    """name -> the built Keras metric object a model compiled with make_metric(name) reports."""
    import numpy as np

    from nnbench.core.keras_env import import_keras
    from nnbench.core.metrics import make_metric

    keras = import_keras()
    inputs = keras.Input((4,))
    activation = "sigmoid" if task == "binary" else None
    model = keras.Model(inputs, keras.layers.Dense(units, activation=activation)(inputs))
    model.compile(optimizer="sgd", loss=loss, metrics=[make_metric(n, task) for n in names])
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    y = (np.arange(8) % 2).astype("float32").reshape(-1, 1)
    model.evaluate(x, y, verbose=0)  # builds the compile metrics
    found: dict[str, Any] = {}
    for m in model.metrics:  # as keras/src/callbacks/monitor_callback.py walks them
        for inner in getattr(m, "metrics", [m]):
            found[inner.name] = inner
    found["__model__"] = model
    return found


@pytest.fixture(scope="module")
def keras_metrics() -> dict[str, Any]:
    binary = compiled_metrics("binary", ["accuracy", "precision", "recall", "auc", "f1"], 1,
                              "binary_crossentropy")
    regression = compiled_metrics("regression", ["mae", "mse", "rmse", "r2", "mase"], 1, "mse")
    return {"binary": binary, "regression": regression}


MASE_UNDIRECTED = pytest.mark.xfail(strict=True, reason=(
    "core/metrics.py's MeanAbsoluteScaledError sets no _direction: EarlyStopping(monitor="
    "'val_mase') in auto mode raises ValueError mid-run, after the run folder exists"))
DIRECTED = ["accuracy", "precision", "recall", "auc", "f1", "mae", "mse", "rmse", "r2",
            pytest.param("mase", marks=MASE_UNDIRECTED)]


@pytest.mark.parametrize("name", DIRECTED)
def test_metric_directions_are_the_directions_keras_metrics_report(
        keras_metrics: dict[str, Any], name: str) -> None:
    built = {**keras_metrics["binary"], **keras_metrics["regression"]}
    metric = built[name]
    direction = getattr(metric, "_direction", None)
    assert direction is not None, (
        f"Keras can't tell which way {name} ({type(metric).__name__}) is better: EarlyStopping "
        f"with monitor='val_{name}' and mode='auto' raises ValueError after epoch 1")
    assert METRIC_DIRECTIONS[name] == ("max" if direction == "up" else "min")
    assert monitor_mode(f"val_{name}") == METRIC_DIRECTIONS[name]


@pytest.mark.parametrize(("task", "name"), [("binary", "accuracy"), ("binary", "auc"),
                                            ("regression", "r2"), ("regression", "mae")])
def test_auto_mode_matches_keras_asking_the_compiled_model(
        keras_metrics: dict[str, Any], task: str, name: str) -> None:
    values = [0.5, 0.7, 0.6, 0.7, 0.4]
    model = keras_metrics[task]["__model__"]
    keras_epoch, _ = keras_best(values, f"val_{name}", "auto", model=model)
    assert Monitor(f"val_{name}").best_of(enumerate(values, 1))[0] == keras_epoch


# --- one real run, live and replayed ----------------------------------------------------------------


@dataclasses.dataclass
class RealRun:
    run_dir: Path
    live: RunState
    final: ev.RunFinished
    events: list[ev.Event]


def train(runs_dir: Path, **changes: Any) -> RealRun:
    from nnbench.core.training import Trainer

    live = RunState()
    seen: list[ev.Event] = []
    final = Trainer(tiny_preset(**changes), runs_dir,
                    listeners=[live.apply, seen.append]).run()
    assert final.status == "finished", final.error
    return RealRun(Path(final.run_dir), live, final, seen)


@pytest.fixture(scope="module")
def early_run(tmp_path_factory: pytest.TempPathFactory) -> RealRun:
    # min_delta so large nothing after epoch 1 counts as better: stops at epoch 2, restores 1.
    return train(tmp_path_factory.mktemp("early") / "runs", fit={"epochs": 6},
                 callbacks={"EarlyStopping": {"monitor": "val_loss", "patience": 1,
                                              "min_delta": 100.0, "restore_best_weights": True}})


@pytest.fixture(scope="module")
def max_run(tmp_path_factory: pytest.TempPathFactory) -> RealRun:
    # val_accuracy on 24 validation rows: ties are likely, and mode="max" decides the direction.
    return train(tmp_path_factory.mktemp("max") / "runs", fit={"epochs": 6},
                 callbacks={"EarlyStopping": {"monitor": "val_accuracy", "mode": "max",
                                              "patience": 3, "min_delta": 0.01}})


COMPARED = ("run_id", "run_dir", "preset_name", "status", "epochs", "epoch", "monitor", "series",
            "epoch_logs", "best", "early_stopped", "restored_epoch", "patience", "log",
            "test_metrics", "evaluated", "finished")


def assert_same_state(replayed: RunState, live: RunState) -> None:
    for name in COMPARED:
        assert getattr(replayed, name) == getattr(live, name), name


def test_replay_of_events_jsonl_equals_the_live_state_with_early_stop_and_restore(
        early_run: RealRun) -> None:
    replayed = replay(read_events(early_run.run_dir / "events.jsonl"))
    assert_same_state(replayed, early_run.live)
    live = early_run.live
    assert live.status == "finished" and live.epoch == 2
    assert [e for e, _ in live.series["val_loss"]] == [1, 2]
    assert live.early_stopped is not None and live.early_stopped.stopped_epoch == 2
    assert live.restored_epoch == 1 and live.best is not None and live.best[0] == 1
    assert live.best[1] == live.series["val_loss"][0][1]
    assert set(live.test_metrics) == {"loss", "accuracy"}
    summary = json.loads((early_run.run_dir / "summary.json").read_text())
    assert summary["best_epoch"] == 1 and summary["status"] == "finished"
    assert summary["test_metrics"] == pytest.approx(live.test_metrics)
    # history.csv (Keras's CSVLogger) holds the same numbers the events carry
    history = RunStore(early_run.run_dir.parent).history(early_run.run_dir.name)
    assert [row["val_loss"] for row in history] == pytest.approx(replayed.values("val_loss"))


def test_best_epoch_of_a_real_max_run_is_keras_early_stoppings_everywhere(max_run: RealRun) -> None:
    live = max_run.live
    values = live.values("val_accuracy")
    keras_epoch, keras_value = keras_best(values, "val_accuracy", "max", 0.01)
    assert live.best == (keras_epoch, pytest.approx(keras_value))
    assert Monitor("val_accuracy", "max", 0.01).best_of(live.series["val_accuracy"])[0] == keras_epoch
    summary = json.loads((max_run.run_dir / "summary.json").read_text())
    assert summary["best_epoch"] == keras_epoch and summary["monitor"] == "val_accuracy"
    assert summary["best_value"] == pytest.approx(keras_value)
    replayed = replay(read_events(max_run.run_dir / "events.jsonl"))
    assert_same_state(replayed, live)
    # The patience line says what EarlyStopping itself held after each epoch.
    assert live.patience is not None and live.patience.best_epoch == keras_epoch


def test_describe_tells_a_real_run_in_order(early_run: RealRun) -> None:
    lines = [line for event in early_run.events for line in describe(event)]
    texts = [line.text for line in lines]
    run_id = early_run.run_dir.name
    assert texts[0] == f"run {run_id} started: tiny-iris, 6 epochs"
    assert lines[0].kind == "start"
    assert texts[1] == "model: 3 layers, 67 parameters"  # Input, Dense, Dense
    assert texts[2].startswith("data: sklearn:iris: ") and "classes" in texts[2]
    epochs = [line for line in lines if line.kind == "epoch"]
    assert [line.text.split()[1] for line in epochs] == ["1/6", "2/6"]
    assert "val_loss" in epochs[0].text and "patience 0/1" in epochs[0].text
    assert "patience 1/1" in epochs[1].text
    val_loss_1 = early_run.live.series["val_loss"][0][1]
    assert (f"early stop at epoch 2; best epoch 1 val_loss {val_loss_1:.4f}; best weights "
            "restored") in texts
    assert texts[-2].startswith("test: ") and "accuracy" in texts[-2]
    assert texts[-1] == "finished after 2 epochs"
    # Batch progress and epoch starts are not log lines.
    assert describe(ev.BatchProgress(1, 6, 3, 6, {"loss": 1.0}, 100.0, 1.0)) == []
    assert describe(ev.EpochStarted(1, 6)) == []
    assert early_run.live.log == lines  # the reducer's log is describe()'s lines


def test_describe_makes_outside_text_harmless(early_run: RealRun) -> None:
    started = next(e for e in early_run.events if isinstance(e, ev.RunStarted))
    hostile = dataclasses.replace(started, preset_name="\x1b]0;pwned\x07x", run_id="r\x1b[2Jun")
    for line in describe(hostile):
        assert "\x1b" not in line.text and "\x07" not in line.text
    failed = ev.RunFinished("failed", "/x", 1, "bad\x1b[31m column\nsecond line", "Data error")
    (line,) = describe(failed)
    assert line.kind == "error" and "\x1b" not in line.text
    assert line.text.startswith("failed after 1 epoch: Data error: bad")
    assert describe(ev.RunFinished("stopped", "/x", 3))[0].text == "stopped after 3 epochs"
    assert describe(ev.ControlRequested("signal", "signal SIGTERM"))[0].text == (
        "signal received: stopping after the current batch")


def test_a_torn_last_line_is_skipped_and_followed_once_whole(early_run: RealRun,
                                                              tmp_path: Path) -> None:
    lines = (early_run.run_dir / "events.jsonl").read_text().splitlines(keepends=True)
    folder = tmp_path / "torn"
    folder.mkdir()
    events_path = folder / "events.jsonl"
    last = lines[-1]
    events_path.write_text("".join(lines[:-1]) + last[: len(last) // 2])
    complete = read_events(early_run.run_dir / "events.jsonl")
    torn = read_events(events_path)
    assert torn == complete[:-1]  # the half line is skipped, nothing else is lost
    assert replay(torn).finished is None and replay(torn).best == early_run.live.best

    follower = RunFollower(folder, pid=os.getpid())
    assert follower.poll() == complete[:-1]
    with events_path.open("a") as handle:
        handle.write(last[len(last) // 2:])  # the writer finishes its line
    assert follower.poll() == complete[-1:]
    assert follower.finished
    # Garbage lines (another tool's, a crash mid-line) are skipped too.
    events_path.write_text("not json\n{\"event\": \"Nope\"}\n[1, 2]\n" + "".join(lines))
    assert read_events(events_path) == complete


# --- a runs folder seeded with broken folders -------------------------------------------------------


def test_run_store_lists_every_folder_with_broken_ones_unreadable_and_good_ones_intact(
        early_run: RealRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nnbench.core.cli import main

    root = tmp_path / "runs"
    root.mkdir()
    good = root / early_run.run_dir.name
    shutil.copytree(early_run.run_dir, good)
    subprocess.run(["cp", "-r", str(good), str(root / f"{good.name}.bak")], check=True)
    summary = json.loads((good / "summary.json").read_text())

    def seed(name: str, text: str | None) -> Path:
        folder = root / name
        shutil.copytree(good, folder)
        if text is None:
            (folder / "summary.json").unlink()
        else:
            (folder / "summary.json").write_text(text)
        return folder

    seed("int-run-id", json.dumps({**summary, "run_id": 5}))
    seed("list-test-metrics", json.dumps({**summary, "test_metrics": [0.1, 0.2]}))
    seed("string-pid", json.dumps({**summary, "pid": "1234"}))
    seed("not-json", '{"status": "finished", ')
    seed("no-summary", None)
    seed("markup-started", json.dumps({**summary, "started": "[/oops]"}))
    seed("a-list", "[1, 2, 3]")
    before = {p: p.read_bytes() for p in root.rglob("summary.json")}

    records = {r.run_id: r for r in RunStore(root).list()}
    assert set(records) == {d.name for d in root.iterdir()}  # nothing hidden, duplicates by folder
    for name in (good.name, f"{good.name}.bak", "int-run-id", "markup-started"):
        record = records[name]
        assert record.unreadable is None and record.status == "finished", name
        assert record.best_epoch == 1 and record.test_metrics == pytest.approx(
            early_run.live.test_metrics)
    reasons = {name: records[name].unreadable for name in
               ("list-test-metrics", "string-pid", "not-json", "no-summary", "a-list")}
    assert all(records[name].status == "unreadable" for name in reasons)
    assert "test_metrics" in reasons["list-test-metrics"]
    assert "pid" in reasons["string-pid"]
    assert "JSON" in reasons["not-json"]
    assert "no summary.json" in reasons["no-summary"]
    assert "not a JSON object" in reasons["a-list"]
    assert {p: p.read_bytes() for p in root.rglob("summary.json")} == before  # nothing rewritten

    assert main(["runs", "--runs-dir", str(root)]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    for name in records:
        assert name in out
    assert out.count("unreadable") == 5
    assert RunStore(root).resolve(f"{good.name}.bak") == root / f"{good.name}.bak"


# --- concurrent run creation ------------------------------------------------------------------------


def _create_runs(root: str, barrier: Any, queue: Any, count: int) -> None:
    from conftest import TINY

    from nnbench.core.preset import preset_from_dict
    from nnbench.core.runs import RunStore

    store, preset = RunStore(root), preset_from_dict(TINY)
    barrier.wait()
    made, errors = [], []
    for _ in range(count):
        try:
            made.append(store.create(preset).name)
        except Exception as exc:  # the test counts them
            errors.append(f"{type(exc).__name__}: {exc}")
    queue.put((made, errors))


def test_twelve_processes_creating_runs_at_once_all_get_their_own_folder(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")  # no fork of a process that may hold TF threads
    processes, per_process = 12, 20
    barrier, queue = ctx.Barrier(processes), ctx.Queue()
    workers = [ctx.Process(target=_create_runs, args=(str(tmp_path / "runs"), barrier, queue,
                                                       per_process)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(30)
    errors = [e for _, errs in results for e in errs]
    made = [name for names, _ in results for name in names]
    assert errors == []
    assert len(made) == len(set(made)) == processes * per_process
    records = RunStore(tmp_path / "runs").list()
    assert len(records) == processes * per_process
    assert all(r.unreadable is None and r.preset_name == "tiny-iris" for r in records)
    assert not list((tmp_path / "runs").rglob("*.tmp"))  # no stray temp files
