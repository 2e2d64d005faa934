"""Layer health and the live confusion matrix: the numpy maths against references, and real Keras
runs on the digits: a layer built to die is flagged, a healthy MLP is not."""

from __future__ import annotations

import csv
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import tiny_preset

from nnbench.core import events as ev
from nnbench.core import layer_health as lh
from nnbench.core.describe import describe
from nnbench.core.run_state import replay
from nnbench.core.runs import read_events


def _digits(lr: float, optimizer: str = "sgd", epochs: int = 3) -> Any:
    return tiny_preset(
        name="digits-doomed", data={"source": "sklearn:digits"},
        model={"layers": [
            {"type": "Input", "shape": [64]},
            {"type": "Dense", "units": 32, "activation": "relu", "name": "first"},
            {"type": "Dense", "units": 32, "activation": "relu", "name": "doomed"},
            {"type": "Dense", "units": 10, "activation": "softmax"}]},
        compile={"optimizer": {"type": optimizer, "learning_rate": lr}},
        fit={"epochs": epochs, "batch_size": 32})


def _train(preset: Any, runs_dir: Path) -> tuple[ev.RunFinished, list[ev.Event]]:
    from nnbench.core import health_callback
    from nnbench.core.training import Trainer

    seen: list[ev.Event] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(health_callback, "BUDGET", math.inf)  # every epoch, whatever the host's speed
        mp.delenv(health_callback.INSIDE_ENV, raising=False)
        final = Trainer(preset, runs_dir, listeners=[seen.append]).run()
    assert final.status == "finished", final.error
    return final, seen


@pytest.fixture(scope="module")
def doomed(tmp_path_factory: pytest.TempPathFactory) -> tuple[ev.RunFinished, list[ev.Event]]:
    # Plain SGD at a learning rate of 3: the first update pushes the second layer's units below
    # zero for every input, and a dead ReLU gets no gradient to come back.
    return _train(_digits(3.0), tmp_path_factory.mktemp("doomed"))


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> tuple[ev.RunFinished, list[ev.Event]]:
    return _train(_digits(0.001, "adam"), tmp_path_factory.mktemp("healthy"))


def _of(seen: list[ev.Event], kind: type) -> list[Any]:
    return [e for e in seen if isinstance(e, kind)]


# --- real runs --------------------------------------------------------------------------------


def _train_on_a_tight_budget(preset: Any, runs_dir: Path) -> tuple[ev.RunFinished, list[ev.Event]]:
    """Train with a measuring budget of nothing: only the epochs the governor must measure are."""
    from nnbench.core import health_callback
    from nnbench.core.training import Trainer

    seen: list[ev.Event] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(health_callback, "BUDGET", 0.0)
        mp.delenv(health_callback.INSIDE_ENV, raising=False)
        final = Trainer(preset, runs_dir, listeners=[seen.append]).run()
    assert final.status == "finished", final.error
    return final, seen


def _csv_epochs(final: ev.RunFinished) -> list[int]:
    from nnbench.core.health_callback import LAYERS_CSV

    with open(Path(final.run_dir or "") / LAYERS_CSV, newline="", encoding="utf-8") as f:
        return sorted({int(row[0]) for row in list(csv.reader(f))[1:]})


def test_an_early_stopped_run_is_measured_at_the_epoch_it_stopped_on(runs_dir: Path) -> None:
    # A min_delta nothing can reach: the first epoch sets the best, the next two wait, and
    # EarlyStopping ends the run at epoch 3 of the 8 planned (issue #13).
    preset = tiny_preset(fit={"epochs": 8}, callbacks={"EarlyStopping": {
        "monitor": "loss", "patience": 2, "min_delta": 10.0}})
    final, seen = _train_on_a_tight_budget(preset, runs_dir)
    assert final.epochs_done == 3 < 8
    assert [h.epoch for h in _of(seen, ev.LayerHealth)] == [1, 2, 3]
    assert _csv_epochs(final) == [1, 2, 3]
    state = replay(read_events(Path(final.run_dir or "") / "events.jsonl"))
    assert max(state.health) == 3  # the Inside view ends at the stop epoch too
    last = _of(seen, ev.LayerHealth)[-1]
    assert all(s.update_ratio is not None and s.update_ratio > 0 for s in last.layers
               if s.weights), "the stop epoch's update ratio is over that epoch, not zero"


