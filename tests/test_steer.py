"""Steering a running fit: a new learning rate or EarlyStopping patience reaches the trainer
through the run's control file (as from ``nnbench steer`` or the app), takes effect before the
next batch, is an event, shows in the history, and the exported script redoes it."""

from __future__ import annotations

import csv
import json
import runpy
from pathlib import Path

import pytest
from conftest import tiny_preset

from nnbench.core import control
from nnbench.core import events as ev
from nnbench.core.describe import describe
from nnbench.core.errors import NnbenchError
from nnbench.core.export import export_run
from nnbench.core.run_state import replay
from nnbench.core.runs import read_events
from nnbench.core.training import Trainer

NEW_LR = 0.0123


def steered_run(runs_dir: Path, preset, *, at_epoch: int = 1, **wish) -> tuple[Trainer, list]:
    """Train ``preset``; when epoch ``at_epoch`` ends, ask for ``wish`` through the control file,
    as another process would."""
    seen: list = []
    run_dir: list[str] = []

    def listener(event) -> None:
        seen.append(event)
        if isinstance(event, ev.RunStarted):
            run_dir.append(event.run_dir)
        if isinstance(event, ev.EpochEnded) and event.epoch == at_epoch:
            control.steer(run_dir[0], **wish)

    trainer = Trainer(preset, runs_dir, listeners=[listener])
    trainer.run()
    return trainer, seen


@pytest.fixture(autouse=True)
def poll_every_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    # The control file is read at most every 0.1 s; tiny epochs last less than that.
    monkeypatch.setattr(control, "POLL_SECONDS", 0.0)


@pytest.fixture(scope="module")
def lr_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Trainer, list]:
    # ReduceLROnPlateau (never firing here) makes Keras log the learning rate in history.csv.
    preset = tiny_preset(fit={"epochs": 3}, callbacks={
        "ReduceLROnPlateau": {"monitor": "val_loss", "patience": 50}})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(control, "POLL_SECONDS", 0.0)
        return steered_run(tmp_path_factory.mktemp("runs"), preset, learning_rate=NEW_LR)


def test_a_learning_rate_change_mid_run_shows_in_the_optimizer_events_and_history(lr_run) -> None:
    trainer, seen = lr_run
    assert float(trainer._model.optimizer.learning_rate) == pytest.approx(NEW_LR)
    changed = [e for e in seen if isinstance(e, ev.LearningRateChanged)]
    assert len(changed) == 1, changed  # told once: the epoch's end does not tell it again
    change = changed[0]
    assert change.steered and change.epoch == 1 and change.old == pytest.approx(0.001)
    assert change.new == pytest.approx(NEW_LR)
    epochs = [e for e in seen if isinstance(e, ev.EpochEnded)]
    assert [e.learning_rate for e in epochs] == pytest.approx([0.001, NEW_LR, NEW_LR])
    run = Path(seen[-1].run_dir)
    on_disk = [e for e in read_events(run / "events.jsonl") if isinstance(e, ev.LearningRateChanged)]
    assert on_disk == changed
    with (run / "history.csv").open() as handle:
        rates = [float(row["learning_rate"]) for row in csv.DictReader(handle)]
    assert rates == pytest.approx([0.001, NEW_LR, NEW_LR])
    state = replay(read_events(run / "events.jsonl"))
    assert state.steering == changed
    assert state.values("learning_rate") == pytest.approx([0.001, NEW_LR, NEW_LR])
    assert "learning rate set 0.001 -> 0.0123 (steered)" in describe(change)[0].text


