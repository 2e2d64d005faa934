"""Exported scripts are plain Keras, safe whatever the preset says, and redo the run exactly.

The exact-reproduction tests train a real run with the Trainer, export it, execute the script in a
subprocess (all scripts at once, two epochs each) and compare its history.csv with the run's.
"""

from __future__ import annotations

import ast
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

from nnbench.core import cli
from nnbench.core.data import OFFLINE_PRESETS, load_data
from nnbench.core.errors import NnbenchError
from nnbench.core.export import comment, export_run, export_script, literal
from nnbench.core.model import build_model
from nnbench.core.preset import bundled_presets, load_preset
from nnbench.core.training import Trainer

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1"}


def _imports(tree: ast.AST) -> set[str]:
    names = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    return names | {node.module.split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module}


def _ruff_undefined_or_unused(folder: Path) -> str:
    """pyflakes' findings (undefined names, unused imports and variables) on every script."""
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated",
                             "--select", "F", "--output-format", "concise", str(folder)],
                            capture_output=True, text=True, timeout=120)
    return "" if result.returncode == 0 else result.stdout + result.stderr


def _top_level_is_only_definitions(tree: ast.Module) -> list[str]:
    """Statements outside functions other than the docstring, imports, constants and main()."""
    odd = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0]:
            continue
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, ast.If) and ast.unparse(node) == "if __name__ == '__main__':\n    main()":
            continue
        odd.append(ast.unparse(node)[:80])
    return odd


# --- every bundled preset: valid, self-contained, lint-clean -------------------------------------


def test_every_bundled_preset_exports_lint_clean_python_without_nnbench(tmp_path: Path) -> None:
    for name in sorted(bundled_presets()):
        script = export_script(load_preset(name))
        tree = ast.parse(script)
        assert "nnbench" not in _imports(tree), name
        assert _top_level_is_only_definitions(tree) == [], name
        compile(script, name, "exec")
        (tmp_path / f"{name.replace('-', '_')}.py").write_text(script, encoding="utf-8")
    assert _ruff_undefined_or_unused(tmp_path) == ""


# --- hostile text is data ------------------------------------------------------------------------

PAYLOAD = "import pathlib; pathlib.Path('PWNED').write_text('x')"


def test_hostile_preset_text_cannot_execute_anything(tmp_path: Path) -> None:
    preset = tiny_preset(
        name=f"evil\nname\x1b]0;title\x07 {PAYLOAD}",
        description=f'"""\n{PAYLOAD}\n"""\r{PAYLOAD}\u2028{PAYLOAD}\x0c# -*- coding: latin-1 -*-',
        data={"source": f"csv:data\n{PAYLOAD}\n.csv", "target": f"y'\n{PAYLOAD}#",
              "scaling": "none", "test_split": 0.2},
    )
    script = export_script(preset)
    tree = ast.parse(script)
    assert _top_level_is_only_definitions(tree) == []
    # The payload appears only inside string literals and comments, never as code.
    code_only = ast.unparse(tree)
    assert "pathlib.Path('PWNED')" not in code_only.replace(repr(preset.data.target_name), "")\
        .replace(repr(preset.data.target), "")
    for line in script.splitlines():
        assert line.isprintable(), repr(line)
    # Importing it defines functions and constants, nothing else: no file appears.
    path = tmp_path / "evil.py"
    path.write_text(script, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("evil_export", path)
    module = importlib.util.module_from_spec(spec)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        spec.loader.exec_module(module)
    finally:
        os.chdir(cwd)
    assert not (tmp_path / "PWNED").exists()
    assert preset.data.target_name == module.DATA  # the path survives as the same text


def test_comments_split_every_line_break_and_show_control_characters() -> None:
    lines = comment("a\nb\rc\u2028d\x85e\x0bf\x1b[2Jg\tz")
    assert [line[:3] for line in lines] == ["# a", "# b", "# c", "# d", "# e", "# f"]
    assert all(line.isprintable() and line.startswith("# ") for line in lines)
    assert "\\x1b[2J" in lines[-1]


def test_literals_round_trip_and_refuse_what_is_not_data() -> None:
    from datetime import date

    for value in ["x\"\"\"'\n\\", 1, -2.5, True, None, [1, [2, "a"]], (3,), {"k": [1.0]}]:
        assert eval(literal(value)) == value  # noqa: S307 - our own literal of plain data
    assert eval(literal(float("inf"))) == float("inf")  # noqa: S307
    assert eval(literal(float("nan"))) != eval(literal(float("nan")))  # noqa: S307
    with pytest.raises(NnbenchError, match="cannot go into a script"):
        literal(date(2026, 1, 1), "model.layers[1].units")


def _functional(names: list[str | None], last_inputs: list[str]) -> dict[str, Any]:
    layers: list[dict[str, Any]] = [{"type": "Input", "shape": [4]}]
    for name in names:
        layers.append({"type": "Dense", "units": 3, "activation": "relu", **({"name": name} if name else {})})
    layers.append({"type": "Concatenate", "inputs": last_inputs})
    layers.append({"type": "Dense", "units": 3, "activation": "softmax"})
    return {"layers": layers}


def _assigned(script: str, function: str) -> list[str]:
    tree = ast.parse(script)
    body = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function).body
    return [t.id for node in body if isinstance(node, ast.Assign) for t in node.targets
            if isinstance(t, ast.Name)]