def test_a_run_that_trains_every_epoch_is_measured_once_at_its_end(runs_dir: Path) -> None:
    final, seen = _train_on_a_tight_budget(tiny_preset(fit={"epochs": 4}), runs_dir)
    assert final.epochs_done == 4
    assert [h.epoch for h in _of(seen, ev.LayerHealth)] == [1, 2, 4]
    assert _csv_epochs(final) == [1, 2, 4]



def test_a_layer_built_to_die_is_flagged_at_that_layer_in_the_first_epoch(doomed) -> None:
    _, seen = doomed
    health = _of(seen, ev.LayerHealth)
    assert [h.epoch for h in health] == [1, 2, 3]
    first = health[0]
    dead = [f for f in first.fired if f.rule == "dead"]
    assert [f.layer for f in dead] == ["doomed"], first.flags
    assert "never activate (dead ReLU)" in dead[0].text and "LeakyReLU/He init" in dead[0].text
    by_name = {s.name: s for s in first.layers}
    assert by_name["doomed"].dead >= lh.DEAD_FLAG > by_name["first"].dead
    # Said once: the next epochs still hold the flag but do not fire it again.
    assert all(any(f.rule == "dead" for f in h.flags) and not h.fired for h in health[1:])
    lines = [line.text for h in health for line in describe(h)]
    assert lines == [f"epoch 1: {dead[0].text}"]


def test_a_healthy_digits_mlp_raises_no_flag(healthy) -> None:
    _, seen = healthy
    health = _of(seen, ev.LayerHealth)
    assert len(health) == 3
    assert [f for h in health for f in h.flags] == []
    layer = health[-1].layers[0]
    assert layer.name == "first" and layer.weights == 64 * 32 and sum(layer.histogram) == 64 * 32
    assert 0 < layer.update_ratio < 1 and layer.grad_norm > 0 and layer.dead < lh.DEAD_FLAG


def test_events_layers_csv_and_the_run_model_agree(healthy) -> None:
    final, seen = healthy
    run = Path(final.run_dir)
    on_disk = read_events(run / "events.jsonl")
    assert _of(on_disk, ev.LayerHealth) == _of(seen, ev.LayerHealth)  # nested dataclasses back
    assert _of(on_disk, ev.ConfusionMatrixUpdated) == _of(seen, ev.ConfusionMatrixUpdated)
    with (run / "layers.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["epoch"], r["layer"]) for r in rows[:3]] == [("1", "first"), ("1", "doomed"),
                                                           ("1", "dense")]
    assert len(rows) == 9 and float(rows[0]["grad_norm"]) == pytest.approx(
        _of(seen, ev.LayerHealth)[0].layers[0].grad_norm, rel=1e-5)
    state = replay(on_disk)
    assert sorted(state.health) == [1, 2, 3] and sorted(state.confusion) == [1, 2, 3]


def test_the_confusion_matrix_is_scikit_learns_on_the_same_predictions(healthy) -> None:
    from sklearn.metrics import confusion_matrix, recall_score

    from nnbench.core.data import load_data
    from nnbench.core.health_callback import draw_samples
    from nnbench.core.keras_env import import_keras

    final, seen = healthy
    last = _of(seen, ev.ConfusionMatrixUpdated)[-1]
    assert last.class_names == [str(i) for i in range(10)] and last.split == "validation"
    preset = _digits(0.001, "adam")
    samples = draw_samples(load_data(preset.data, preset.fit))
    assert last.samples == len(samples.x_probe) == 288  # the whole validation split: it is small
    model = import_keras().saving.load_model(Path(final.run_dir) / "model.keras")
    predicted = np.argmax(model.predict(samples.x_probe, verbose=0), axis=-1)
    assert np.array_equal(last.matrix, confusion_matrix(samples.classes, predicted,
                                                        labels=list(range(10))))
    assert last.recall == pytest.approx(list(recall_score(samples.classes, predicted,
                                                          average=None, labels=list(range(10)))))


