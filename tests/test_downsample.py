"""The chart's downsampler: fewer points, the extremes and the gaps kept."""

from __future__ import annotations

import math
import random

import pytest

from nnbench.core.downsample import downsample, keep_indices, points_for_width


def test_short_curve_is_kept_whole_as_a_copy():
    xs, ys = [1.0, 2.0, 3.0], [0.5, 0.4, 0.3]
    out_x, out_y = downsample(xs, ys, 10)
    assert (out_x, out_y) == (xs, ys)
    assert out_x is not xs and out_y is not ys


def test_ten_thousand_epochs_fit_the_budget_and_keep_first_last_and_order():
    ys = [math.sin(i / 50) + i / 10_000 for i in range(10_000)]
    xs = [float(i + 1) for i in range(10_000)]
    out_x, out_y = downsample(xs, ys, 200)
    assert len(out_x) <= 200
    assert len(out_x) >= 100  # not thrown away either
    assert out_x[0] == 1.0 and out_x[-1] == 10_000.0
    assert out_x == sorted(out_x)
    assert all(ys[int(x) - 1] == y for x, y in zip(out_x, out_y, strict=True))


def test_global_extremes_survive_even_a_single_spike():
    rng = random.Random(3)
    ys = [1.0 + rng.random() * 0.01 for _ in range(10_000)]
    ys[4321] = 9.0  # a spike
    ys[7777] = -3.0  # the best epoch
    kept = keep_indices(ys, 60)
    assert 4321 in kept and 7777 in kept
    # every bucket's own extremes, not just the global ones: each kept bucket min/max is real
    values = [ys[i] for i in kept]
    assert max(values) == 9.0 and min(values) == -3.0


def test_every_bucket_keeps_its_own_min_and_max():
    ys = [float((i * 37) % 101) for i in range(1_000)]
    max_points = 32
    kept = set(keep_indices(ys, max_points))
    buckets = (max_points - 2) // 3
    inner = len(ys) - 2
    for b in range(buckets):
        start, stop = 1 + b * inner // buckets, 1 + (b + 1) * inner // buckets
        chunk = range(start, stop)
        lowest = min(chunk, key=lambda i: ys[i])
        highest = max(chunk, key=lambda i: ys[i])
        assert lowest in kept and highest in kept


def test_a_nan_gap_stays_a_gap():
    ys = [0.5] * 5_000
    ys[2_500] = math.nan
    ys[4_000] = math.inf
    kept = keep_indices(ys, 40)
    assert 2_500 in kept and 4_000 in kept
    assert len(kept) <= 40


def test_all_nan_and_non_numbers_do_not_crash():
    ys = [math.nan] * 1_000
    assert len(keep_indices(ys, 20)) <= 20
    mixed = [None, 1.0, "x", 2.0] * 300
    assert len(keep_indices(mixed, 30)) <= 30  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_tiny_inputs(n):
    assert keep_indices([1.0] * n, 5) == list(range(n))


def test_budget_below_five_is_raised_to_five():
    kept = keep_indices([float(i % 7) for i in range(100)], 1)
    assert len(kept) <= 5 and kept[0] == 0 and kept[-1] == 99


def test_lengths_must_match():
    with pytest.raises(ValueError, match="one x per y"):
        downsample([1, 2], [1.0], 10)


def test_points_for_width():
    assert points_for_width(100) == 200
    assert points_for_width(1) == 8
