"""An exported run redoes the run exactly: its script, executed, writes the run's history.csv.

Each case is trained by the Trainer here, exported with `nnbench export RUN`, and its script
executed (two epochs each) by tests/export_runner.py: one TensorFlow process beside this one that
runs the scripts one after another as they are exported, each as `python train.py` in its own
folder. The history it writes is compared with the run's.
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import tiny_preset
from test_export import _functional

from nnbench.core import cli
from nnbench.core.data import OFFLINE_PRESETS, load_data
from nnbench.core.export import export_run
from nnbench.core.preset import load_preset
from nnbench.core.training import Trainer

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1"}
RUNNER = Path(__file__).with_name("export_runner.py")


def _write_png(path: Path, value: int) -> None:
    import tensorflow as tf

    pixels = np.full((10, 12, 3), value, dtype=np.uint8)
    path.write_bytes(tf.io.encode_png(pixels).numpy())


def _sources(root: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    paths = {}
    x = rng.normal(size=(90, 3)).round(3)
    label = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")
    paths["csv"] = root / "binary.csv"
    with paths["csv"].open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a", "b", "c", "answer"])
        writer.writerows([[*row, lab] for row, lab in zip(x, label, strict=True)])
    paths["csv3"] = root / "classes.csv"
    with paths["csv3"].open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kind", "a", "b"])
        writer.writerows([[int(k), *row] for k, row in zip(3 + 2 * (np.argmax(x, axis=1)), x[:, :2],
                                                           strict=True)])
    paths["npz"] = root / "images.npz"
    images = rng.integers(0, 256, size=(80, 4, 4), dtype=np.uint8)
    np.savez(paths["npz"], x_train=images[:60], y_train=np.eye(3)[images[:60, 0, 0] % 3],
             x_test=images[60:], y_test=np.eye(3)[images[60:, 0, 0] % 3])
    paths["npz_regression"] = root / "series.npz"
    series = rng.normal(size=(70, 5)).astype(np.float32)
    np.savez(paths["npz_regression"], x_train=series, y_train=series.sum(axis=1) * 1.5)
    paths["images"] = root / "pictures"
    for split, count in (("train", 6), ("test", 2)):
        for name, value in (("cats", 20), ("dogs", 230)):
            folder = paths["images"] / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                _write_png(folder / f"{i}.png", value + 3 * i)
    paths["text"] = root / "reviews"
    texts = {"neg": ["awful bad film", "bad boring plot", "awful", "boring bad bad", "bad bad"],
             "pos": ["great fun film", "good great", "fun fun plot", "good", "great great"]}
    for name, reviews in texts.items():
        folder = paths["text"] / name
        folder.mkdir(parents=True)
        for i, review in enumerate(reviews):
            (folder / f"{i}.txt").write_text(review, encoding="utf-8")
    return paths


def _cases(paths: dict[str, Path]) -> dict[str, Any]:
    two = {"epochs": 2, "batch_size": 16, "seed": 3}
    dense_binary = {"layers": [{"type": "Dense", "units": 6, "activation": "relu"},
                               {"type": "Dropout", "rate": 0.2},
                               {"type": "Dense", "units": 1, "activation": "sigmoid"}]}
    cases: dict[str, Any] = {name: load_preset(name) for name in OFFLINE_PRESETS}
    cases["csv-binary-f1"] = tiny_preset(
        data={"source": f"csv:{paths['csv']}", "target": "answer", "test_split": 0.25},
        model=dense_binary,
        compile={"loss": "binary_crossentropy", "metrics": ["accuracy", "f1", "precision", "auc"]},
        fit={**two, "validation_split": 0.2},
        callbacks={"EarlyStopping": {"monitor": "val_loss", "patience": 1}})
    cases["csv-categorical-f1"] = tiny_preset(
        data={"source": f"csv:{paths['csv3']}", "target": "kind", "test_split": 0.2,
              "scaling": "standardize"},
        model={"layers": [{"type": "Input", "shape": [2]},
                          {"type": "Dense", "units": 5, "activation": "relu"},
                          {"type": "Dense", "units": 3, "activation": "softmax"}]},
        compile={"loss": "categorical_crossentropy", "optimizer": {"type": "sgd", "learning_rate": 0.05},
                 "metrics": ["accuracy", "f1"]},
        fit={**two, "validation_split": None, "validation_first": 12},
        callbacks={"ReduceLROnPlateau": {"monitor": "val_loss", "patience": 1, "factor": 0.5}})
    cases["npz-divide255"] = tiny_preset(
        data={"source": f"npz:{paths['npz']}", "scaling": "divide255", "max_samples": 50},
        model={"layers": [{"type": "Flatten"}, {"type": "Dense", "units": 3, "activation": "softmax"}]},
        fit={**two, "validation_split": None, "validation_data": "test"})
    cases["npz-regression-mase"] = tiny_preset(
        data={"source": f"npz:{paths['npz_regression']}", "test_split": 0.2, "scaling": "standardize"},
        model={"layers": [{"type": "Input", "shape": [5]}, {"type": "Dense", "units": 1}]},
        compile={"loss": "mse", "metrics": ["mae", "mase", "r2"]}, fit=two)
    cases["functional-iris"] = tiny_preset(model=_functional([None, "h²"], ["input_layer", "h²"]),
                                           fit={"seed": 11})
    cases["images"] = tiny_preset(
        data={"source": f"images:{paths['images']}", "image_size": [8, 8], "scaling": "standardize",
              "test_split": None},
        model={"layers": [{"type": "Conv2D", "filters": 2, "kernel_size": 3, "activation": "relu"},
                          {"type": "GlobalAveragePooling2D"},
                          {"type": "Dense", "units": 2, "activation": "softmax"}]},
        fit={**two, "batch_size": 4, "validation_split": 0.25})
    cases["text"] = tiny_preset(
        data={"source": f"text:{paths['text']}", "maxlen": 5, "num_words": 30, "test_split": None,
              "max_samples": 7, "scaling": "none"},
        model={"layers": [{"type": "Embedding", "input_dim": 30, "output_dim": 4},
                          {"type": "GlobalAveragePooling1D"},
                          {"type": "Dense", "units": 1, "activation": "sigmoid"}]},
        # Not f1: the Trainer gives a folder's labels to F1Score as (batch,), which it refuses.
        compile={"loss": "binary_crossentropy", "metrics": ["accuracy", "recall"]},
        fit={**two, "batch_size": 2, "validation_split": 0.3})
    return cases


def _outcome(work: Path, runner_log: Path) -> dict[str, Any]:
    """What `python train.py` in ``work`` ended with, as the runner recorded it."""
    def text(name: str) -> str:
        path = work / name
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""

    result = work / "result.json"
    if not result.is_file():  # the runner died in (or before) this script
        log = runner_log.read_text(encoding="utf-8", errors="replace") if runner_log.is_file() else ""
        return {"returncode": None, "stdout": text("stdout.txt"),
                "stderr": f"{text('stderr.txt')}\nthe runner ended before this script did:\n{log}"}
    return {"returncode": json.loads(result.read_text())["returncode"], "stdout": text("stdout.txt"),
            "stderr": text("stderr.txt")}


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each case trained by the Trainer, exported with `nnbench export RUN`, and executed."""
    root = tmp_path_factory.mktemp("export-runs")
    paths = _sources(root)
    runs_dir = root / "runs"
    out: dict[str, dict[str, Any]] = {}
    runner_log = root / "runner.log"
    # Each script runs while the next case trains here: one TensorFlow process beside this one,
    # as more than that on a small machine only makes them wait for each other.
    with runner_log.open("w") as log:
        runner = subprocess.Popen([sys.executable, str(RUNNER)], cwd=root, env=ENV, text=True,
                                  stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
    try:
        for name, preset in _cases(paths).items():
            final = Trainer(preset, runs_dir, epochs=2).run()
            assert final.status == "finished", (name, final.error)
            work = root / "scripts" / name
            work.mkdir(parents=True)
            run_id = Path(final.run_dir).name
            assert cli.main(["export", run_id, "--runs-dir", str(runs_dir), "-o",
                             str(work / "train.py")]) == 0
            out[name] = {"run": Path(final.run_dir), "work": work, "preset": preset}
            with contextlib.suppress(BrokenPipeError):  # a dead runner: each case says so below
                runner.stdin.write(f"{work}\n")
                runner.stdin.flush()
        with contextlib.suppress(BrokenPipeError):
            runner.stdin.close()
        runner.wait(timeout=900)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    for case in out.values():
        case.update(_outcome(case["work"], runner_log))
    return out


CASES = [*OFFLINE_PRESETS, "csv-binary-f1", "csv-categorical-f1", "npz-divide255",
         "npz-regression-mase", "functional-iris", "images", "text"]


def _history(path: Path) -> list[dict[str, float]]:
    with path.open(newline="") as handle:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]


