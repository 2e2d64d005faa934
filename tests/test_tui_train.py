"""The Train and Runs views: charts, progress, early-stopping line, event log and results fed with
hand-made core events; then real (tiny) Keras runs started through ``TrainPane.start``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_preset
from rich.color import ColorSystem
from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import Static
from textual.worker import WorkerFailed

from nnbench.core import events as ev
from nnbench.core.runs import RunStore
from nnbench.tui.messages import TrainingEvent, TrainingStateChanged
from nnbench.tui.screens.runs_pane import RunsPane
from nnbench.tui.screens.train_pane import TrainPane
from nnbench.tui.widgets.curve_chart import CurveChart, _x_ticks

SIZE = (120, 40)


class TrainApp(App):
    def compose(self) -> ComposeResult:
        yield TrainPane()


class RunsApp(App):
    def __init__(self, runs_dir: Path) -> None:
        super().__init__()
        self.runs_dir = runs_dir

    def compose(self) -> ComposeResult:
        yield RunsPane(self.runs_dir)


# --- hand-made events -----------------------------------------------------------------------------


def started(monitor: str | None = "val_loss", epochs: int = 10) -> ev.RunStarted:
    summary = ev.ModelSummary([ev.SummaryRow("dense", "Dense", "(None, 10)", 650)], 650, 650, 0)
    data = ev.DataInfo("sklearn:digits", 1149, 288, 360, (64,), 10, None)
    return ev.RunStarted("20250101-120000-digits-mlp", "/tmp/runs/x", "digits-mlp", epochs, 36,
                         summary, data, monitor)


VAL_LOSSES = [0.90, 0.60, 0.45, 0.40, 0.41, 0.39, 0.42, 0.43, 0.44]


def epoch_ended(epoch: int, epochs: int = 10, *, patience: int = 2, best_epoch: int = 0,
                **logs: float) -> ev.EpochEnded:
    val_loss = VAL_LOSSES[epoch - 1]
    values = {"accuracy": 0.5 + epoch / 40, "loss": 1.0 / epoch, "val_accuracy": 0.5 + epoch / 50,
              "val_loss": val_loss, **logs}
    seen = VAL_LOSSES[:epoch]
    best = min(seen)
    best_at = best_epoch or seen.index(best) + 1
    state = ev.EarlyStoppingState("val_loss", epoch - best_at, patience, best, best_at)
    return ev.EpochEnded(epoch, epochs, values, 0.001, 0.42, state)


def a_run_with_early_stop(epochs_run: int = 8) -> list[Any]:
    events: list[Any] = [started(), ev.Notice("integer labels one-hot encoded")]
    for epoch in range(1, epochs_run + 1):
        events.append(ev.EpochStarted(epoch, 10))
        events.append(ev.BatchProgress(epoch, 10, 18, 36, {"loss": 0.5, "accuracy": 0.8}, 1234.0, 2.0))
        if epoch == 3:
            events.append(ev.LearningRateChanged(3, 0.001, 0.0005))
        if epoch == 4:
            events.append(ev.CheckpointSaved(4, "/tmp/runs/x/best.keras", "val_loss", 0.40))
        events.append(epoch_ended(epoch))
    events.append(ev.EarlyStopped("val_loss", epochs_run, 6, 0.39, True))
    events.append(ev.Evaluated({"loss": 0.3512, "accuracy": 0.9611}))
    events.append(ev.RunFinished("finished", "/tmp/runs/x", epochs_run))
    return events


async def feed(pilot: Any, pane: TrainPane, events: list[Any]) -> None:
    for event in events:
        pane.post_message(TrainingEvent(event))
    await pilot.pause()
    await pilot.pause()


def unique(seen: list[Any]) -> list[Any]:
    """Messages once each (a bubbling message reaches the hook at every node it visits)."""
    out, ids = [], set()
    for message in seen:
        if id(message) not in ids:
            ids.add(id(message))
            out.append(message)
    return out


# --- curve chart alone ----------------------------------------------------------------------------


class ChartApp(App):
    def compose(self) -> ComposeResult:
        yield CurveChart("loss", id="chart")


@pytest.mark.parametrize("size", [(120, 40), (30, 8), (16, 5), (6, 3)])
async def test_chart_draws_zero_one_many_and_nan_points_at_any_size(size: tuple[int, int]) -> None:
    app = ChartApp()
    async with app.run_test(size=size) as pilot:
        chart = app.query_one(CurveChart)
        assert "no epochs" in chart.plain_text() or "waiting" in chart.plain_text() or size[0] < 20
        chart.append("loss", 1, 0.5)
        chart.replot()
        await pilot.pause()
        one = chart.plain_text()
        for epoch, value in enumerate([0.4, math.nan, 0.3, math.inf, 1e-300, 1e300, 0.2], start=2):
            chart.append("loss", epoch, value)
            chart.append("val_loss", epoch, math.nan)
        chart.set_marker("best", 4, "best epoch 4", 10)
        chart.replot()
        await pilot.pause()
        assert chart.point_count("loss") == 8
        if size[0] >= 30:
            assert "0.5" in one or "0.50" in one  # the single point got a y axis
            assert "┊" in chart.plain_text()  # the best-epoch line


def test_x_ticks_stay_whole_epochs_and_fit() -> None:
    assert _x_ticks(1, 5, 60) == [1, 2, 3, 4, 5]
    many = _x_ticks(1, 500, 60)
    assert len(many) <= 10 and all(isinstance(t, int) for t in many) and many[0] == 1


# --- train pane fed with hand-made events ---------------------------------------------------------


async def test_events_fill_charts_progress_patience_log_and_results() -> None:
    app = TrainApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        events = a_run_with_early_stop(8)
        await feed(pilot, pane, events[:4])  # started, notice, epoch 1 started, a batch
        progress_text = " ".join(str(label.render()) for label in pane.progress.query("Label"))
        assert "Epoch 1/10" in progress_text and "18/36 batches" in progress_text
        assert "1,234 samples/s" in progress_text and "ETA 2.0s" in progress_text
        assert "loss 0.5000" in progress_text

        await feed(pilot, pane, events[4:])
        loss, metric = pane.loss_chart, pane.metric_chart
        assert loss.point_count("loss") == 8 and loss.point_count("val_loss") == 8
        assert metric.title == "accuracy"
        assert metric.point_count("accuracy") == 8 and metric.point_count("val_accuracy") == 8
        for chart in (loss, metric):
            assert chart.markers["best"].x == 6
            assert chart.markers["stop"].x == 8
            assert "early stop 8" in str(chart.border_subtitle)
        assert "┊" in loss.plain_text()

        assert pane.early_stopping.text == ("EarlyStopping fired at epoch 8: best val_loss 0.3900 at "
                                           "epoch 6, restored")
        texts = pane.event_log.texts()
        assert texts[0] == "Run 20250101-120000-digits-mlp started: digits-mlp, 10 epochs"
        assert "650 parameters" in texts[1]
        assert "1,149 train / 288 val / 360 test" in texts[2]
        assert texts[3] == "integer labels one-hot encoded"
        epoch_lines = [t for t in texts if t.startswith("epoch ") and "/10" in t.split()[1]]
        assert [line.split()[1] for line in epoch_lines] == [f"{n}/10" for n in range(1, 9)]
        assert "loss 1.0000" in epoch_lines[0] and "val_loss 0.9000" in epoch_lines[0]
        assert "epoch 3: learning rate 0.001 -> 0.0005" in texts
        assert "epoch 4: checkpoint saved (val_loss 0.4000) to best.keras" in texts
        assert ("early stop at epoch 8; best epoch 6 val_loss 0.3900; best weights restored"
                in texts)
        assert texts.index("epoch 3: learning rate 0.001 -> 0.0005") < texts.index(epoch_lines[2])
        assert texts[-1] == "finished after 8 epochs"

        table = pane.results_table
        assert table.display and table.row_count == 2
        assert [str(c) for c in table.get_row("loss")[:2]] == ["loss", "0.3512"]
        # EarlyStopping restored epoch 6's weights: the test set saw those, so epoch 6's
        # validation values stand beside it (val_accuracy 0.62), not the last epoch's (0.66).
        assert [str(c) for c in table.get_row("accuracy")] == ["accuracy", "0.9611", "0.6200"]
        assert [str(c) for c in table.get_row("loss")] == ["loss", "0.3512", "0.3900"]
        labels = [" ".join(str(col.label).split()) for col in table.columns.values()]
        assert labels == ["metric", "test", "val (epoch 6, restored)"]
        assert pane.status == "finished" and pane.has_class("-finished")


async def test_patience_line_follows_early_stopping_state() -> None:
    app = TrainApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        await feed(pilot, pane, [started()] + [epoch_ended(n) for n in range(1, 6)])
        assert pane.early_stopping.text == "EarlyStopping: patience 1/2, best val_loss 0.4000 at epoch 4"
        assert pane.early_stopping.has_class("-waiting")
        assert pane.loss_chart.markers["best"].x == 4
        await feed(pilot, pane, [epoch_ended(6)])
        assert pane.early_stopping.text == "EarlyStopping: patience 0/2, best val_loss 0.3900 at epoch 6"
        assert not pane.early_stopping.has_class("-waiting")


async def test_nan_loss_and_failure_are_logged_and_shown_without_a_traceback() -> None:
    app = TrainApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        await feed(pilot, pane, [
            started(), epoch_ended(1), ev.NonFiniteLoss(2, 7, math.nan),
            epoch_ended(2, loss=math.nan, val_loss=math.inf),
            ev.RunFinished("failed", None, 2, "the data went [bad]", "Training failed"),
        ])
        assert pane.loss_chart.point_count("loss") == 2
        assert "epoch 2 batch 7: loss became nan; training stops" in pane.event_log.texts()
        assert pane.event_log.texts()[-1] == ("failed after 2 epochs: Training failed: "
                                              "the data went [bad]")
        assert pane.status == "failed"
        from nnbench.tui.screens.error_modal import ErrorModal

        assert isinstance(app.screen, ErrorModal)
        assert app.screen.message == "the data went [bad]"


async def test_metricless_run_charts_the_learning_rate_and_pause_is_logged() -> None:
    app = TrainApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(TrainPane)
        logs = [ev.EpochEnded(n, 3, {"loss": 1 / n, "mae": 0.5 / n}, 0.01 / n, 0.1) for n in (1, 2)]
        await feed(pilot, pane, [started(monitor=None, epochs=3), ev.Paused(True), ev.Paused(False),
                                 *logs])
        assert pane.metric_chart.title == "mae"
        assert pane.monitor == "loss" and pane.loss_chart.markers["best"].x == 2
        assert "paused (p resumes)" in pane.event_log.texts()
        assert "resumed" in pane.event_log.texts()
        no_metric = [ev.EpochEnded(n, 3, {"loss": 1 / n}, 0.01 / n, 0.1) for n in (1, 2, 3)]
        app2 = TrainApp()
        async with app2.run_test(size=(80, 24)) as pilot2:
            pane2 = app2.query_one(TrainPane)
            await feed(pilot2, pane2, [started(monitor=None, epochs=3), *no_metric])
            assert pane2.metric_chart.title == "learning rate"
            assert pane2.metric_chart.point_count("learning_rate") == 3


async def test_layout_fits_80x24_and_stacks_charts_when_narrow() -> None:
    app = TrainApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(TrainPane)
        await feed(pilot, pane, a_run_with_early_stop(8))
        loss, metric = pane.loss_chart, pane.metric_chart
        assert loss.region.y == metric.region.y  # side by side
        assert loss.region.height >= 6 and pane.event_log.region.height >= 3
        assert pane.region.bottom <= 24 and pane.results_table.region.bottom <= 24
        stats = pane.progress.query_one("#batch-stats")
        assert stats.region.width > 10 and stats.region.right <= 80  # not pushed off screen
        # The log narrowed when the results appeared: its lines were wrapped again to fit.
        log = pane.event_log
        assert all(strip.cell_length <= log.scrollable_content_region.width for strip in log.lines)
        wrapped = " ".join(" ".join(strip.text.split()) for strip in log.lines)
        assert "best epoch 6 val_loss 0.3900; best weights restored" in wrapped
        for chart in (loss, metric):  # the legend fits the top border, so it is never cut
            legend = Content.from_markup(str(chart.border_title))
            assert "━" in legend.plain and legend.cell_length <= chart.size.width - 4
        app.query_one(TrainPane).styles.width = 60
        await pilot.pause()
        await pilot.pause()
        assert pane.has_class("-narrow")
        assert metric.region.y > loss.region.y  # stacked


# --- real training through TrainPane.start --------------------------------------------------------


async def wait_for_training(pilot: Any, pane: TrainPane, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with contextlib.suppress(WorkerFailed):  # a crashed worker is what some tests want to see
        await pilot.app.workers.wait_for_complete()
    while pane.is_training and time.monotonic() < deadline:
        await pilot.pause(0.05)
    await pilot.pause()
    await pilot.pause()


async def test_a_real_run_shows_three_epochs_in_order_and_lands_in_the_store(runs_dir: Path) -> None:
    app = TrainApp()
    seen: list[Any] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        pane = app.query_one(TrainPane)
        pane.start(tiny_preset(), runs_dir)
        assert pane.is_training
        await wait_for_training(pilot, pane)
        assert not pane.is_training
        assert pane.loss_chart.point_count("loss") == 3
        assert pane.loss_chart.point_count("val_loss") == 3
        assert pane.metric_chart.point_count("accuracy") == 3
        assert pane.metric_chart.point_count("val_accuracy") == 3
        assert pane.results_table.row_count >= 2

    messages = unique(seen)
    core = [m.event for m in messages if isinstance(m, TrainingEvent)]
    assert isinstance(core[0], ev.RunStarted) and isinstance(core[-1], ev.RunFinished)
    assert [e.epoch for e in core if isinstance(e, ev.EpochEnded)] == [1, 2, 3]
    states = [m for m in messages if isinstance(m, TrainingStateChanged)]
    assert [s.running for s in states] == [True, False]
    assert states[-1].status == "finished" and states[-1].run_dir == core[-1].run_dir
    records = RunStore(runs_dir).list()
    assert [(r.status, r.epochs_done) for r in records] == [("finished", 3)]


async def test_early_stopping_run_logs_the_early_stop(runs_dir: Path) -> None:
    # min_delta so large that nothing after epoch 1 counts as better: stops at epoch 1 + patience.
    preset = tiny_preset(fit={"epochs": 6},
                         callbacks={"EarlyStopping": {"monitor": "val_loss", "patience": 1,
                                                      "min_delta": 100.0,
                                                      "restore_best_weights": True}})
    app = TrainApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        pane.start(preset, runs_dir)
        await wait_for_training(pilot, pane)
        early = [t for t in pane.event_log.texts() if t.startswith("early stop at epoch")]
        assert early == ["early stop at epoch 2; best epoch 1 val_loss "
                         f"{pane.history['val_loss'][0]:.4f}; best weights restored"]
        assert pane.loss_chart.markers["stop"].x == 2
        assert pane.early_stopping.has_class("-stopped")


class StopAfterFirstEpochApp(TrainApp):
    """Presses "stop now" as soon as the first EpochEnded reaches the app, as a person would."""

    stopped_at: list[int]

    def on_training_event(self, message: TrainingEvent) -> None:
        if isinstance(message.event, ev.EpochEnded) and not self.stopped_at:
            self.stopped_at.append(message.event.epoch)
            self.query_one(TrainPane).stop_now()


async def test_stop_now_after_the_first_epoch_leaves_a_stopped_run(runs_dir: Path) -> None:
    app = StopAfterFirstEpochApp()
    app.stopped_at = []
    preset = tiny_preset(fit={"epochs": 50, "batch_size": 4})
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        pane.start(preset, runs_dir)
        await wait_for_training(pilot, pane)
        assert app.stopped_at == [1]
        assert pane.status == "stopped" and pane.has_class("-stopped")
        assert "stop requested: stopping at the next batch" in pane.event_log.texts()
        assert pane.event_log.texts()[-2].startswith("stopped after")
        assert not pane.has_class("-has-results")  # stopped mid-epoch: no test evaluation
        epochs = pane.finished.epochs_done
        assert pane.event_log.texts()[-1] == (
            f"stopped before evaluation; the model as of epoch {epochs} is saved in "
            f"{Path(pane.finished.run_dir) / 'model.keras'}")
        assert (Path(pane.finished.run_dir) / "model.keras").is_file()
        assert pane.query_one("#results-note").display
    records = RunStore(runs_dir).list()
    assert len(records) == 1 and records[0].status == "stopped"
    assert 1 <= records[0].epochs_done < 50


async def test_a_preset_the_trainer_refuses_shows_its_message_in_a_modal(runs_dir: Path) -> None:
    from nnbench.tui.screens.error_modal import ErrorModal

    preset = tiny_preset(callbacks={"EarlyStopping": {"monitor": "val_acuracy"}})
    app = TrainApp()
    seen: list[Any] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        pane = app.query_one(TrainPane)
        pane.start(preset, runs_dir)
        await wait_for_training(pilot, pane)
        assert pane.status == "failed"
        assert isinstance(app.screen, ErrorModal)
        assert "callbacks.EarlyStopping.monitor" in app.screen.message
        assert "val_acuracy" in pane.event_log.texts()[-1]
    states = [m for m in unique(seen) if isinstance(m, TrainingStateChanged)]
    assert [(s.running, s.status) for s in states] == [(True, None), (False, "failed")]


async def test_an_unexpected_crash_in_the_worker_is_a_modal_not_a_traceback(
        runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nnbench.core import training
    from nnbench.tui.screens.error_modal import ErrorModal

    def explode(self: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(training.Trainer, "run", explode)
    app = TrainApp()
    seen: list[Any] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        pane = app.query_one(TrainPane)
        pane.start(tiny_preset(), runs_dir)
        await wait_for_training(pilot, pane)
        await pilot.pause()
        assert not pane.is_training and pane.status == "failed"
        assert isinstance(app.screen, ErrorModal) and app.screen.error_title == "Training crashed"
        assert "RuntimeError: disk on fire" in app.screen.message
        assert app.is_running
    states = [m for m in unique(seen) if isinstance(m, TrainingStateChanged)]
    assert [(s.running, s.status) for s in states] == [(True, None), (False, "failed")]


# --- runs pane ------------------------------------------------------------------------------------


def write_run(root: Path, run_id: str, status: str, val_losses: list[float],
              pid: int | None = None) -> None:
    run = root / run_id
    run.mkdir(parents=True)
    summary = {"run_id": run_id, "path": str(run), "preset_name": "digits-mlp", "status": status,
               "started": "2025-01-01T12:00:00+00:00", "duration_s": 12.5,
               "epochs_done": len(val_losses), "best_epoch": 2, "best_value": min(val_losses),
               "monitor": "val_loss", "test_metrics": {"loss": 0.3, "accuracy": 0.9},
               "final_logs": {}, "pid": pid, "host": "elsewhere"}
    (run / "summary.json").write_text(json.dumps(summary))
    lines = ["epoch,accuracy,loss,val_accuracy,val_loss"]
    lines += [f"{i},0.{5 + i},{1 / (i + 1):.3f},0.{4 + i},{v}" for i, v in enumerate(val_losses)]
    (run / "history.csv").write_text("\n".join(lines) + "\n")


async def test_runs_pane_lists_runs_shows_history_and_compares_marked_runs(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    write_run(root, "20250101-120000-digits-mlp", "finished", [0.9, 0.5, 0.6])
    write_run(root, "20250102-120000-digits-mlp", "interrupted", [0.8, 0.7])
    write_run(root, "20250103-120000-digits-mlp", "stopped", [1.0, 0.9, 0.8, 0.7])
    app = RunsApp(root)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(RunsPane)
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = pane.table
        assert table.row_count == 3
        first = [str(c) for c in table.get_row_at(0)]
        assert first[0] == "  0103-1200 digits-mlp" and first[1] == "■ stopped"
        assert "⚠ interrupted" in [str(c) for c in table.get_row_at(1)]
        # The monitor and the test metric are named once, in the headers.
        assert first[2] == "4" and first[3] == "0.7000 @2"
        assert first[4] == "0.9000" and first[5] == "0.3000"
        labels = [str(col.label) for col in table.columns.values()]
        assert labels[:6] == ["run", "status", "epochs", "best val_loss", "test accuracy",
                              "test loss"]
        assert "preset" not in labels  # the run id already names it
        assert pane.loss_chart.point_count("val_loss") == 4  # the newest run is selected

        table.focus()
        await pilot.press("down")
        assert pane.selected == "20250102-120000-digits-mlp"
        assert pane.loss_chart.point_count("loss") == 2
        assert pane.metric_chart.title == "accuracy"

        await pilot.press("space", "down", "space")
        assert pane.marked == ["20250102-120000-digits-mlp", "20250101-120000-digits-mlp"]
        compare = pane.metric_chart
        assert compare.title == "compare val_loss"
        assert [compare.point_count(label) for label in compare.curves] == [2, 3]
        assert list(compare.curves) == ["0102-1200", "0101-1200"]  # one preset: times suffice
        assert str(table.get_row_at(1)[0]) == "● 0102-1200 digits-mlp"

        await pilot.press("c")
        assert pane.marked == [] and compare.title == "accuracy"

        write_run(root, "20250104-120000-digits-mlp", "finished", [0.5])
        pane.refresh_runs()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.row_count == 4


async def test_runs_pane_without_runs_says_how_to_make_one(tmp_path: Path) -> None:
    app = RunsApp(tmp_path / "nothing-here")
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(RunsPane)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert pane.has_class("-empty") and pane.table.row_count == 0
        assert "No runs yet" in str(pane.query_one("#runs-empty").render())
        await asyncio.sleep(0)


async def test_deleting_a_run_asks_first_and_removes_its_folder(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    write_run(root, "20250101-120000-digits-mlp", "finished", [0.9, 0.5])
    write_run(root, "20250102-120000-digits-mlp", "finished", [0.8, 0.7])
    app = RunsApp(root)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(RunsPane)
        await app.workers.wait_for_complete()
        await pilot.pause()
        pane.table.focus()
        await pilot.press("delete")
        await pilot.press("n")  # changed our mind: nothing is deleted
        assert (root / "20250102-120000-digits-mlp").is_dir()
        await pilot.press("delete")
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not (root / "20250102-120000-digits-mlp").exists()
        assert (root / "20250101-120000-digits-mlp").is_dir()
        assert pane.table.row_count == 1


# --- what a tester saw in tmux --------------------------------------------------------------------


class ChromeTrainApp(App):
    """The pane with the rows the real app's shell takes (title, tabs, status, footer): 19 of 24."""

    CSS = "#top { height: 3; } #bottom { height: 2; }"

    def compose(self) -> ComposeResult:
        yield Static("", id="top")
        yield TrainPane()
        yield Static("", id="bottom")


