"""compare() on runs a real Trainer wrote: only the preset keys that differ, shared and missing
metrics, labels that name what differs."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import tiny_preset

from nnbench.core.cli import main
from nnbench.core.compare import MISSING, compare, comparison_report, flatten
from nnbench.core.errors import RunStoreError
from nnbench.core.training import Trainer

LAYERS = [{"type": "Input", "shape": [4]}, {"type": "Dense", "units": 8, "activation": "relu"},
          {"type": "Dropout", "rate": 0.2}, {"type": "Dense", "units": 3, "activation": "softmax"}]


def _train(preset, runs_dir: Path) -> Path:
    final = Trainer(preset, runs_dir).run()
    assert final.status == "finished", final.error
    return Path(final.run_dir)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    runs = tmp_path_factory.mktemp("runs")
    sgd = tiny_preset(name="sgd-run", model={"layers": LAYERS},
                      compile={"optimizer": {"type": "sgd", "learning_rate": 0.01}},
                      fit={"epochs": 2})
    adam_layers = [dict(layer) for layer in LAYERS]
    adam_layers[2]["rate"] = 0.5
    adam = tiny_preset(name="adam-run", model={"layers": adam_layers},
                       compile={"optimizer": "adam", "metrics": ["accuracy", "f1"],
                                "loss": "categorical_crossentropy"},
                       fit={"epochs": 2})
    return [_train(sgd, runs), _train(adam, runs)]


def test_the_diff_table_holds_only_the_keys_that_differ(two_runs: list[Path]) -> None:
    c = compare(two_runs)
    assert c.differing == {
        "name": ["sgd-run", "adam-run"],
        "compile.loss": ["sparse_categorical_crossentropy", "categorical_crossentropy"],
        "compile.optimizer.type": ["sgd", "adam"],
        "compile.optimizer.learning_rate": [0.01, MISSING],
        "compile.metrics": [["accuracy"], ["accuracy", "f1"]],
        "model.layers[2].rate": [0.2, 0.5],
    }
    assert ("model.layers[2].rate", ["0.2", "0.5"]) in c.rows()
    assert ("compile.optimizer.learning_rate", ["0.01", "—"]) in c.rows()


def test_labels_name_what_differs(two_runs: list[Path]) -> None:
    c = compare(two_runs)
    sgd, adam = c.labels
    # The optimizer first, then the layer only this run has, then the loss.
    assert sgd.startswith("sgd lr=0.01 Dropout(0.2) sparse")
    assert adam.startswith("adam Dropout(0.5) cce") and "lr=" not in adam
    assert len(sgd) <= 32 and sgd.endswith("…")
    assert len(set(c.labels)) == 2


def test_shared_metrics_chart_first_and_missing_ones_are_named(two_runs: list[Path]) -> None:
    c = compare(two_runs)
    assert c.chart_metrics == ["loss", "val_loss", "accuracy", "val_accuracy"]
    assert "f1" not in c.shared_metrics
    sgd, adam = two_runs
    assert c.missing == {sgd.name: ["f1", "val_f1"]}
    assert [epoch for epoch, _ in c.runs[0].series["val_loss"]] == [1, 2]
    report = comparison_report(c)
    assert f"{sgd.name} did not log f1, val_f1" in report
    assert "model.layers[2].rate" in report


def test_runs_of_the_same_preset_differ_in_nothing_and_are_told_apart_by_id(
        two_runs: list[Path], tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "20990101-120000-sgd-run"
    shutil.copytree(two_runs[0], copy)
    c = compare([two_runs[0], copy])
    assert c.differing == {}
    assert len(set(c.labels)) == 2 and "120000" in c.labels[1]


def test_flatten_uses_dotted_keys_and_layer_indices() -> None:
    flat = flatten({"compile": {"optimizer": {"type": "sgd"}, "metrics": ["accuracy"]},
                    "model": {"layers": [{"type": "Input"}, {"type": "Dropout", "rate": 0.3}]}})
    assert flat == {"compile.optimizer.type": "sgd", "compile.metrics": ["accuracy"],
                    "model.layers[0].type": "Input", "model.layers[1].type": "Dropout",
                    "model.layers[1].rate": 0.3}


def test_one_run_or_a_folder_without_a_preset_is_refused(two_runs: list[Path],
                                                         tmp_path: Path) -> None:
    with pytest.raises(RunStoreError, match="two or more runs"):
        compare(two_runs[:1])
    with pytest.raises(RunStoreError, match="preset.toml: missing or unreadable"):
        compare([two_runs[0], tmp_path])


def test_cli_compare_prints_the_diff(two_runs: list[Path], capsys: pytest.CaptureFixture) -> None:
    root = str(two_runs[0].parent)
    assert main(["compare", two_runs[0].name, two_runs[1].name, "--runs-dir", root]) == 0
    out = capsys.readouterr().out
    assert "compile.optimizer.type" in out and "sgd" in out and "adam" in out
    assert main(["compare", two_runs[0].name, "--runs-dir", root]) == 2
    assert "two or more runs" in capsys.readouterr().err