@pytest.mark.parametrize("name", CASES)
def test_exported_run_reproduces_its_history_and_parameter_count(
        reproduced: dict[str, dict[str, Any]], name: str) -> None:
    case = reproduced[name]
    assert case["returncode"] == 0, case["stderr"][-3000:]
    ours, theirs = _history(case["run"] / "history.csv"), _history(case["work"] / "history.csv")
    assert len(ours) == len(theirs) >= 1
    assert set(theirs[0]) == set(ours[0])  # the same metrics, f1 included
    for epoch, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        for key in a:
            assert b[key] == pytest.approx(a[key], rel=1e-5, abs=1e-7), (name, epoch, key)
    params = json.loads((case["run"] / "summary.json").read_text())["params"]
    printed = re.search(r"Total params: ([\d,]+)", case["stdout"])
    assert printed and int(printed.group(1).replace(",", "")) == params
    assert (case["work"] / "model.keras").is_file()


def _import_script(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["digits-mlp", "csv-binary-f1", "csv-categorical-f1",
                                  "npz-divide255", "npz-regression-mase"])
def test_the_scripts_data_is_core_data_bit_for_bit(reproduced: dict[str, dict[str, Any]],
                                                   name: str) -> None:
    case = reproduced[name]
    module = _import_script(case["work"] / "train.py", f"exported_{name.replace('-', '_')}")
    x_train, y_train, x_val, y_val, x_test, y_test, num_classes = module.load_data()
    preset = case["preset"]
    core = load_data(preset.data, preset.fit)
    assert num_classes == core.info.num_classes
    for ours, theirs in ((core.x_train, x_train), (core.y_train, y_train), (core.x_val, x_val),
                         (core.y_val, y_val), (core.x_test, x_test), (core.y_test, y_test)):
        if ours is None:
            assert theirs is None
            continue
        assert theirs.dtype == ours.dtype and theirs.shape == ours.shape
        np.testing.assert_array_equal(theirs, ours)


def test_export_run_takes_the_epochs_the_run_was_given(reproduced: dict[str, dict[str, Any]]) -> None:
    run = reproduced["digits-mlp"]["run"]
    assert "EPOCHS = 2" in export_run(run)  # the preset says 100; the run was given 2
    assert "EPOCHS = 5" in export_run(run, epochs=5)