def test_layer_variables_are_unique_valid_identifiers_for_any_names() -> None:
    names = ["a-b", "a_b", "h²", "은닉층", "class", "1st", "ﬁ", "fi", "print", "model", "np"]
    preset = tiny_preset(model=_functional(names, ["a-b", "a_b", "h²", "은닉층", "class", "1st",
                                                   "ﬁ", "fi", "print", "model", "np"]))
    script = export_script(preset)
    variables = _assigned(script, "build_model")
    import unicodedata

    normalized = [unicodedata.normalize("NFKC", v) for v in variables]
    assert len(set(normalized)) == len(normalized), variables
    assert all(v.isidentifier() for v in variables)
    assert "a_b" in variables and "은닉층" in variables and "h2" in variables
    compile(script, "names", "exec")


def _keras_names_in(script: str) -> list[str]:
    return [re.search(r"name='([^']+)'\)", line).group(1) for line in script.splitlines()
            if "keras.Input(" in line or "= layers." in line]


def _built_names(preset: Any) -> list[str]:
    return [layer.name for layer in build_model(preset.model, (4,)).layers]


def test_functional_graph_with_automatic_names_exports_the_names_keras_gets() -> None:
    # Concatenate of the unnamed Input and the second unnamed Dense: input_layer, dense_1.
    preset = tiny_preset(model=_functional([None, None], ["input_layer", "dense_1"]))
    script = export_script(preset)  # KeyError 'dense' before
    assert _keras_names_in(script) == _built_names(preset) == [
        "input_layer", "dense", "dense_1", "concatenate", "dense_2"]
    assert "layers.Concatenate(name='concatenate')([input_layer, dense_1])" in script


def test_names_keras_refuses_get_the_names_the_trainer_gives_keras() -> None:
    preset = tiny_preset(model=_functional(["은닉층", "h²"], ["은닉층", "h²"]))
    script = export_script(preset)
    assert _keras_names_in(script) == _built_names(preset)
    assert "은닉층 = layers.Dense(" in script  # the variable keeps the user's name


def test_a_model_that_cannot_be_built_is_an_nnbench_error_not_a_crash() -> None:
    preset = tiny_preset(model={"layers": [{"type": "Input", "shape": [4]},
                                           {"type": "Add", "inputs": ["input_layer"]}]})
    with pytest.raises(NnbenchError, match="merges several layers"):
        export_script(preset)


def test_f1_is_the_trainers_choice_for_the_task() -> None:
    from nnbench.core.export import DataFacts

    preset = tiny_preset(compile={"metrics": ["f1"]})
    unknown = export_script(preset)  # a preset alone: the script decides when it sees the labels
    assert "average='micro', threshold=0.5" in unknown and "average='macro'" in unknown
    assert 'task = "regression" if num_classes is None' in unknown
    binary = export_script(preset, facts=DataFacts(task="binary"))  # a run: its task is known
    assert "average='micro', threshold=0.5, name='f1'" in binary
    assert "average='macro'" not in binary and "task =" not in binary


# --- the command line ----------------------------------------------------------------------------


def test_export_refuses_to_overwrite_without_force(tmp_path: Path, capsys) -> None:
    out = tmp_path / "train.py"
    out.write_text("# my edits\n")
    assert cli.main(["export", "digits-mlp", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err and "--force" in err
    assert out.read_text() == "# my edits\n"
    assert cli.main(["export", "digits-mlp", "-o", str(out), "--force"]) == 0
    assert "def build_model" in out.read_text()
    assert not list(tmp_path.glob(".*.tmp"))


def test_export_of_an_unknown_name_is_one_line(tmp_path: Path, capsys) -> None:
    assert cli.main(["export", "no-such-thing", "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such-thing" in err


# --- the script reproduces the run ---------------------------------------------------------------


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


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each case trained by the Trainer, exported with `nnbench export RUN`, and executed."""
    root = tmp_path_factory.mktemp("export-runs")
    paths = _sources(root)
    runs_dir = root / "runs"
    out: dict[str, dict[str, Any]] = {}
    running: list[dict[str, Any]] = []

    def finish(case: dict[str, Any]) -> None:
        case["stdout"], case["stderr"] = case["process"].communicate(timeout=900)
        case["returncode"] = case["process"].returncode

    # Each script runs while the next case trains here: one TensorFlow process beside this one,
    # as more than that on a small machine only makes them wait for each other.
    for name, preset in _cases(paths).items():
        final = Trainer(preset, runs_dir, epochs=2).run()
        assert final.status == "finished", (name, final.error)
        work = root / "scripts" / name
        work.mkdir(parents=True)
        run_id = Path(final.run_dir).name
        assert cli.main(["export", run_id, "--runs-dir", str(runs_dir), "-o",
                         str(work / "train.py")]) == 0
        case = out[name] = {"run": Path(final.run_dir), "work": work, "preset": preset}
        while len(running) >= max(1, (os.cpu_count() or 2) - 1):
            finish(running.pop(0))
        case["process"] = subprocess.Popen([sys.executable, "train.py"], cwd=work, env=ENV,
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           text=True)
        running.append(case)
    for case in running:
        finish(case)
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

