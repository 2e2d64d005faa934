"""How numbers read (core/format.py): the one place the CLI, the event log, the progress line and
the runs table take their words from. Each case is what a person sees for a value.

(format.py's ``first_metric``, ``monitor_mode`` and ``best_epoch`` are not pinned here: nothing
calls them, and core/monitor.py and core/run_state.py are the homes of those rules.)"""

from __future__ import annotations

import math

import pytest

from nnbench.core.format import fmt_logs, fmt_lr, fmt_seconds, fmt_shape, fmt_value, shared_decimals


@pytest.mark.parametrize(("value", "shown"), [
    (0.31214, "0.3121"),
    (0.0, "0.0000"),
    (1.0, "1.0000"),
    (-0.5, "-0.5000"),
    (156.40749, "156.4075"),
    (999.99994, "999.9999"),
    (1000.0, "1,000.0"),  # from 1,000 up: one decimal, and a thousands separator
    (30781.3, "30,781.3"),
    (999_999.0, "999,999.0"),
    (1e6, "1.000e+06"),  # huge: scientific
    (0.001, "0.0010"),
    (0.00099, "9.900e-04"),  # tiny: scientific, not 0.0010
    (-2.5e-7, "-2.500e-07"),
    (7, "7.0000"),  # an int is a value like any other
])
def test_a_value_has_four_decimals_one_from_a_thousand_and_is_scientific_when_tiny_or_huge(
        value: float, shown: str) -> None:
    assert fmt_value(value) == shown


def test_non_finite_missing_and_odd_values_say_what_they_are() -> None:
    assert fmt_value(math.nan) == "nan"
    assert fmt_value(math.inf) == "inf"
    assert fmt_value(-math.inf) == "-inf"
    assert fmt_value(None) == "-"
    assert fmt_value(True) == "True"  # not 1.0000: a flag is not a measurement
    assert fmt_value("n/a") == "n/a"  # type: ignore[arg-type]


def test_decimals_given_override_the_size_rule_but_not_scientific() -> None:
    assert fmt_value(30781.3, decimals=4) == "30,781.3000"
    assert fmt_value(0.5, decimals=1) == "0.5"
    assert fmt_value(1e-5, decimals=4) == "1.000e-05"


def test_shared_decimals_are_decided_by_the_smallest_plain_value() -> None:
    assert shared_decimals([30781.3, 156.4]) == 4  # the small one keeps its digits
    assert shared_decimals([30781.3, 2000.0]) == 1  # all large: one decimal each
    # Values written in scientific notation, non-finite, missing and flags don't decide.
    assert shared_decimals([30781.3, 1e-5, 5e7, math.nan, None, True]) == 1
    assert shared_decimals([]) == 4


def test_a_line_of_logs_puts_the_loss_first_validation_last_and_shares_one_format() -> None:
    logs = {"mae": 156.40749, "val_mae": 160.0, "val_loss": 31000.0, "loss": 30781.3,
            "learning_rate": 0.001}
    assert fmt_logs(logs) == ("loss 30,781.3000  mae 156.4075  val_loss 31,000.0000  "
                              "val_mae 160.0000")
    assert fmt_logs({"accuracy": 0.9, "loss": 0.3, "lr": 0.01}) == "loss 0.3000  accuracy 0.9000"
    assert fmt_logs({"loss": 0.3, "lr": 0.01}, skip=frozenset()) == "loss 0.3000  lr 0.0100"
    assert fmt_logs({}) == ""


def test_a_learning_rate_is_written_as_people_write_it() -> None:
    assert fmt_lr(0.001) == "0.001"
    assert fmt_lr(0.0005) == "0.0005"
    assert fmt_lr(5e-5) == "5e-05"
    assert fmt_lr(0.1234567) == "0.123"
    assert fmt_lr(None) == "-"
    assert fmt_lr(math.nan) == "nan"


def test_a_shape_is_written_as_keras_prints_it() -> None:
    assert fmt_shape((None, 28, 28)) == "(None, 28, 28)"
    assert fmt_shape((10,)) == "(10,)"  # a one-tuple keeps its comma
    assert fmt_shape([None, 4]) == "(None, 4)"
    assert fmt_shape(()) == "()"


@pytest.mark.parametrize(("seconds", "shown"), [
    (0.0, "0.0s"),
    (0.44, "0.4s"),
    (9.94, "9.9s"),
    (9.96, "10s"),  # rounded first: not "10.0s"
    (12.4, "12s"),
    (59.4, "59s"),
    (59.6, "1m00s"),
    (185, "3m05s"),
    (3599.4, "59m59s"),
    (3600, "1h00m"),
    (3725, "1h02m"),
    (90061, "25h01m"),  # a day is still hours
])
def test_a_duration_reads_as_seconds_minutes_or_hours(seconds: float, shown: str) -> None:
    assert fmt_seconds(seconds) == shown


@pytest.mark.parametrize("seconds", [None, -1.0, math.nan, math.inf])
def test_an_unknown_duration_is_a_dash(seconds: float | None) -> None:
    assert fmt_seconds(seconds) == "-"
