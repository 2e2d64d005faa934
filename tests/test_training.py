"""The trainer on real Keras and tiny data: events, early stopping, controls, the run store."""

from __future__ import annotations

import csv
import json
import math
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import tiny_preset

from nnbench.core import events as ev
from nnbench.core.errors import PresetError
from nnbench.core.runs import RunStore
from nnbench.core.training import TrainControls, Trainer


def train(preset, runs_dir: Path, controls: TrainControls | None = None, on_event=None):
    seen: list = []

    def listener(event):
        seen.append(event)
        if on_event:
            on_event(event)

    final = Trainer(preset, runs_dir, listeners=[listener], controls=controls).run()
    return final, seen


def of(seen, kind):
    return [e for e in seen if isinstance(e, kind)]


def test_a_run_emits_events_in_order_and_lands_on_disk(runs_dir: Path) -> None:
    final, seen = train(tiny_preset(), runs_dir)
    assert final.status == "finished", final.error
    assert isinstance(seen[0], ev.RunStarted) and isinstance(seen[-1], ev.RunFinished)
    assert [e.epoch for e in of(seen, ev.EpochEnded)] == [1, 2, 3]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(of(seen, ev.EpochEnded)[0].logs)
    assert of(seen, ev.Evaluated)[0].metrics.keys() >= {"loss", "accuracy"}
    started = seen[0]
    assert started.summary.total == 4 * 8 + 8 + 8 * 3 + 3
    assert (started.data.train_samples, started.data.val_samples, started.data.test_samples) == (
        96, 24, 30)
    run = Path(final.run_dir)
    for name in ("preset.toml", "history.csv", "events.jsonl", "summary.json", "model.keras"):
        assert (run / name).is_file(), name
    with (run / "history.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]  # CSVLogger's own 0-based column
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["epochs_done"] == 3
    assert summary["test_metrics"]["accuracy"] == pytest.approx(of(seen, ev.Evaluated)[0].metrics["accuracy"])
    assert "tensorflow" in " ".join(summary["versions"]) or "keras" in summary["versions"]
    records = RunStore(runs_dir).list()
    assert [r.status for r in records] == ["finished"]
    assert len(RunStore(runs_dir).history(records[0].run_id)) == 3


def test_batch_progress_is_throttled_but_ends_each_epoch(runs_dir: Path) -> None:
    preset = tiny_preset(fit={"batch_size": 1, "epochs": 2})  # 96 batches an epoch
    final, seen = train(preset, runs_dir)
    progress = of(seen, ev.BatchProgress)
    assert final.status == "finished"
    per_epoch = [p for p in progress if p.epoch == 1]
    assert per_epoch[-1].batch == per_epoch[-1].steps == 96
    assert len(per_epoch) < 96  # throttled to ~10 a second
    assert all(p.samples_per_second > 0 for p in progress)


def test_same_seed_gives_the_same_history(runs_dir: Path) -> None:
    preset = tiny_preset(model={"layers": [
        {"type": "Input", "shape": [4]},
        {"type": "Dense", "units": 8, "activation": "relu"},
        {"type": "Dropout", "rate": 0.3},
        {"type": "Dense", "units": 3, "activation": "softmax"},
    ]})
    first = [e.logs for e in of(train(preset, runs_dir)[1], ev.EpochEnded)]
    second = [e.logs for e in of(train(preset, runs_dir)[1], ev.EpochEnded)]
    other = [e.logs for e in of(train(tiny_preset(fit={"seed": 8}), runs_dir)[1], ev.EpochEnded)]
    assert first == second
    assert first != other


def test_early_stopping_reports_patience_and_the_stop(runs_dir: Path) -> None:
    # min_delta so large that nothing after epoch 1 counts as better: stops at epoch 1 + patience.
    preset = tiny_preset(fit={"epochs": 10}, callbacks={"EarlyStopping": {
        "monitor": "val_loss", "patience": 2, "min_delta": 100.0, "restore_best_weights": True}})
    final, seen = train(preset, runs_dir)
    epochs = of(seen, ev.EpochEnded)
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert [e.early_stopping.wait for e in epochs] == [0, 1, 2]
    assert all(e.early_stopping.best_epoch == 1 for e in epochs)
    stopped = of(seen, ev.EarlyStopped)
    assert len(stopped) == 1
    assert (stopped[0].stopped_epoch, stopped[0].best_epoch, stopped[0].restored_weights) == (3, 1, True)
    assert stopped[0].best_value == pytest.approx(epochs[0].logs["val_loss"])
    assert seen.index(stopped[0]) > seen.index(epochs[-1])
    summary = json.loads((Path(final.run_dir) / "summary.json").read_text())
    assert summary["best_epoch"] == 1 and summary["status"] == "finished"


def test_checkpoint_and_learning_rate_events(runs_dir: Path) -> None:
    preset = tiny_preset(fit={"epochs": 3}, callbacks={
        "ModelCheckpoint": {"monitor": "val_loss"},
        "ReduceLROnPlateau": {"monitor": "val_loss", "factor": 0.5, "patience": 0,
                              "min_delta": 100.0},
    })
    final, seen = train(preset, runs_dir)
    assert final.status == "finished", final.error
    saved = of(seen, ev.CheckpointSaved)
    assert saved and saved[0].epoch == 1
    assert (Path(final.run_dir) / "best.keras").is_file()
    changes = of(seen, ev.LearningRateChanged)
    assert changes and changes[0].new == pytest.approx(changes[0].old * 0.5)
    assert of(seen, ev.EpochEnded)[-1].learning_rate == pytest.approx(changes[-1].new)


def test_stop_now_leaves_a_stopped_run_with_finished_epochs(runs_dir: Path) -> None:
    controls = TrainControls()

    def stop_after_first(event):
        if isinstance(event, ev.EpochEnded):
            controls.stop.set()

    final, seen = train(tiny_preset(fit={"epochs": 50}), runs_dir, controls, stop_after_first)
    assert final.status == "stopped"
    assert final.epochs_done == 1
    assert not of(seen, ev.Evaluated)
    record = RunStore(runs_dir).list()[0]
    assert record.status == "stopped"
    assert len(RunStore(runs_dir).history(record.run_id)) == 1
    assert (Path(final.run_dir) / "model.keras").is_file()


def test_stop_after_epoch_finishes_the_epoch_and_evaluates(runs_dir: Path) -> None:
    controls = TrainControls()

    def on_batch(event):
        if isinstance(event, ev.EpochStarted) and event.epoch == 2:
            controls.stop_after_epoch.set()

    final, seen = train(tiny_preset(fit={"epochs": 50}), runs_dir, controls, on_batch)
    assert final.status == "stopped" and final.epochs_done == 2
    assert of(seen, ev.Evaluated)


def test_pause_holds_training_until_resumed(runs_dir: Path) -> None:
    controls = TrainControls()

    def pause_at_start(event):  # pause once training really starts, resume half a second later
        if isinstance(event, ev.EpochStarted) and event.epoch == 1:
            controls.pause.set()
            threading.Timer(0.5, controls.pause.clear).start()

    final, seen = train(tiny_preset(fit={"epochs": 1}), runs_dir, controls, pause_at_start)
    paused = of(seen, ev.Paused)
    assert [p.paused for p in paused] == [True, False]
    assert final.status == "finished"


def test_non_finite_loss_is_reported_and_stops(runs_dir: Path) -> None:
    preset = tiny_preset(
        data={"source": "sklearn:diabetes", "scaling": "none"},
        model={"layers": [{"type": "Input", "shape": [10]}, {"type": "Dense", "units": 1}]},
        compile={"loss": "mean_squared_error", "optimizer": {"type": "sgd", "learning_rate": 1e12},
                 "metrics": ["mae"]},
        fit={"epochs": 20},
    )
    final, seen = train(preset, runs_dir)
    bad = of(seen, ev.NonFiniteLoss)
    assert bad and not math.isfinite(bad[0].value)
    assert final.epochs_done < 20
    assert final.status == "failed" and "lower compile.optimizer.learning_rate" in final.error
    assert not of(seen, ev.Evaluated)  # no test scores from NaN weights
    assert RunStore(runs_dir).list()[0].status == "failed"


def test_categorical_crossentropy_one_hot_encodes_integer_labels(runs_dir: Path) -> None:
    preset = tiny_preset(compile={"loss": "categorical_crossentropy", "metrics": ["accuracy", "f1"]})
    final, seen = train(preset, runs_dir)
    assert final.status == "finished", final.error
    assert any("one-hot" in n.text for n in of(seen, ev.Notice))
    assert "f1" in of(seen, ev.EpochEnded)[0].logs


def test_binary_metrics_and_regression_metrics_train(runs_dir: Path) -> None:
    binary = tiny_preset(
        data={"source": "sklearn:breast_cancer"},
        model={"layers": [{"type": "Input", "shape": [30]}, {"type": "Dense", "units": 1,
                                                           "activation": "sigmoid"}]},
        compile={"loss": "binary_crossentropy", "metrics": ["accuracy", "precision", "recall",
                                                            "auc", "f1"]},
        fit={"epochs": 1},
    )
    final, seen = train(binary, runs_dir)
    assert final.status == "finished", final.error
    assert {"precision", "recall", "auc", "f1"} <= set(of(seen, ev.EpochEnded)[0].logs)
    regression = tiny_preset(
        data={"source": "sklearn:diabetes"},
        model={"layers": [{"type": "Input", "shape": [10]}, {"type": "Dense", "units": 1}]},
        compile={"loss": "mse", "metrics": ["mae", "mse", "rmse", "r2", "mase"]},
        fit={"epochs": 1},
    )
    final, seen = train(regression, runs_dir)
    assert final.status == "finished", final.error
    assert {"mae", "mse", "rmse", "r2", "mase"} <= set(of(seen, ev.Evaluated)[0].metrics)


def test_mase_matches_its_definition() -> None:
    from nnbench.core.metrics import make_metric

    y_true = np.array([[3.0], [5.0], [4.0], [8.0]])
    y_pred = np.array([[2.5], [5.0], [5.0], [7.0]])
    metric = make_metric("mase", "regression")
    metric.update_state(y_true, y_pred)
    mae = np.mean(np.abs(y_true - y_pred))
    naive = np.mean(np.abs(np.diff(y_true[:, 0])))
    assert float(metric.result()) == pytest.approx(mae / naive)


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"compile": {"metrics": ["precision"]}}, "compile.metrics[0]"),
    ({"callbacks": {"EarlyStopping": {"monitor": "val_acuracy"}}}, "callbacks.EarlyStopping.monitor"),
    ({"fit": {"validation_split": None}, "callbacks": {"EarlyStopping": {"monitor": "val_loss"}}},
     "needs validation data"),
    ({"model": {"layers": [{"type": "Input", "shape": [4]}, {"type": "Dense", "units": 2,
                                                           "activation": "softmax"}]}},
     "3 classes"),
    ({"model": {"layers": [{"type": "Input", "shape": [4]}, {"type": "Conv2D", "filters": 2,
                                                           "kernel_size": 3}]}},
     "layer 2 (Conv2D)"),
])
def test_problems_fail_the_run_with_a_readable_message(runs_dir: Path, changes, fragment) -> None:
    final, seen = train(tiny_preset(**changes), runs_dir)
    assert final.status == "failed"
    assert fragment in final.error
    assert "Traceback" not in final.error