class ChromeRunsApp(RunsApp):
    CSS = "#top { height: 3; } #bottom { height: 2; }"

    def compose(self) -> ComposeResult:
        yield Static("", id="top")
        yield RunsPane(self.runs_dir)
        yield Static("", id="bottom")


def test_chart_markers_draw_on_the_chart_background_not_a_white_one() -> None:
    # plotext paints marker cells with background 15: ESC[107m, a white bar, in a 16-colour terminal.
    chart = CurveChart("loss")
    for epoch, value in enumerate([0.9, 0.5, 0.4, 0.45], start=1):
        chart.append("loss", epoch, value, 12)
    chart.set_marker("best", 3, "best epoch 3", 10)
    chart.set_marker("stop", 4, "early stop 4", 9)
    text = chart._build(40, 10)
    marker_spans = [span for span in text.spans if "┊" in text.plain[span.start:span.end]]
    assert marker_spans, "the markers are drawn"
    assert all(span.style.color is not None for span in marker_spans)  # a coloured line...
    assert all(span.style.bgcolor is None for span in text.spans)  # ...on no background of its own


async def test_markers_have_no_background_in_a_16_colour_terminal() -> None:
    app = ChartApp()
    async with app.run_test(size=(60, 12)) as pilot:
        app.console._color_system = ColorSystem.STANDARD  # as under TERM=xterm-16color
        chart = app.query_one(CurveChart)
        for epoch, value in enumerate([0.9, 0.5, 0.4], start=1):
            chart.append("loss", epoch, value, 12)
        chart.set_marker("best", 3, "best epoch 3", 10)
        chart.replot()
        await pilot.pause()
        backgrounds = {segment.style.bgcolor for y in range(chart.size.height)
                       for segment in chart.render_line(y) if segment.style}
        marks = [segment for y in range(chart.size.height) for segment in chart.render_line(y)
                 if "┊" in segment.text]
        assert marks and len(backgrounds) == 1  # the marker cells share the chart's background