def test_inside_off_trains_the_same_without_any_health(tmp_path: Path, healthy,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from nnbench.core.training import Trainer

    monkeypatch.setenv("NNBENCH_INSIDE", "0")
    seen: list[ev.Event] = []
    final = Trainer(_digits(0.001, "adam"), tmp_path, listeners=[seen.append]).run()
    assert not _of(seen, ev.LayerHealth) and not (Path(final.run_dir) / "layers.csv").exists()
    on = [e.logs["loss"] for e in _of(healthy[1], ev.EpochEnded)]
    assert [e.logs["loss"] for e in _of(seen, ev.EpochEnded)] == on  # measuring changes nothing


# --- the maths --------------------------------------------------------------------------------


def test_confusion_and_recall_match_scikit_learn_on_random_labels() -> None:
    from sklearn.metrics import confusion_matrix, recall_score

    rng = np.random.default_rng(3)
    truth, predicted = rng.integers(0, 5, 400), rng.integers(0, 5, 400)
    truth[truth == 4] = 3  # class 4 never true: its recall is unknown, not 0
    matrix = lh.confusion(truth, predicted, 5)
    assert np.array_equal(matrix, confusion_matrix(truth, predicted, labels=range(5)))
    got = lh.recall(matrix)
    assert got[4] is None
    want = recall_score(truth, predicted, labels=range(4), average=None)
    assert got[:4] == pytest.approx(list(want))


def test_weight_summary_and_update_ratio() -> None:
    w = np.random.default_rng(0).normal(size=(30, 20))
    s = lh.summarize_weights(w, bins=12)
    assert s.histogram == list(np.histogram(w, bins=12)[0])
    assert (s.mean, s.std, s.min, s.max) == pytest.approx((w.mean(), w.std(), w.min(), w.max()))
    assert lh.update_ratio(w, w * 1.1) == pytest.approx(0.1)
    assert lh.update_ratio(np.zeros(3), np.ones(3)) is None
    assert lh.summarize_weights(np.array([np.nan, 1.0])).histogram == []


def test_an_overflowing_update_ratio_is_an_answer_not_a_warning() -> None:
    big = np.full((2, 2), 1e308)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ratio = lh.update_ratio(big, -big)
    assert ratio is None or not math.isfinite(ratio)


def _measured_epochs(governor: lh.Governor, epochs: int, epoch_s: float,
                     costs: list[float]) -> list[int]:
    done = []
    for epoch in range(1, epochs + 1):
        governor.trained += epoch_s
        if governor.due(epoch):
            cost = costs[min(len(done), len(costs) - 1)]
            governor.measured(epoch, cost)
            governor.spent += cost
            done.append(epoch)
    return done


def test_the_governor_keeps_measuring_after_a_slow_first_measurement() -> None:
    # Digits-sized epochs (0.3 s), a first measurement paying the eager warm-up (0.6 s), later
    # ones 0.03 s: measured every few epochs, not stuck at epoch 1 for 60 epochs.
    done = _measured_epochs(lh.Governor(0.03, epochs=100), 100, 0.3, [0.6, 0.03])
    assert done[:2] == [1, 2] and done[-1] == 100
    gaps = [b - a for a, b in zip(done[1:], done[2:-1], strict=False)]
    assert gaps and max(gaps) <= 10 and len(done) >= 20
    # and within the budget, the warm-up aside
    assert (len(done) - 1) * 0.03 <= 0.03 * 100 * 0.3 + 0.03
    # A measurement as slow as an epoch is taken rarely.
    slow = _measured_epochs(lh.Governor(0.03, epochs=100), 100, 0.3, [0.3])
    assert len(slow) <= 6


def test_the_governor_names_an_unmeasured_last_epoch_once() -> None:
    governor = lh.Governor(0.0, epochs=10)
    for epoch in range(1, 6):  # stopped at epoch 5, which nothing announced
        if governor.due(epoch):
            governor.measured(epoch, 0.01)
    assert governor.last_measured == 2 and governor.unmeasured_end() == 5
    governor.measured(5, 0.0)
    assert governor.unmeasured_end() is None
    stopping = lh.Governor(0.0, epochs=10, spent=1.0)  # the budget allows nothing more
    assert not stopping.due(3) and stopping.due(4, stopping=True)


def test_dead_and_saturated_units_are_counted_per_unit() -> None:
    relu = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 0.5]])  # unit 0 never fires; 2 fires once
    tally = lh.UnitTally()
    tally.add(*lh.tally_activations(relu, "relu"))
    assert tally.dead() == pytest.approx(1 / 3)
    tanh = np.array([[0.99, 0.1], [-0.995, 0.0]] * 5)
    tally = lh.UnitTally()
    tally.add(*lh.tally_activations(tanh, "tanh"))
    assert tally.saturated_share() == 0.5
    sig = np.full((4, 2, 2, 3), 0.999)  # a conv layer: units are channels
    active, stuck, positions = lh.tally_activations(sig, "sigmoid")
    assert positions == 16 and list(stuck) == [16, 16, 16]


