"""Advice read from a run's history: each rule fires on the history it describes, with its numbers,
and stays quiet on a healthy one; real Keras runs get the advice their history calls for."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import tiny_preset

from nnbench.core import events as ev
from nnbench.core.advice import (
    FLAT_CHANGE,
    OVERFIT_EPOCHS,
    History,
    advise,
    advise_history,
    advise_rows,
    history_of_rows,
)
from nnbench.core.run_state import replay
from nnbench.core.runs import RunStore
from nnbench.core.training import Trainer

# The IMDB tutorial's curves (shared/seeds): val_loss lowest at epoch 26, then rising to epoch 40.
IMDB_LOSS = [0.6915, 0.6848, 0.6715, 0.6478, 0.6118, 0.5671, 0.5181, 0.4694, 0.4252, 0.3868,
             0.3546, 0.3277, 0.3049, 0.2862, 0.2688, 0.2538, 0.2407, 0.2288, 0.2172, 0.2067,
             0.1976, 0.1885, 0.1805, 0.1723, 0.1650, 0.1584, 0.1519, 0.1461, 0.1396, 0.1343,
             0.1286, 0.1233, 0.1189, 0.1138, 0.1098, 0.1062, 0.1014, 0.0981, 0.0937, 0.0901]
IMDB_VAL = [0.6892, 0.6803, 0.6637, 0.6363, 0.5990, 0.5554, 0.5107, 0.4699, 0.4325, 0.4025,
            0.3797, 0.3591, 0.3446, 0.3316, 0.3219, 0.3141, 0.3073, 0.3016, 0.2972, 0.2940,
            0.2911, 0.2895, 0.2879, 0.2877, 0.2857, 0.2855, 0.2871, 0.2867, 0.2875, 0.2883,
            0.2902, 0.2920, 0.2935, 0.2968, 0.2996, 0.3017, 0.3078, 0.3076, 0.3110, 0.3138]


def rows(loss: list[float], val: list[float] | None = None, lr: float | None = None
         ) -> list[dict[str, float]]:
    """history.csv rows, epoch 0-based as CSVLogger writes them."""
    out = []
    for i, value in enumerate(loss):
        row = {"epoch": float(i), "loss": value}
        if val is not None:
            row["val_loss"] = val[i]
        if lr is not None:
            row["learning_rate"] = lr
        out.append(row)
    return out


def rules(advice: list) -> list[str]:
    return [a.rule for a in advice]


# --- overfitting ----------------------------------------------------------------------------------


def test_overfitting_fires_on_the_tutorials_curves_with_its_numbers() -> None:
    [advice] = advise_rows(rows(IMDB_LOSS, IMDB_VAL), "en")
    assert advice.rule == "overfitting"
    assert advice.numbers["best_epoch"] == 26 and advice.numbers["last_epoch"] == 40
    assert advice.numbers["epochs"] == 14
    assert advice.text == (
        "val_loss rose for 14 epochs (0.2855 at epoch 26 -> 0.3138 at epoch 40) while loss fell "
        "(0.1584 -> 0.0901): overfitting. Try Dropout, or EarlyStopping with "
        "restore_best_weights.")


def test_overfitting_in_korean_shows_the_same_numbers() -> None:
    [advice] = advise_rows(rows(IMDB_LOSS, IMDB_VAL), "ko")
    assert "과대적합" in advice.text
    for shown in ("14 에포크", "에포크 26", "0.2855", "에포크 40", "0.3138", "0.0901"):
        assert shown in advice.text


def test_a_healthy_run_gets_no_advice() -> None:
    # Both losses fall; val_loss wobbles but its last epoch is its lowest.
    loss = [1.0, 0.7, 0.5, 0.4, 0.33, 0.3, 0.28, 0.26]
    val = [1.1, 0.8, 0.62, 0.64, 0.5, 0.52, 0.47, 0.45]
    assert advise_rows(rows(loss, val, lr=0.001), "en") == []
    assert advise_rows(rows(loss, val, lr=0.001), "ko") == []


def test_the_first_twenty_epochs_of_the_tutorial_are_healthy() -> None:
    assert advise_rows(rows(IMDB_LOSS[:20], IMDB_VAL[:20]), "en") == []


def test_a_rise_shorter_than_the_rule_or_within_noise_is_not_overfitting() -> None:
    loss = [1.0, 0.8, 0.6, 0.5, 0.45, 0.4]
    short = [1.0, 0.8, 0.6, 0.5] + [0.55, 0.6]  # two epochs up: below OVERFIT_EPOCHS
    assert OVERFIT_EPOCHS > 2
    assert advise_rows(rows(loss, short), "en") == []
    noise = [1.0, 0.8, 0.6, 0.5] + [0.501, 0.502]  # ... and long but within 1% of the best
    assert advise_rows(rows(loss + [0.35], noise + [0.503]), "en") == []
    # Both losses rising is not overfitting (the model is getting worse everywhere).
    worse = [1.0, 0.8, 0.6, 0.5, 0.6, 0.7, 0.8]
    assert "overfitting" not in rules(advise_rows(rows(worse, [v + 0.1 for v in worse]), "en"))


def test_the_remedy_follows_what_the_run_already_has() -> None:
    history = history_of_rows(rows(IMDB_LOSS, IMDB_VAL))
    with_dropout = History(history.series, layer_types=("InputLayer", "Dense", "Dropout", "Dense"))
    [advice] = advise_history(with_dropout, "en")
    assert "There is Dropout already: try a higher rate" in advice.text
    restored = History(history.series, early_stopped=ev.EarlyStopped(
        "val_loss", stopped_epoch=40, best_epoch=26, best_value=0.2855, restored_weights=True))
    overfit, stopped = advise_history(restored, "en")
    assert "EarlyStopping kept epoch 26's weights" in overfit.text
    assert stopped.rule == "early_stopped"


# --- the other rules ------------------------------------------------------------------------------


def test_a_loss_that_barely_moves_asks_about_the_learning_rate() -> None:
    [advice] = advise_rows(rows([2.3026, 2.3020, 2.3016, 2.3011], lr=1e-5), "en")
    assert advice.rule == "flat_loss"
    assert abs(advice.numbers["change"]) < FLAT_CHANGE and advice.numbers["learning_rate"] == 1e-5
    assert advice.text == ("loss barely moved over 4 epochs (2.3026 -> 2.3011, -0.07% change): "
                           "learning rate too low? It was 1e-05; try ten times more.")
    assert "학습률이 너무 작은가?" in advise_rows(rows([2.3026, 2.3020, 2.3016], lr=1e-5), "ko")[0].text
    # A loss that falls, or a run too short to say, gets none.
    assert advise_rows(rows([2.3, 2.0, 1.8, 1.7], lr=1e-5), "en") == []
    assert advise_rows(rows([2.3026, 2.3020], lr=1e-5), "en") == []


@pytest.mark.parametrize(("restored", "expected"), [
    (True, "Stopped at epoch 33, weights from epoch 30 restored (val_loss 0.2855): the model you "
           "keep is the best one, not the last."),
    (False, "Stopped at epoch 33; the best was epoch 30 (val_loss 0.2855), but the model keeps "
            "epoch 33's weights. Set restore_best_weights = true to keep the best."),
])
def test_early_stopping_says_which_epoch_the_model_keeps(restored: bool, expected: str) -> None:
    loss = [1.0 - 0.01 * i for i in range(33)]
    val = [1.0 - 0.01 * i for i in range(30)] + [0.705, 0.706, 0.707]  # within noise: no overfit
    summary = {"monitor": "val_loss", "stopped_epoch": 33, "best_epoch": 30,
               "best_value": 0.2855, "restored_weights": restored, "unknown_key": 1}
    [advice] = advise_rows(rows(loss, val), "en", early_stopped=summary)
    assert advice.rule == "early_stopped" and advice.text == expected
    assert advice.numbers["stopped"] == 33 and advice.numbers["best"] == 30


def test_a_non_finite_loss_is_the_only_advice() -> None:
    loss = [5.0, 3.0, 2.0, 1.5, float("nan")]
    [advice] = advise_rows(rows(loss, lr=10.0), "en")
    assert advice.rule == "non_finite" and advice.numbers["epoch"] == 5
    assert advice.text.startswith("loss became nan at epoch 5 and training stopped")
    assert "(it was 10)" in advice.text
    event = ev.NonFiniteLoss(epoch=2, batch=7, value=float("inf"))
    history = History(history_of_rows(rows([1.0, 1.0, 1.0])).series, non_finite=event)
    [advice] = advise_history(history, "ko")
    assert "에포크 2, 배치 7" in advice.text and "inf" in advice.text
    assert "기록 없음" in advice.text  # no learning rate logged


def test_history_rows_count_epochs_from_one() -> None:
    history = history_of_rows([{"epoch": 0.0, "loss": 1.0, "lr": 0.1},
                               {"epoch": 1.0, "loss": 0.5, "lr": 0.1}])
    assert history.series["loss"] == [(1, 1.0), (2, 0.5)]
    assert history.series["learning_rate"] == [(1, 0.1), (2, 0.1)]


def test_outside_text_in_a_monitor_name_is_shown_not_obeyed() -> None:
    [advice] = advise_rows(rows([1.0, 0.5, 0.3]), "en", early_stopped={
        "monitor": "val_\x1b[2Jx", "stopped_epoch": 3, "best_epoch": 1, "best_value": 0.9,
        "restored_weights": True})
    assert "\x1b" not in advice.text and "\\x1b" in advice.text


# --- real runs ------------------------------------------------------------------------------------


def _run(preset, runs_dir: Path):
    final = Trainer(preset, runs_dir).run()
    store = RunStore(runs_dir)
    record = store.list()[0]
    events = store.events(record.run_id)
    return final, record, replay(events), events, store.history(record.run_id)


def test_a_real_early_stopped_run_says_so_from_its_events_and_from_its_files(
        runs_dir: Path) -> None:
    # min_delta so large that nothing after epoch 1 counts as better: stops at epoch 3.
    preset = tiny_preset(fit={"epochs": 10}, callbacks={"EarlyStopping": {
        "monitor": "val_loss", "patience": 2, "min_delta": 100.0, "restore_best_weights": True}})
    final, record, state, events, history = _run(preset, runs_dir)
    assert final.status == "finished", final.error
    from_events = [a for a in advise(state, "en", events=events) if a.rule == "early_stopped"]
    assert from_events and from_events[0].text.startswith(
        "Stopped at epoch 3, weights from epoch 1 restored (val_loss ")
    from_files = advise_rows(history, "en", early_stopped=record.early_stopped)
    assert [a.text for a in from_files if a.rule == "early_stopped"] == [from_events[0].text]


def test_a_real_run_with_a_tiny_learning_rate_is_told_so(runs_dir: Path) -> None:
    preset = tiny_preset(compile={"optimizer": {"type": "adam", "learning_rate": 1e-7}},
                         fit={"epochs": 3})
    final, _, state, events, _ = _run(preset, runs_dir)
    assert final.status == "finished", final.error
    advice = advise(state, "en", events=events)
    assert rules(advice) == ["flat_loss"]
    assert "It was 1e-07" in advice[0].text


def test_a_real_run_whose_loss_blows_up_names_the_batch(runs_dir: Path) -> None:
    preset = tiny_preset(
        data={"source": "sklearn:diabetes", "scaling": "none"},
        model={"layers": [{"type": "Input", "shape": [10]}, {"type": "Dense", "units": 1}]},
        compile={"loss": "mean_squared_error", "optimizer": {"type": "sgd", "learning_rate": 1e12},
                 "metrics": ["mae"]},
        fit={"epochs": 20})
    final, _, state, events, _ = _run(preset, runs_dir)
    assert final.status == "failed"
    [advice] = advise(state, "en", events=events)
    assert advice.rule == "non_finite" and advice.numbers["batch"] is not None
    assert not math.isfinite(advice.numbers["value"])
    assert f"batch {advice.numbers['batch']}" in advice.text
    # The run model alone (no events kept) still sees it, in the epoch's logged loss.
    assert rules(advise(state, "en")) == ["non_finite"]


def test_advice_lines_wrap_each_piece_by_cells() -> None:
    from rich.cells import cell_len

    from nnbench.core.advice import advice_lines

    advice = advise_rows(rows(IMDB_LOSS, IMDB_VAL), "ko")
    lines = advice_lines(advice, width=50)
    assert lines[0].startswith("* ") and all(line.startswith("  ") for line in lines[1:])
    assert all(cell_len(line) <= 50 for line in lines)
    assert " ".join(line[2:] for line in lines) == advice[0].text