async def test_progress_bar_is_empty_at_the_start_of_an_epoch() -> None:
    from textual.widgets._progress_bar import Bar

    app = TrainApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        await feed(pilot, pane, [started(), ev.EpochStarted(1, 10),
                                 ev.BatchProgress(1, 10, 36, 36, {"loss": 0.5}, 1000.0, 0.0),
                                 epoch_ended(1), ev.EpochStarted(2, 10)])
        bar = pane.progress.query_one(Bar)
        at_zero = bar.render_line(0).text
        assert "0/36 batches" in str(pane.progress.query_one("#batch-stats").render())
        assert "━" not in at_zero and set(at_zero) == {"─"}  # a thin empty track, no heavy line
        await feed(pilot, pane, [ev.BatchProgress(2, 10, 18, 36, {"loss": 0.4}, 1000.0, 1.0)])
        half = bar.render_line(0).text
        assert abs(half.count("━") - len(half) / 2) <= 1 and half.endswith("─")


async def test_at_80x24_the_event_log_shows_at_least_five_lines_while_training() -> None:
    app = ChromeTrainApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(TrainPane)
        await feed(pilot, pane, a_run_with_early_stop(8)[:-3])  # training, no results yet
        assert pane.region.height == 19
        assert pane.event_log.scrollable_content_region.height >= 5
        assert pane.loss_chart.region.height >= 7  # the charts still draw
        assert pane.event_log.region.bottom <= pane.region.bottom
    app = ChromeTrainApp()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TrainPane)
        await feed(pilot, pane, a_run_with_early_stop(8))
        assert pane.loss_chart.region.height >= 15
        assert pane.event_log.scrollable_content_region.height >= 8


