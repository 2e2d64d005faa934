"""The Train view drawn from what a real (tiny) Keras run wrote: its events fed to the view, a run
folder attached (replayed, then followed), and runs started from the view with ``launch_in_thread``
(the same folder a run process writes). Then the Runs view."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_preset
from rich.color import ColorSystem
from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import Static

from nnbench.core import events as ev
from nnbench.core.launch import launch_in_thread
from nnbench.core.runs import RunStore, read_events
from nnbench.tui.messages import TrainingEvents, TrainingStateChanged
from nnbench.tui.screens.train_pane import TrainPane
from nnbench.tui.widgets.curve_chart import CurveChart, x_ticks

SIZE = (120, 40)


class TrainApp(App):
    launcher = staticmethod(launch_in_thread)
    """A run trained by a thread of this process, writing a real run folder (core/launch.py)."""

    def compose(self) -> ComposeResult:
        yield TrainPane()


# --- real runs, trained once per module -----------------------------------------------------------


@dataclass
class RealRun:
    run_dir: Path
    events: list[ev.Event]
    """Everything the Trainer emitted, batch progress included (events.jsonl holds the rest)."""

    def index(self, kind: type, epoch: int | None = None) -> int:
        return next(i for i, e in enumerate(self.events) if isinstance(e, kind)
                    and (epoch is None or getattr(e, "epoch", None) == epoch))

    def logs(self, epoch: int) -> dict[str, float]:
        return next(e.logs for e in self.events if isinstance(e, ev.EpochEnded) and e.epoch == epoch)


def train(runs_dir: Path, **changes: Any) -> RealRun:
    from nnbench.core.training import Trainer

    seen: list[ev.Event] = []
    final = Trainer(tiny_preset(**changes), runs_dir, listeners=[seen.append]).run()
    assert final.run_dir is not None, final.error
    return RealRun(Path(final.run_dir), seen)


@pytest.fixture(scope="module")
def early_run(tmp_path_factory: pytest.TempPathFactory) -> RealRun:
    """Early stop at epoch 3 restoring epoch 1, the learning rate halved at epoch 2, a checkpoint
    at epoch 1: min_delta so large that nothing after epoch 1 counts as better."""
    return train(tmp_path_factory.mktemp("early") / "runs", fit={"epochs": 6}, callbacks={
        "EarlyStopping": {"monitor": "val_loss", "patience": 2, "min_delta": 100.0,
                          "restore_best_weights": True},
        "ReduceLROnPlateau": {"monitor": "val_loss", "patience": 1, "min_delta": 100.0,
                              "factor": 0.5},
        "ModelCheckpoint": {"monitor": "val_loss"},
    })


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory: pytest.TempPathFactory) -> RealRun:
    """Three epochs, no metric compiled, no callbacks."""
    return train(tmp_path_factory.mktemp("plain") / "runs", compile={"metrics": []})


async def feed(pilot: Any, pane: TrainPane, run: RealRun, events: list[ev.Event]) -> None:
    """What the view's follower thread posts, with events the real Trainer emitted."""
    pane.post_message(TrainingEvents(str(run.run_dir), [], attached=True))
    pane.post_message(TrainingEvents(str(run.run_dir), list(events)))
    await pilot.pause()
    await pilot.pause()