def _stats(name: str, **kw: Any) -> ev.LayerStats:
    return ev.LayerStats(name=name, type="Dense", activation=kw.pop("activation", "relu"),
                         weights=4, mean=0.0, std=1.0, min=-1.0, max=1.0, **kw)


def test_rules_in_words() -> None:
    flags = lh.rules([_stats("dense_1", dead=0.62)], 1.0, [])
    assert [f.text for f in flags] == ["dense_1: 62% of units never activate (dead ReLU) — lower "
                                       "the learning rate or use LeakyReLU/He init"]
    assert lh.rules([_stats("dense_1", dead=0.49)], 1.0, []) == []
    out = _stats("out", activation="sigmoid", saturated=0.9)
    assert lh.rules([out], 1.0, [], output_layer="out") == []  # a confident output is the point
    assert lh.rules([out], 1.0, [])[0].rule == "saturated"
    earlier = [[_stats("a", grad_norm=0.01), _stats("b", grad_norm=0.01)]] * 3
    now = [_stats("a", grad_norm=0.02), _stats("b", grad_norm=2.0)]
    grown = lh.rules(now, 2.0, [0.01, 0.5, 1.0], earlier)
    assert [f.text.split(" — ")[0] for f in grown] == [
        "gradient norm grew 200x in 3 epochs (0.01 -> 2), most in b"]
    assert lh.rules(now, 2.0, [0.01, 0.5, 1.0, 1.5], earlier) == []  # 0.01 is 4 epochs back
    assert lh.newly_fired(grown, grown) == [] and lh.newly_fired(grown, []) == grown


def test_changed_cells_are_the_ones_that_moved_most() -> None:
    before = [[5, 0], [0, 5]]
    assert lh.changed_cells([[2, 3], [0, 5]], before, top=2) == {(0, 0), (0, 1)}
    assert lh.changed_cells(before, before) == set() and lh.changed_cells(before, None) == set()


def test_a_layer_health_event_survives_json() -> None:
    event = ev.LayerHealth(2, [_stats("d", dead=0.7, histogram=[1, 2])], 0.5,
                           [ev.HealthFlag("d", "dead", "d: dead")], [], 10, 0.01)
    assert ev.event_from_dict(json.loads(json.dumps(ev.event_to_dict(event)))) == event
