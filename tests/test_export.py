"""Exported scripts are plain Keras that runs and builds the same model."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tiny_preset

from nnbench.core.export import export_script
from nnbench.core.model import analyze
from nnbench.core.preset import bundled_presets, load_preset


@pytest.mark.parametrize("name", sorted(bundled_presets()))
def test_every_bundled_preset_exports_valid_python_without_nnbench(name: str) -> None:
    script = export_script(load_preset(name))
    tree = ast.parse(script)
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names} | {node.module.split(".")[0] for node in ast.walk(tree)
                                            if isinstance(node, ast.ImportFrom) and node.module}
    assert "nnbench" not in imported


@pytest.mark.parametrize("preset", [
    load_preset("digits-cnn"),
    tiny_preset(compile={"loss": "categorical_crossentropy", "metrics": ["accuracy"]},
                callbacks={"EarlyStopping": {"monitor": "val_loss", "patience": 1}}),
    tiny_preset(data={"source": "sklearn:diabetes"},
                model={"layers": [{"type": "Input", "shape": [10]}, {"type": "Dense", "units": 1}]},
                compile={"loss": "mse", "metrics": ["mae", "r2", "mase"]}),
], ids=["digits-cnn", "categorical", "regression-mase"])
def test_exported_script_runs_and_builds_the_same_model(preset, tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(export_script(preset, epochs=1))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-2000:]
    total = analyze(preset.model).summary.total
    printed = re.search(r"Total params: ([\d,]+)", result.stdout)
    assert printed and int(printed.group(1).replace(",", "")) == total
    assert (tmp_path / "model.keras").is_file()
    assert "'loss'" in result.stdout  # the evaluate() dict
