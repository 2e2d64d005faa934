"""core/compat.py: every loss / output / label / metric / monitor mismatch at once, at its key, with
the fix; and the trainer refuses them before Keras sees them and before a run folder exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import TINY, merge, tiny_preset

from nnbench.core.compat import Problem, output_problem, problems
from nnbench.core.events import DataInfo
from nnbench.core.preset import bundled_presets, load_preset, preset_from_dict
from nnbench.core.training import Trainer

TEN = DataInfo("sklearn:digits", 1000, 200, 300, (64,), 10, None)
TWO = DataInfo("sklearn:breast_cancer", 300, 80, 100, (30,), 2, ["malignant", "benign"])
REGRESSION = DataInfo("sklearn:diabetes", 300, 50, 80, (10,), None, None)
NO_VALIDATION = DataInfo("sklearn:digits", 1000, 0, 300, (64,), 10, None)


def digits(**changes: Any):
    """A 10-class softmax model for the digits, with sections deep-merged from ``changes``."""
    base = merge(TINY, {"data": {"source": "sklearn:digits"}, "model": {"layers": [
        {"type": "Input", "shape": [64]},
        {"type": "Dense", "units": 16, "activation": "relu"},
        {"type": "Dense", "units": 10, "activation": "softmax"}]}})
    return preset_from_dict(merge(base, changes))


def head(units: int, activation: str | None = None) -> dict[str, Any]:
    last = {"type": "Dense", "units": units, **({"activation": activation} if activation else {})}
    return {"layers": [{"type": "Input", "shape": [64]}, last]}


def keys(found: list[Problem]) -> list[str]:
    return [p.key for p in found]


def message(found: list[Problem], key: str) -> str:
    return next(p.message for p in found if p.key == key)


# --- losses and heads -----------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["mse", "mean_absolute_error", "huber"])
@pytest.mark.parametrize("data", [None, TEN], ids=["before data", "with data"])
def test_a_regression_loss_on_a_softmax_multiclass_head_is_refused(loss: str, data) -> None:
    found = problems(digits(compile={"loss": loss}), data, (None, 10))
    assert keys(found) == ["compile.loss"]
    text = found[0].message
    assert "10 class probabilities" in text and "sparse_categorical_crossentropy" in text


def test_dense_1_sigmoid_with_sparse_ce_suggests_both_tutorial_fixes() -> None:
    preset = digits(model=head(1, "sigmoid"), data={"source": "sklearn:breast_cancer"})
    found = problems(preset, TWO, (None, 1))
    assert keys(found) == ["compile.loss", "model.layers[1].units"]
    assert "binary_crossentropy" in found[0].message and "units = 2" in found[0].message
    assert "units = 2" in found[1].message and "binary_crossentropy" in found[1].message


def test_binary_ce_over_ten_classes_is_refused_with_the_reason_it_matters() -> None:
    preset = digits(model=head(1, "sigmoid"), compile={"loss": "binary_crossentropy"})
    found = problems(preset, TEN, (None, 1))
    assert keys(found) == ["compile.loss", "model.layers[1].units"]
    assert "negative loss" in found[0].message
    assert "units = 10" in found[1].message


def test_units_that_disagree_with_the_classes_name_the_class_count() -> None:
    found = problems(digits(model=head(7, "softmax")), TEN, (None, 7))
    assert found == [Problem("model.layers[1].units", "the last layer has 7 outputs but the data has "
                                                      "10 classes; set units = 10 (with softmax)")]


def test_the_head_is_found_behind_an_activation_layer() -> None:
    layers = [{"type": "Input", "shape": [64]}, {"type": "Dense", "units": 3},
              {"type": "Activation", "activation": "softmax"}, {"type": "Dropout", "rate": 0.1}]
    found = problems(digits(model={"layers": layers}), TEN, (None, 3))
    assert keys(found) == ["model.layers[1].units"]


def test_softmax_over_one_output_is_refused_at_the_activation() -> None:
    preset = digits(model=head(1, "softmax"), compile={"loss": "binary_crossentropy"})
    found = problems(preset, TWO, (None, 1))
    assert keys(found) == ["model.layers[1].activation"]


def test_continuous_labels_with_a_classification_loss_are_refused() -> None:
    preset = digits(model=head(1), data={"source": "sklearn:diabetes"})
    found = problems(preset, REGRESSION, (None, 1))
    assert found[0].key == "compile.loss"
    assert "continuous numbers" in found[0].message and "mean_squared_error" in found[0].message


def test_nan_labels_are_refused_at_the_data() -> None:
    info = DataInfo("npz:x.npz", 90, 10, 0, (4,), None, None, missing_labels=3)
    found = problems(digits(model=head(1), compile={"loss": "mse", "metrics": ["mae"]}), info,
                     (None, 1))
    assert keys(found) == ["data.source"]
    assert "3 samples have no label (NaN)" in found[0].message


def test_a_per_step_output_is_refused_at_the_dense_that_works_per_step() -> None:
    found = problems(digits(), TEN, (None, 8, 10))
    assert keys(found) == ["model.layers[2]"]
    assert "GlobalAveragePooling1D" in found[0].message
    assert "Flatten" in output_problem((None, 8, 10), "sparse_categorical_crossentropy", 10)


# --- metrics --------------------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["r2", "mase", "mae", "rmse"])
def test_regression_metrics_on_a_softmax_head_are_refused(metric: str) -> None:
    found = problems(digits(compile={"metrics": ["accuracy", metric]}), TEN, (None, 10))
    assert keys(found) == ["compile.metrics[1]"]
    assert "use accuracy" in found[0].message


@pytest.mark.parametrize("metric", ["precision", "recall", "auc"])
def test_binary_only_metrics_on_ten_classes_are_refused(metric: str) -> None:
    for data in (TEN, None):
        found = problems(digits(compile={"metrics": [metric]}), data, (None, 10))
        assert keys(found) == ["compile.metrics[0]"], data


def test_f1_over_several_classes_needs_categorical_ce() -> None:
    found = problems(digits(compile={"metrics": ["f1"]}), TEN, (None, 10))
    assert "categorical_crossentropy" in message(found, "compile.metrics[0]")
    fixed = digits(compile={"metrics": ["f1"], "loss": "categorical_crossentropy"})
    assert problems(fixed, TEN, (None, 10)) == []


def test_accuracy_on_regression_suggests_mae() -> None:
    preset = digits(model=head(1), compile={"loss": "mse", "metrics": ["accuracy"]},
                    data={"source": "sklearn:diabetes"})
    assert "mae" in message(problems(preset, REGRESSION, (None, 1)), "compile.metrics[0]")


# --- callbacks ------------------------------------------------------------------------------------


def test_a_monitor_the_model_does_not_log_is_refused_for_every_callback() -> None:
    preset = digits(callbacks={"EarlyStopping": {"monitor": "val_precision"},
                               "ReduceLROnPlateau": {"monitor": "val_acc"}})
    found = problems(preset, TEN, (None, 10))
    assert keys(found) == ["callbacks.EarlyStopping.monitor", "callbacks.ReduceLROnPlateau.monitor"]
    assert "accuracy, loss" in found[0].message


def test_val_monitor_without_validation_is_refused_with_data_and_before_it() -> None:
    preset = digits(fit={"validation_split": None},
                    callbacks={"ModelCheckpoint": {"monitor": "val_loss"}})
    for data in (None, NO_VALIDATION):
        found = problems(preset, data, (None, 10))
        assert keys(found) == ["callbacks.ModelCheckpoint.monitor"]
        assert "validation_split" in found[0].message


def test_a_mode_against_the_metric_direction_is_refused() -> None:
    preset = digits(callbacks={"EarlyStopping": {"monitor": "val_accuracy", "mode": "min"}})
    found = problems(preset, TEN, (None, 10))
    assert keys(found) == ["callbacks.EarlyStopping.mode"]
    assert '"max"' in found[0].message


# --- all at once, and none for good presets -------------------------------------------------------


def test_every_problem_is_reported_at_once_in_preset_order() -> None:
    preset = digits(compile={"loss": "mse", "metrics": ["accuracy", "precision", "r2"]},
                    callbacks={"EarlyStopping": {"monitor": "val_f1"}})
    assert keys(problems(preset, TEN, (None, 10))) == [
        "compile.loss", "compile.metrics[1]", "compile.metrics[2]", "callbacks.EarlyStopping.monitor"]


def test_without_a_built_model_the_last_dense_units_stand_for_the_output() -> None:
    preset = digits(compile={"loss": "mse"})
    assert keys(problems(preset, None, None)) == ["compile.loss"]


@pytest.mark.parametrize("name", sorted(bundled_presets()))
def test_bundled_presets_have_no_problems(name: str) -> None:
    from nnbench.core.model import analyze

    preset = load_preset(name)
    analysis = analyze(preset.model)
    assert analysis.summary is not None
    shape = (None, int(analysis.rows[-1].output_shape.strip("()").split(",")[-1]))
    assert problems(preset, None, shape) == []


@pytest.mark.parametrize("name", ["digits-mlp", "cancer-binary", "diabetes-regression", "digits-cnn"])
def test_bundled_presets_have_no_problems_with_their_data(name: str) -> None:
    from nnbench.core.data import load_data
    from nnbench.core.model import build_model

    preset = load_preset(name)
    info = load_data(preset.data, preset.fit).info
    model = build_model(preset.model, info.input_shape)
    assert problems(preset, info, tuple(model.output.shape)) == []


def test_nan_labels_in_an_npz_are_counted(tmp_path: Path) -> None:
    from nnbench.core.data import load_data

    y = np.linspace(0.0, 1.0, 40).astype("float32")
    y[[3, 7]] = np.nan
    np.savez(tmp_path / "gaps.npz", x_train=np.zeros((40, 4), "float32"), y_train=y)
    preset = tiny_preset(data={"source": f"npz:{tmp_path / 'gaps.npz'}", "test_split": None,
                               "scaling": "none"})
    assert load_data(preset.data, preset.fit).info.missing_labels == 2


# --- the trainer refuses before Keras and before a run folder --------------------------------------


def test_the_trainer_refuses_mse_on_a_softmax_head_without_a_run_folder(runs_dir: Path) -> None:
    preset = tiny_preset(compile={"loss": "mse", "metrics": ["accuracy", "r2"]})
    final = Trainer(preset, runs_dir).run()
    assert final.status == "failed" and final.run_dir is None
    assert final.error.startswith("compile.loss: mean_squared_error compares one number")
    assert "Graph execution" not in final.error
    assert not runs_dir.exists() or not any(runs_dir.iterdir())
