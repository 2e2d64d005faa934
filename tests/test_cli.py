"""The headless command line. Where the process is the point (no terminal, TensorFlow's C++ log,
signals) it runs as a user runs it: a subprocess with no terminal. Elsewhere ``cli.main(argv)``
runs in this process, as ``python -m nnbench.core.cli`` calls it, with its output captured.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import tiny_preset

from nnbench.core import cli
from nnbench.core.preset import save_preset
from nnbench.core.runs import RunStore


def nnbench(*args: str, env_extra: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    """``nnbench ARGS`` as its own process, stdout and stderr pipes (no terminal)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "nnbench.core.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300, **kw)


@dataclass
class Ran:
    """What ``nnbench ARGS`` run in this process returned and printed."""

    returncode: int
    stdout: str
    stderr: str


def nnbench_here(capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    """``nnbench ARGS`` in this process: ``cli.main``, what the console script calls."""
    capsys.readouterr()  # only what this command prints
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return Ran(code, out, err)


def test_train_prints_a_line_per_epoch_and_exits_zero(tmp_path: Path) -> None:
    preset = save_preset(tiny_preset(), tmp_path / "tiny.toml")
    result = nnbench("train", str(preset), "--epochs", "2", "--runs-dir", str(tmp_path / "runs"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    epoch_lines = [line for line in lines if line.startswith("epoch ")]
    assert len(epoch_lines) == 2 and "val_loss " in epoch_lines[0] and epoch_lines[0].endswith("s")
    assert "\r" not in result.stdout  # no progress spam when not on a terminal
    assert any(line.startswith("test: ") for line in lines)
    assert "I0000" not in result.stderr  # TensorFlow's C++ log stays in its log file
    runs = RunStore(tmp_path / "runs").list()
    assert [r.status for r in runs] == ["finished"]


def test_errors_are_one_line_with_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[data]\nsource = "sklearn:digits"\n[[model.layers]]\ntype = "Dence"\n')
    result = nnbench_here(capsys, "train", str(bad), "--runs-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "model.layers[0].type" in result.stderr and "Did you mean 'Dense'" in result.stderr
    assert "Traceback" not in result.stderr
    missing = nnbench_here(capsys, "train", "digits-mpl", "--runs-dir", str(tmp_path))
    assert missing.returncode == 2 and "digits-mlp" in missing.stderr


def test_presets_and_summary_work_offline(capsys: pytest.CaptureFixture[str]) -> None:
    listed = nnbench_here(capsys, "presets")
    assert listed.returncode == 0 and "digits-mlp" in listed.stdout
    for name, total in [("fashion-mlp", "266,610"), ("fashion-dropout", "79,510"),
                        ("imdb-sentiment", "160,289")]:
        result = nnbench_here(capsys, "summary", name)
        assert result.returncode == 0, result.stderr
        assert f"Total params: {total}" in result.stdout


def test_summary_of_every_bundled_preset_builds() -> None:
    from nnbench.core.model import analyze
    from nnbench.core.preset import bundled_presets, load_preset

    for name in bundled_presets():
        analysis = analyze(load_preset(name).model)
        assert analysis.ok, (name, analysis.error)


def test_summary_totals_equal_keras_own_summary() -> None:
    from nnbench.core.model import build_model, summarize
    from nnbench.core.preset import ModelSpec, load_preset

    dense = ModelSpec.model_validate({"layers": [{"type": "Input", "shape": [100]},
                                                 {"type": "Dense", "units": 10}]})
    assert summarize(build_model(dense)).total == 1_010
    model = build_model(load_preset("fashion-dropout").model)
    printed: list[str] = []
    model.summary(print_fn=lambda line, **_: printed.append(line))
    text = "\n".join(printed)
    ours = summarize(model)
    assert f"{ours.total:,}" in text.split("Total params:")[1].splitlines()[0]
    assert [r.params for r in ours.rows] == [0, 0, 78_500, 0, 1_010]


def test_sigkill_mid_training_leaves_an_interrupted_run_with_its_epochs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    preset = save_preset(tiny_preset(fit={"epochs": 100_000, "batch_size": 8}), tmp_path / "long.toml")
    runs = tmp_path / "runs"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "nnbench.core.cli", "train", str(preset),
                             "--runs-dir", str(runs)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            history = list(runs.glob("*/history.csv"))
            if history and len(history[0].read_text().splitlines()) >= 4:  # header + 3 epochs
                break
            time.sleep(0.2)
        else:
            pytest.fail("training never wrote 3 epochs")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    store = RunStore(runs)
    (record,) = store.list()
    assert record.status == "interrupted"
    rows = store.history(record.run_id)
    assert len(rows) >= 3
    assert [row["epoch"] for row in rows[:3]] == [0.0, 1.0, 2.0]
    listed = nnbench_here(capsys, "runs", "--runs-dir", str(runs))
    assert "interrupted" in listed.stdout


def test_ctrl_c_stops_after_the_batch_and_saves_a_stopped_run(tmp_path: Path) -> None:
    preset = save_preset(tiny_preset(fit={"epochs": 100_000}), tmp_path / "long.toml")
    runs = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "nnbench.core.cli", "train", str(preset),
                             "--runs-dir", str(runs)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(runs.glob("*/history.csv")):
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "stopped after" in out
    (record,) = RunStore(runs).list()
    assert record.status == "stopped"
    assert (Path(record.path) / "model.keras").is_file()


# --- saved presets by name (issue 7.5) ------------------------------------------------------------


def test_a_saved_preset_trains_summarizes_and_lists_by_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "my-presets"
    save_preset(tiny_preset(name="my-fashion", description="my tiny one"), mine / "my-fashion.toml")
    monkeypatch.setenv("NNBENCH_PRESETS_DIR", str(mine))

    summary = nnbench_here(capsys, "summary", "my-fashion")
    assert summary.returncode == 0, summary.stderr
    assert 'Model: "my-fashion"' in summary.stdout and "Total params: 67" in summary.stdout

    trained = nnbench_here(capsys, "train", "my-fashion", "--epochs", "1", "--runs-dir",
                           str(tmp_path / "runs"))
    assert trained.returncode == 0, trained.stderr
    (record,) = RunStore(tmp_path / "runs").list()
    assert record.status == "finished"

    listed = nnbench_here(capsys, "presets")
    assert listed.returncode == 0
    assert f"yours ({mine}):" in listed.stdout
    assert "my-fashion" in listed.stdout and "my tiny one" in listed.stdout
    assert "bundled" in listed.stdout and "digits-mlp" in listed.stdout


def test_without_the_saved_preset_the_name_is_refused_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNBENCH_PRESETS_DIR", str(tmp_path))
    result = nnbench_here(capsys, "summary", "my-fashion")
    assert result.returncode == 2
    assert "no bundled or saved preset named 'my-fashion'" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_shows_the_preset_form_beside_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    from nnbench.core.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    usage = capsys.readouterr().out.split("\n\n")[0]
    assert "nnbench [-h] [PRESET|PATH]" in usage and "nnbench COMMAND" in usage


def test_values_in_one_line_share_one_format() -> None:
    from nnbench.core.format import fmt_logs

    # A regression run: the loss in the thousands beside an error in the hundreds.
    assert fmt_logs({"loss": 30781.3, "mae": 156.4075}) == "loss 30,781.3000  mae 156.4075"
    assert fmt_logs({"loss": 30781.25, "val_loss": 41002.5}) == "loss 30,781.2  val_loss 41,002.5"
    assert fmt_logs({"loss": 0.31234, "accuracy": 0.9}) == "loss 0.3123  accuracy 0.9000"
