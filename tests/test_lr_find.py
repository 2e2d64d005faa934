"""The learning-rate finder: the suggestion sits where the loss falls fastest, the range test on
real Keras climbs exponentially until the loss diverges, and ``nnbench lr-find`` prints both."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_preset

from nnbench.core import cli
from nnbench.core.lr_find import LrFindResult, lr_range_test, schedule, smooth, suggest
from nnbench.core.preset import save_preset


def _falling_curve(rates: list[float], fastest_at: float) -> list[float]:
    """A loss that falls along a tanh centred on ``fastest_at`` (its steepest point) and blows up
    two decades later, as a range test's curve does."""
    centre = math.log10(fastest_at)
    return [2.0 - math.tanh(2.0 * (math.log10(r) - centre)) + max(0.0, math.log10(r) - centre - 2) ** 2 * 20
            for r in rates]


@pytest.mark.parametrize("fastest_at", [1e-4, 1e-3, 3e-2])
def test_the_suggestion_is_where_the_loss_falls_fastest(fastest_at: float) -> None:
    rates = schedule(1e-7, 10.0, 100)
    losses = _falling_curve(rates, fastest_at)
    index = suggest(rates, losses)
    assert index is not None
    step = math.log10(rates[1]) - math.log10(rates[0])
    assert abs(math.log10(rates[index]) - math.log10(fastest_at)) <= step  # within one step


def test_noise_is_smoothed_before_the_slope_is_read() -> None:
    rates = schedule(1e-7, 10.0, 100)
    rng = np.random.default_rng(0)
    noisy = [v + rng.normal(0, 0.15) for v in _falling_curve(rates, 1e-3)]
    index = suggest(rates, smooth(noisy, beta=0.7))
    assert index is not None and 1e-4 <= rates[index] <= 1e-2


def test_a_curve_that_never_falls_has_no_suggestion() -> None:
    rates = schedule(1e-3, 10.0, 30)
    assert suggest(rates, [1.0 + i for i in range(30)]) is None


@pytest.fixture(scope="module")
def regression_preset(tmp_path_factory: pytest.TempPathFactory):
    """y = x . w on 256 standardised samples, a linear model, plain SGD."""
    folder = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (x @ np.array([1.5, -2.0, 0.5, 1.0]) + rng.normal(0, 0.05, 256)).astype("float32")
    np.savez(folder / "linear.npz", x_train=x, y_train=y)
    return tiny_preset(
        name="linear",
        data={"source": f"npz:{folder / 'linear.npz'}", "test_split": None, "scaling": "none"},
        model={"layers": [{"type": "Input", "shape": [4]}, {"type": "Dense", "units": 1}]},
        compile={"loss": "mse", "optimizer": {"type": "sgd", "learning_rate": 0.01},
                 "metrics": []},
        fit={"batch_size": 32, "validation_split": None, "seed": 1})


@pytest.fixture(scope="module")
def found(regression_preset) -> LrFindResult:
    return lr_range_test(regression_preset, start=1e-5, end=100.0, steps=60)


def test_the_range_test_climbs_until_the_loss_diverges(found: LrFindResult) -> None:
    rates = [p.learning_rate for p in found.points]
    ratios = np.diff(np.log(rates))
    assert np.allclose(ratios, ratios[0]) and ratios[0] > 0  # exponential steps
    assert found.ended == "diverged" and rates[-1] < 100.0
    assert found.current_lr == 0.01


def test_on_real_keras_the_suggestion_is_where_the_smoothed_loss_falls_fastest(
        found: LrFindResult) -> None:
    points = found.points
    index = found.suggested_index
    assert index is not None
    lowest = min(range(len(points)), key=lambda i: points[i].smoothed)
    assert index < lowest  # on the way down, not past the bottom
    logs = np.log10([p.learning_rate for p in points])
    slopes = np.gradient([p.smoothed for p in points], logs)
    assert slopes[index] == pytest.approx(min(slopes[5:lowest + 1]))
    assert points[index].smoothed < points[0].smoothed
    # For this problem plain SGD learns at 1e-2..1 and blows up around 2/largest eigenvalue.
    assert 1e-3 < found.suggested < 2.0


def test_nnbench_lr_find_prints_the_table_and_the_suggestion(
        regression_preset, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = save_preset(regression_preset, tmp_path / "linear.toml")
    code = cli.main(["lr-find", str(path), "--steps", "40", "--start", "1e-5", "--end", "100"])
    out = capsys.readouterr().out
    assert code == 0
    assert "learning rate" in out and "smoothed" in out
    assert "<- suggested: the loss falls fastest here" in out
    assert "suggested learning rate: " in out and "the preset has 0.01" in out
    assert "set it: compile.optimizer.learning_rate = " in out
    rows = [line for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert 10 <= len(rows) <= 30


def test_nnbench_lr_find_refuses_a_nonsense_range(regression_preset, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = save_preset(regression_preset, tmp_path / "linear.toml")
    assert cli.main(["lr-find", str(path), "--start", "1", "--end", "0.1"]) == 2
    assert "0 < start < end" in capsys.readouterr().err