async def wait_until(pilot: Any, check: Any, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        await pilot.pause(0.05)
    assert check(), "timed out"
    await pilot.pause()
    await pilot.pause()


async def wait_finished(pilot: Any, pane: TrainPane, timeout: float = 180) -> None:
    try:
        await wait_until(pilot, lambda: pane.state.finished is not None, timeout)
    except AssertionError:
        raise AssertionError(f"not finished: status {pane.state.status}, run {pane.run_dir}, "
                             f"log {pane.event_log.texts()[-6:]}") from None


def progress_text(pane: TrainPane) -> str:
    return " ".join(str(label.render()) for label in pane.progress.query("Label"))



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
    assert x_ticks(1, 5, 60) == [1, 2, 3, 4, 5]
    many = x_ticks(1, 500, 60)
    assert len(many) <= 10 and all(isinstance(t, int) for t in many) and many[0] == 1


# --- the Train view fed with a real run's events --------------------------------------------------


async def test_a_real_run_fills_charts_progress_patience_log_and_results(early_run: RealRun) -> None:
    app = TrainApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        first_batch = early_run.index(ev.BatchProgress)
        await feed(pilot, pane, early_run, early_run.events[:first_batch + 1])
        batch = early_run.events[first_batch]
        assert isinstance(batch, ev.BatchProgress)
        text = progress_text(pane)
        assert "Epoch 1/6" in text and f"{batch.batch}/6 batches" in text
        assert f"{batch.samples_per_second:,.0f} samples/s" in text
        assert f"loss {batch.logs['loss']:.4f}" in text
        assert pane.status == "running" and pane.has_class("-running")

        await feed(pilot, pane, early_run, early_run.events[first_batch + 1:])
        loss, metric = pane.loss_chart, pane.metric_chart
        assert loss.point_count("loss") == 3 and loss.point_count("val_loss") == 3
        assert metric.title == "accuracy"
        assert metric.point_count("accuracy") == 3 and metric.point_count("val_accuracy") == 3
        for chart in (loss, metric):
            assert chart.markers["best"].x == 1
            assert chart.markers["stop"].x == 3
            assert "early stop 3" in str(chart.border_subtitle)
        assert "┊" in loss.plain_text()

        best = early_run.logs(1)["val_loss"]
        assert pane.early_stopping.text == (f"EarlyStopping fired at epoch 3: best val_loss "
                                            f"{best:.4f} at epoch 1, restored")
        assert pane.early_stopping.has_class("-stopped")
        texts = pane.event_log.texts()
        run_id = early_run.run_dir.name
        assert texts[0] == f"run {run_id} started: tiny-iris, 6 epochs"
        assert texts[1] == "model: 3 layers, 67 parameters"
        assert texts[2].startswith("data: sklearn:iris: 96 train / 24 val / 30 test")
        epoch_lines = [t for t in texts if t.startswith("epoch ") and "/6" in t.split()[1]]
        assert [line.split()[1] for line in epoch_lines] == ["1/6", "2/6", "3/6"]
        assert f"val_loss {best:.4f}" in epoch_lines[0] and "patience 0/2" in epoch_lines[0]
        assert "epoch 2: learning rate 0.001 -> 0.0005" in texts
        assert f"epoch 1: checkpoint saved (val_loss {best:.4f}) to best.keras" in texts
        assert (f"early stop at epoch 3; best epoch 1 val_loss {best:.4f}; best weights restored"
                in texts)
        # ReduceLROnPlateau acts at the end of epoch 2, before that epoch's line (which shows it).
        lr_line = texts.index("epoch 2: learning rate 0.001 -> 0.0005")
        assert texts.index(epoch_lines[0]) < lr_line < texts.index(epoch_lines[1])
        assert "lr 0.0005" in epoch_lines[1]
        end = texts.index("finished after 3 epochs")
        # Then what the history says (core/advice.py), read from the same run model.
        assert texts[end + 1:] == [f"Stopped at epoch 3, weights from epoch 1 restored (val_loss "
                                   f"{best:.4f}): the model you keep is the best one, not the last."]

        table = pane.results_table
        assert table.display and table.row_count == 2
        test = next(e for e in early_run.events if isinstance(e, ev.Evaluated)).metrics
        # EarlyStopping restored epoch 1's weights: the test set saw those, so epoch 1's
        # validation values stand beside it, not the last epoch's.
        assert [str(c) for c in table.get_row("loss")] == [
            "loss", f"{test['loss']:.4f}", f"{best:.4f}"]
        assert [str(c) for c in table.get_row("accuracy")] == [
            "accuracy", f"{test['accuracy']:.4f}", f"{early_run.logs(1)['val_accuracy']:.4f}"]
        labels = [" ".join(str(col.label).split()) for col in table.columns.values()]
        assert labels == ["metric", "test", "val (epoch 1, restored)"]
        assert pane.status == "finished" and pane.has_class("-finished")
        header = str(pane.query_one("#train-header").render())
        assert "finished" in header and "epoch 3/6" in header and "monitor val_loss" in header


async def test_patience_line_follows_early_stopping_state(early_run: RealRun) -> None:
    app = TrainApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        best = early_run.logs(1)["val_loss"]
        await feed(pilot, pane, early_run, early_run.events[:early_run.index(ev.EpochEnded, 1) + 1])
        assert pane.early_stopping.text == (f"EarlyStopping: patience 0/2, best val_loss "
                                            f"{best:.4f} at epoch 1")
        assert not pane.early_stopping.has_class("-waiting")
        end_2 = early_run.index(ev.EpochEnded, 2)
        await feed(pilot, pane, early_run, early_run.events[early_run.index(ev.EpochEnded, 1) + 1:
                                                           end_2 + 1])
        assert pane.early_stopping.text == (f"EarlyStopping: patience 1/2, best val_loss "
                                            f"{best:.4f} at epoch 1")
        assert pane.early_stopping.has_class("-waiting")
        assert pane.loss_chart.markers["best"].x == 1


async def test_attaching_a_finished_run_replays_it_as_it_was_shown_live(early_run: RealRun) -> None:
    live_app = TrainApp()
    async with live_app.run_test(size=SIZE) as pilot:
        pane = live_app.query_one(TrainPane)
        await feed(pilot, pane, early_run, early_run.events)
        live_texts = pane.event_log.texts()
        live_best = pane.loss_chart.markers["best"].x
    app = TrainApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        pane.attach(early_run.run_dir)
        await wait_finished(pilot, pane)
        assert pane.status == "finished" and pane.run_dir == str(early_run.run_dir)
        assert pane.event_log.texts() == live_texts
        assert pane.loss_chart.point_count("val_loss") == 3
        assert pane.loss_chart.markers["best"].x == live_best == 1
        assert pane.loss_chart.markers["stop"].x == 3
        assert pane.state.restored_epoch == 1 and pane.has_class("-has-results")
        assert len(app.screen_stack) == 1  # replaying a finished run shows no dialog


async def test_a_metricless_run_charts_the_learning_rate_and_compares_results_with_the_last_epoch(
        plain_run: RealRun) -> None:
    app = TrainApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(TrainPane)
        await feed(pilot, pane, plain_run, plain_run.events)
        assert pane.metric_chart.title == "learning rate"
        assert pane.metric_chart.point_count("learning_rate") == 3
        assert pane.state.monitor is not None and pane.state.monitor.name == "val_loss"
        assert pane.early_stopping.text == ""  # no EarlyStopping: no patience line
        table = pane.results_table
        assert [str(col.label) for col in table.columns.values()][2] == "val (last)"
        assert str(table.get_row("loss")[2]) == f"{plain_run.logs(3)['val_loss']:.4f}"
        assert not pane.query_one("#results-note").display


async def test_progress_bar_is_empty_at_the_start_of_an_epoch(early_run: RealRun) -> None:
    from textual.widgets._progress_bar import Bar

    app = TrainApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        await feed(pilot, pane, early_run, early_run.events[:early_run.index(ev.EpochStarted, 2) + 1])
        bar = pane.progress.query_one(Bar)
        at_zero = bar.render_line(0).text
        assert "0/6 batches" in str(pane.progress.query_one("#batch-stats").render())
        assert "━" not in at_zero and set(at_zero) == {"─"}  # a thin empty track, no heavy line
        last_batch = next(e for e in early_run.events if isinstance(e, ev.BatchProgress)
                          and e.epoch == 2 and e.batch == e.steps)
        await feed(pilot, pane, early_run, [last_batch])
        full = bar.render_line(0).text
        assert set(full) == {"━"}


async def test_layout_fits_80x24_and_stacks_charts_when_narrow(early_run: RealRun) -> None:
    app = TrainApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(TrainPane)
        await feed(pilot, pane, early_run, early_run.events)
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
        assert "best epoch 1 val_loss" in wrapped and "best weights restored" in wrapped
        for chart in (loss, metric):  # the legend fits the top border, so it is never cut
            legend = Content.from_markup(str(chart.border_title))
            assert "━" in legend.plain and legend.cell_length <= chart.size.width - 4
        app.query_one(TrainPane).styles.width = 60
        await pilot.pause()
        await pilot.pause()
        assert pane.has_class("-narrow")
        assert metric.region.y > loss.region.y  # stacked


async def test_at_80x24_the_event_log_shows_at_least_five_lines_while_training(
        early_run: RealRun) -> None:
    training = early_run.events[:early_run.index(ev.EarlyStopped)]  # no results yet
    app = ChromeTrainApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(TrainPane)
        await feed(pilot, pane, early_run, training)
        assert pane.region.height == 19
        assert pane.event_log.scrollable_content_region.height >= 5
        assert pane.loss_chart.region.height >= 7  # the charts still draw
        assert pane.event_log.region.bottom <= pane.region.bottom
    app = ChromeTrainApp()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TrainPane)
        await feed(pilot, pane, early_run, early_run.events)
        assert pane.loss_chart.region.height >= 15
        assert pane.event_log.scrollable_content_region.height >= 8