def test_an_input_shape_that_disagrees_with_the_data_fails_on_the_input_row(runs_dir: Path) -> None:
    preset = tiny_preset(model={"layers": [{"type": "Input", "shape": [28, 28]}, {"type": "Flatten"},
                                           {"type": "Dense", "units": 3, "activation": "softmax"}]})
    final, _ = train(preset, runs_dir)
    assert final.status == "failed"
    assert "layer 1 (Input) takes samples of shape (28, 28)" in final.error
    assert "set its shape to [4]" in final.error


def test_automatic_layer_names_are_stable_across_checks() -> None:
    from nnbench.core.model import analyze
    from nnbench.core.preset import load_preset

    spec = load_preset("fashion-mlp").model
    for _ in range(3):
        rows = analyze(spec).rows
    assert [r.name for r in rows] == ["input_layer", "flatten", "dense", "dense_1", "dense_2"]


def test_a_run_that_fails_its_checks_leaves_no_run_folder(runs_dir: Path) -> None:
    preset = tiny_preset(compile={"metrics": ["precision"]})  # precision on 3 classes
    final, seen = train(preset, runs_dir)
    assert final.status == "failed" and final.run_dir is None and final.epochs_done == 0
    assert not of(seen, ev.RunStarted)
    assert RunStore(runs_dir).list() == []