async def test_log_written_while_its_tab_is_hidden_is_wrapped_at_its_real_width() -> None:
    from textual.widgets import TabbedContent, TabPane

    from nnbench.tui.screens.error_modal import ErrorModal

    class TabsApp(App):
        def compose(self) -> ComposeResult:
            with TabbedContent(initial="build"):
                with TabPane("Build", id="build"):
                    yield Static("build")
                with TabPane("Train", id="train"):
                    yield TrainPane()

    app = TabsApp()
    async with app.run_test(size=(80, 24)) as pilot:
        tabs = app.query_one(TabbedContent)
        log = app.query_one(TrainPane).event_log
        tabs.active = "train"
        await pilot.pause()
        log.add("info", "a first run")
        tabs.active = "build"
        await pilot.pause()
        # Ctrl+R: the app shows the Train tab and starts at once, then the run fails in a modal.
        tabs.active = "train"
        log.clear()
        log.add("start", "starting digits-mlp: loading data and building the model")
        app.push_screen(ErrorModal("Preset error", "bad monitor"))
        log.add("error", "failed after 0 epochs: Preset error: bad monitor")
        for _ in range(4):
            await pilot.pause()
        width = log.scrollable_content_region.width
        assert width > 60
        shown = [strip.text.rstrip() for strip in log.lines]
        assert len(shown) == 2, shown  # one line each, not wrapped at a transient width of ~20
        assert shown[0].endswith("starting digits-mlp: loading data and building the model")