def test_the_exported_script_of_a_steered_run_sets_the_rate_where_the_run_did(
        lr_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, seen = lr_run
    change = next(e for e in seen if isinstance(e, ev.LearningRateChanged))
    script = export_run(seen[-1].run_dir)
    assert "STEERING = [" in script and "callbacks=with_steering([" in script
    assert f"({change.epoch}, {change.batch}, 'learning_rate', {NEW_LR})" in script
    (tmp_path / "train.py").write_text(script)
    monkeypatch.chdir(tmp_path)
    runpy.run_path("train.py", run_name="__main__")
    with (tmp_path / "history.csv").open() as handle:
        rates = [float(row["learning_rate"]) for row in csv.DictReader(handle)]
    assert rates == pytest.approx([0.001, NEW_LR, NEW_LR])


def test_a_patience_change_takes_effect(runs_dir: Path) -> None:
    # min_delta 10: no epoch after the first improves, so patience alone decides when it stops.
    preset = tiny_preset(fit={"epochs": 6}, callbacks={
        "EarlyStopping": {"monitor": "val_loss", "patience": 50, "min_delta": 10.0}})
    _, seen = steered_run(runs_dir, preset, patience=1)
    changed = [e for e in seen if isinstance(e, ev.PatienceChanged)]
    assert [(e.epoch, e.old, e.new) for e in changed] == [(1, 50, 1)]
    stopped = [e for e in seen if isinstance(e, ev.EarlyStopped)]
    assert stopped and stopped[0].stopped_epoch == 2  # with patience 50 it ran all 6 epochs
    epochs = [e for e in seen if isinstance(e, ev.EpochEnded)]
    assert epochs[-1].early_stopping.patience == 1
    state = replay(seen)
    assert state.steering == changed and state.patience.patience == 1
    script = export_run(seen[-1].run_dir)
    assert "'patience', 1)" in script


def test_patience_without_early_stopping_is_a_notice_not_a_crash(runs_dir: Path) -> None:
    _, seen = steered_run(runs_dir, tiny_preset(fit={"epochs": 2}), patience=3)
    assert seen[-1].status == "finished"
    refusal = [e for e in seen if isinstance(e, ev.Notice) and "no EarlyStopping" in e.text]
    # Flagged as the answer to the steer, which `nnbench steer` waits for (not the words).
    assert refusal and refusal[0].refused_steer
    assert ev.event_from_dict(ev.event_to_dict(refusal[0])) == refusal[0]
    assert not [e for e in seen if isinstance(e, ev.PatienceChanged)]


def test_steer_requests_keep_stop_wishes_and_count_each_request(tmp_path: Path) -> None:
    control.request(tmp_path, "pause")
    control.steer(tmp_path, learning_rate=1e-4)
    control.steer(tmp_path, learning_rate=1e-4, patience=4)
    control.request(tmp_path, "resume")
    data = json.loads((tmp_path / control.CONTROL_FILE).read_text())
    assert data["learning_rate"] == {"value": 1e-4, "seq": 2}
    assert data["patience"] == {"value": 4, "seq": 1}
    assert data["pause"] is False
    controls = control.TrainControls()
    reader = control.ControlFile.__new__(control.ControlFile)  # keep the file __init__ would delete
    reader.path, reader.checked, reader.mtime, reader.steered = (
        tmp_path / control.CONTROL_FILE, -1.0, None, {})
    reader.poll(controls, now=1.0)
    assert controls.steering.get_nowait() == control.Steer(1e-4, 4)
    reader.mtime = None
    reader.poll(controls, now=2.0)  # read again, nothing new: nothing applied twice
    assert controls.steering.empty()


@pytest.mark.parametrize(("lr", "patience"), [(None, None), (0.0, None), (float("nan"), None),
                                              (-1e-3, None), (None, -1)])
def test_a_steer_that_makes_no_sense_is_refused_with_what_to_do(tmp_path: Path, lr, patience) -> None:
    with pytest.raises(NnbenchError) as caught:
        control.steer(tmp_path, learning_rate=lr, patience=patience)
    assert "e.g." in caught.value.message or "--lr" in caught.value.message or (
        "whole number" in caught.value.message)
    assert not (tmp_path / control.CONTROL_FILE).exists()


def test_nnbench_steer_reaches_a_run_training_elsewhere_and_says_what_it_did(
        runs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import threading

    from nnbench.core import cli

    controls = control.TrainControls()
    controls.pause.set()  # held before its first batch until the steer's control file arrives
    started = threading.Event()
    seen: list = []

    def listener(event) -> None:
        seen.append(event)
        if isinstance(event, ev.RunStarted):
            started.set()

    thread = threading.Thread(target=Trainer(tiny_preset(fit={"epochs": 2}), runs_dir,
                                             listeners=[listener], controls=controls).run)
    thread.start()
    try:
        assert started.wait(60)
        run_id = seen[0].run_id
        code = cli.main(["steer", run_id[:15], "--lr", "0.005", "--wait", "90", "--runs-dir", str(runs_dir)])
    finally:
        controls.pause.clear()
        thread.join(60)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "learning rate set 0.001 -> 0.005 (steered)" in captured.out
    assert seen[-1].status == "finished"
    assert cli.main(["steer", run_id, "--patience", "3", "--runs-dir", str(runs_dir)]) == 2
    assert "is not training (it is finished)" in capsys.readouterr().err