def test_a_layer_with_the_wrong_number_of_axes_says_what_it_needs() -> None:
    from nnbench.core.model import analyze
    from nnbench.core.preset import ModelSpec

    spec = ModelSpec.model_validate({"layers": [{"type": "Input", "shape": [64]},
                                                {"type": "Conv2D", "filters": 4, "kernel_size": 3}]})
    row = analyze(spec).rows[-1]
    assert row.index == 1
    assert "Conv2D works on images: (height, width, channels)" in row.error
    assert "Reshape" in row.error


def test_callback_values_keras_refuses_fail_before_a_run_folder_exists(runs_dir: Path) -> None:
    # The catalog's limits (core/catalog.py) refuse it as the preset is read: no Trainer, no folder.
    with pytest.raises(PresetError, match=r"callbacks\.ReduceLROnPlateau\.factor: must be less "
                                          r"than 1, not 1\.5"):
        tiny_preset(callbacks={"ReduceLROnPlateau": {"monitor": "val_loss", "factor": 1.5}})
    assert RunStore(runs_dir).list() == []


def test_a_broken_summary_does_not_hide_the_other_runs(runs_dir: Path) -> None:
    final, _ = train(tiny_preset(fit={"epochs": 1}), runs_dir)
    (runs_dir / "junk").mkdir()
    (runs_dir / "junk" / "summary.json").write_text('{"status": "running"}')
    (runs_dir / "list").mkdir()
    (runs_dir / "list" / "summary.json").write_text("[1, 2]")
    records = {r.run_id: r for r in RunStore(runs_dir).list()}
    assert records[Path(final.run_dir).name].status == "finished"
    # The broken ones are listed with what is wrong, never hiding the good one.
    assert records["list"].status == "unreadable"
    assert "not a JSON object" in (records["list"].unreadable or "")
    assert records["junk"].status == "interrupted"  # "running" with no process: nothing will end it