async def test_header_names_the_last_finished_epoch_after_a_stop() -> None:
    app = TrainApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        await feed(pilot, pane, [started(), *[epoch_ended(n) for n in (1, 2, 3)],
                                 ev.EpochStarted(4, 10),
                                 ev.BatchProgress(4, 10, 5, 36, {"loss": 0.3}, 900.0, 3.0),
                                 ev.RunFinished("stopped", "/tmp/runs/x", 3)])
        header = str(pane.query_one("#train-header").render())
        assert "stopped" in header and "epoch 3/10" in header and "epoch 4/10" not in header
        assert pane.event_log.texts()[-2] == "stopped after 3 epochs"
        assert pane.event_log.texts()[-1] == ("stopped before evaluation; the model as of epoch 3 "
                                              "is saved in /tmp/runs/x/model.keras")
        note = pane.query_one("#results-note")
        assert note.display and "stopped before evaluation" in str(note.render())
        assert not pane.results_table.display


async def test_results_without_restored_weights_compare_with_the_last_epoch() -> None:
    app = TrainApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        events = a_run_with_early_stop(8)
        stop = next(e for e in events if isinstance(e, ev.EarlyStopped))
        events[events.index(stop)] = ev.EarlyStopped("val_loss", 8, 6, 0.39, False)
        await feed(pilot, pane, events)
        table = pane.results_table
        assert [str(c) for c in table.get_row("accuracy")] == ["accuracy", "0.9611", "0.6600"]
        assert [str(col.label) for col in table.columns.values()][2] == "val (last)"
        assert not pane.query_one("#results-note").display