# --- runs started from the view (a thread writes the run folder; the view follows it) -------------


async def test_a_real_run_shows_three_epochs_in_order_and_lands_in_the_store(runs_dir: Path) -> None:
    app = TrainApp()
    seen: list[Any] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        pane = app.query_one(TrainPane)
        pane.start(tiny_preset(), runs_dir)
        assert pane.is_training
        await wait_finished(pilot, pane)
        assert not pane.is_training
        assert pane.loss_chart.point_count("loss") == 3
        assert pane.loss_chart.point_count("val_loss") == 3
        assert pane.metric_chart.point_count("accuracy") == 3
        assert pane.metric_chart.point_count("val_accuracy") == 3
        assert pane.results_table.row_count == 2
        await wait_until(pilot, lambda: any(isinstance(m, TrainingStateChanged) and not m.running
                                            for m in seen), 10)

    messages = unique(seen)
    core = [e for m in messages if isinstance(m, TrainingEvents) for e in m.events]
    assert isinstance(core[0], ev.RunStarted) and isinstance(core[-1], ev.RunFinished)
    assert [e.epoch for e in core if isinstance(e, ev.EpochEnded)] == [1, 2, 3]
    states = [m for m in messages if isinstance(m, TrainingStateChanged)]
    assert [s.running for s in states] == [True, False]
    assert states[-1].status == "finished" and states[-1].run_dir == core[-1].run_dir
    records = RunStore(runs_dir).list()
    assert [(r.status, r.epochs_done) for r in records] == [("finished", 3)]
    # The view drew what the run folder says.
    on_disk = read_events(Path(records[0].path) / "events.jsonl")
    assert [e for e in core if not isinstance(e, ev.BatchProgress)] == on_disk