# --- faults: a full disk, a reader that goes away -------------------------------------------------


def test_a_full_disk_at_the_model_save_fails_the_run_in_one_line_and_keeps_its_epochs(
        runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from nnbench.core import training
    from nnbench.core.runs import RunStore

    real_save = training.save_model

    def full(model: Any, path: Path) -> None:  # as a full tmpfs answers model.save
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(training, "save_model", full)
    final = training.Trainer(tiny_preset(), runs_dir).run()
    monkeypatch.setattr(training, "save_model", real_save)
    assert final.status == "failed"
    assert final.error is not None and final.error.startswith("the disk is full")
    assert "nnbench resume" in final.error and "\n" not in final.error
    run = Path(final.run_dir or "")
    [record] = RunStore(runs_dir).list()
    assert record.status == "failed" and record.epochs_done == 3  # the epochs stay on disk
    assert not (run / "model.keras").exists()  # no truncated model passing for a whole one
    assert not [p.name for p in run.iterdir() if "partial" in p.name or p.suffix == ".tmp"]


def test_train_into_a_reader_that_goes_away_gives_no_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    from nnbench.core.preset import save_preset

    path = tmp_path / "tiny.toml"
    save_preset(tiny_preset(fit={"epochs": 4}), path)
    script = (f"{sys.executable} -m nnbench.tui train {path} --runs-dir {tmp_path / 'runs'} "
              "| head -n 1")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout.count("\n") == 1


def test_save_model_leaves_no_truncated_file_when_the_disk_fills(tmp_path: Path) -> None:
    import errno

    from nnbench.core.training import save_model

    class HalfWritten:
        def save(self, path: Path) -> None:
            Path(path).write_bytes(b"PK half a zip")
            raise OSError(errno.ENOSPC, "No space left on device")

    (tmp_path / "model.keras").write_bytes(b"the model of the last good save")
    with pytest.raises(OSError):
        save_model(HalfWritten(), tmp_path / "model.keras")
    assert (tmp_path / "model.keras").read_bytes() == b"the model of the last good save"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_train_with_stdout_closed_trains_quietly(tmp_path: Path) -> None:
    import subprocess
    import sys

    from nnbench.core.preset import save_preset
    from nnbench.core.runs import RunStore

    path = tmp_path / "tiny.toml"
    save_preset(tiny_preset(), path)
    script = f"{sys.executable} -m nnbench.tui train {path} --runs-dir {tmp_path / 'runs'} >&-"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert [r.status for r in RunStore(tmp_path / "runs").list()] == ["finished"]