async def test_a_run_refused_before_its_first_epoch_has_no_folder_and_no_epoch() -> None:
    app = TrainApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        await feed(pilot, pane, [ev.RunFinished("failed", None, 0, "no such monitor", "Preset error")])
        assert pane.status == "failed" and pane.run_dir is None
        header = str(pane.query_one("#train-header").render())
        assert "epoch" not in header
        assert pane.event_log.texts()[-1] == ("failed after 0 epochs: Preset error: "
                                              "no such monitor")
        assert not pane.query_one("#results-note").display  # a failure is not a stop
        await pilot.press("escape")
        await feed(pilot, pane, [ev.RunFinished("stopped", None, 0)])
        assert pane.event_log.texts()[-1] == "stopped before evaluation"


def many_runs(root: Path, count: int = 12) -> None:
    for n in range(count):
        status = ("finished", "stopped", "interrupted", "failed")[n % 4]
        preset = "fashion-dropout" if n % 3 == 0 else "digits-mlp"
        write_run(root, f"202501{n + 1:02d}-1200{n:02d}-{preset}", status, [0.9, 0.5, 0.4 + n / 100])


async def test_runs_table_columns_fit_80_columns_and_show_most_runs_at_80x24(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    many_runs(root)
    app = ChromeRunsApp(root)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(RunsPane)
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = pane.table
        widths = [col.get_render_width(table) for col in table.columns.values()]
        # run, status, epochs, best and the test metric: visible without scrolling sideways
        assert sum(widths[:5]) <= table.scrollable_content_region.width
        assert all("…" in str(table.get_row_at(i)[0]) or len(str(table.get_row_at(i)[0])) <= 22
                   for i in range(table.row_count))
        visible_rows = table.scrollable_content_region.height - table.header_height
        assert visible_rows >= 7  # of 12 (it was 5)
        assert pane.loss_chart.region.height >= 7 and pane.region.bottom <= 22


async def test_runs_chart_titles_name_what_they_plot_at_80_columns(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    many_runs(root, 3)
    app = ChromeRunsApp(root)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(RunsPane)
        await app.workers.wait_for_complete()
        await pilot.pause()
        loss_title = Content.from_markup(str(pane.loss_chart.border_title)).plain
        assert loss_title.startswith("loss  ━ loss")
        pane.table.focus()
        await pilot.press("space", "down", "space")
        compare = pane.metric_chart
        title = Content.from_markup(str(compare.border_title)).plain
        assert title.startswith("compare val_loss")
        legend = title + Content.from_markup(str(compare.border_subtitle)).plain
        assert all(label in legend for label in compare.curves)  # which run is which line


def test_runs_pane_keys_have_short_footer_words() -> None:
    from textual.binding import Binding

    bindings = [b for b in RunsPane.BINDINGS if isinstance(b, Binding)]
    assert {b.action for b in bindings} >= {"toggle_mark", "clear_marks", "refresh_runs",
                                            "delete_run"}
    assert all(b.description and len(b.description) <= 7 for b in bindings)
    shown = [b for b in bindings if b.show]
    # key, space, word, gap: what the footer spends on the pane's keys beside the app's own
    assert sum(len(b.key_display or b.key) + len(b.description) + 2 for b in shown) <= 20


async def test_runs_pane_follows_a_run_trained_elsewhere(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(RunsPane, "FOLLOW_SECONDS", 0.1)
    root = tmp_path / "runs"
    write_run(root, "20250101-120000-digits-mlp", "running", [0.9, 0.8])  # another host's process
    app = RunsApp(root)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(RunsPane)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert pane.loss_chart.point_count("val_loss") == 2
        history = root / "20250101-120000-digits-mlp" / "history.csv"
        history.write_text(history.read_text() + "2,0.7,0.3,0.6,0.7\n")  # the other process's epoch 3
        for _ in range(50):
            await pilot.pause(0.05)
            if pane.loss_chart.point_count("val_loss") == 3:
                break
        assert pane.loss_chart.point_count("val_loss") == 3