class PauseThenStopApp(TrainApp):
    """After the first epoch: pause; once paused: resume; once resumed: stop now — as a person
    pressing p, p, x would."""

    steps: list[str]
    states: list[TrainingStateChanged]

    def on_training_state_changed(self, message: TrainingStateChanged) -> None:
        self.states.append(message)

    def on_training_events(self, message: TrainingEvents) -> None:
        pane = self.query_one(TrainPane)
        for event in message.events:
            if isinstance(event, ev.EpochEnded) and not self.steps:
                self.steps.append("pause")
                pane.toggle_pause()
            elif isinstance(event, ev.Paused) and event.paused and self.steps == ["pause"]:
                self.steps.append("resume")
                pane.toggle_pause()
            elif isinstance(event, ev.Paused) and not event.paused and len(self.steps) == 2:
                self.steps.append("stop")
                pane.stop_now()


async def test_pause_resume_and_stop_now_reach_the_run_and_leave_it_stopped(runs_dir: Path) -> None:
    app = PauseThenStopApp()
    app.steps, app.states = [], []
    preset = tiny_preset(fit={"epochs": 50, "batch_size": 4})
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        pane.start(preset, runs_dir)
        await wait_finished(pilot, pane)
        assert app.steps == ["pause", "resume", "stop"]
        texts = pane.event_log.texts()
        assert "paused" in texts and "resumed" in texts
        assert texts.index("paused") < texts.index("resumed")
        assert pane.status == "stopped" and pane.has_class("-stopped")
        assert "stop requested: stopping at the next batch" in texts
        finished = pane.state.finished
        assert finished is not None and 1 <= finished.epochs_done < 50
        assert texts[-2] == f"stopped after {finished.epochs_done} epoch" + (
            "s" if finished.epochs_done != 1 else "")
        assert not pane.has_class("-has-results")  # stopped mid-epoch: no test evaluation
        model = Path(finished.run_dir) / "model.keras"
        assert texts[-1] == (f"stopped before evaluation; the model as of epoch "
                             f"{finished.epochs_done} is saved in {model}")
        assert model.is_file()
        note = pane.query_one("#results-note")
        assert note.display and "stopped before evaluation" in str(note.render())
        assert not pane.results_table.display
        header = str(pane.query_one("#train-header").render())
        assert "stopped" in header and f"epoch {finished.epochs_done}/50" in header
        assert f"epoch {finished.epochs_done + 1}/50" not in header
        # The progress line agrees with the header: the epoch the stop cut short is not shown.
        assert progress_text(pane).startswith(f"Epoch {finished.epochs_done}/50")
        # The app was told when the run paused and resumed (its status line and p say so).
        states = [m for m in app.states if m.running]
        assert [m.paused for m in states][:3] == [False, True, False]
    records = RunStore(runs_dir).list()
    assert len(records) == 1 and records[0].status == "stopped"
    assert records[0].epochs_done == finished.epochs_done


async def test_a_preset_the_trainer_refuses_shows_its_message_in_a_modal(runs_dir: Path) -> None:
    from nnbench.tui.screens.error_modal import ErrorModal

    preset = tiny_preset(callbacks={"EarlyStopping": {"monitor": "val_acuracy"}})
    app = TrainApp()
    seen: list[Any] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        pane = app.query_one(TrainPane)
        pane.start(preset, runs_dir)
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        assert not pane.is_training and pane.run_dir is None
        assert "callbacks.EarlyStopping.monitor" in app.screen.message
        assert "val_acuracy" in pane.event_log.texts()[-1]
        assert pane.event_log.texts()[-1].startswith("not started: ")
        header = str(pane.query_one("#train-header").render())
        assert "epoch" not in header
        assert not pane.query_one("#results-note").display  # a refusal is not a stop
    states = [m for m in unique(seen) if isinstance(m, TrainingStateChanged)]
    assert [s.running for s in states] == [True, False]
    assert RunStore(runs_dir).list() == []  # refused before a folder existed


async def test_an_unexpected_crash_while_starting_is_a_modal_not_a_traceback(
        runs_dir: Path) -> None:
    from nnbench.tui.screens.error_modal import ErrorModal

    def explode(preset: Any, runs_dir: Path, *, note: str = "") -> Any:
        raise RuntimeError("disk on fire")

    app = TrainApp()
    app.launcher = explode
    seen: list[Any] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        pane = app.query_one(TrainPane)
        pane.start(tiny_preset(), runs_dir)
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal), 30)
        assert "RuntimeError: disk on fire" in app.screen.message
        assert "following the run failed: RuntimeError: disk on fire" in pane.event_log.texts()
        assert app.is_running
        assert not pane.is_training  # Ctrl+R trains again, it does not say a run is going
    states = [m for m in unique(seen) if isinstance(m, TrainingStateChanged)]
    assert [s.running for s in states] == [True, False]


# --- what a tester saw in tmux --------------------------------------------------------------------


class ChromeTrainApp(App):
    """The pane with the rows the real app's shell takes (title, tabs, status, footer): 19 of 24."""

    CSS = "#top { height: 3; } #bottom { height: 2; }"

    def compose(self) -> ComposeResult:
        yield Static("", id="top")
        yield TrainPane()
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
