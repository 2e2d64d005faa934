"""The steer dialog and the learning-rate finder in the app: the dialog writes the run's control
file (what the trainer reads, tests/test_steer.py), a steered run's curves carry the change's
marker, and the finder's suggestion becomes the working preset's learning rate with one key."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from conftest import settle, tiny_preset
from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from nnbench.core import control
from nnbench.core import events as ev
from nnbench.core.control import Steer
from nnbench.core.lr_find import lr_range_test
from nnbench.core.run_state import replay
from nnbench.core.runs import read_events
from nnbench.tui.screens.lr_find_screen import LrCurve, LrFindScreen, open_lr_finder
from nnbench.tui.screens.steer_screen import SteerScreen, open_steer, steer_screen_for
from nnbench.tui.screens.train_pane import TrainPane
from nnbench.tui.widgets.curve_chart import STEER_COLOR

SIZE = (120, 40)


class Host(App):
    def compose(self) -> ComposeResult:
        yield TrainPane()


async def test_the_steer_dialog_writes_what_it_asks_into_the_runs_control_file(
        tmp_path: Path) -> None:
    answers: list[Steer | None] = []
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(SteerScreen(str(tmp_path), "run-1", 0.001, 5, "val_loss"),
                        answers.append)
        await pilot.pause()
        lr = app.screen.query_one("#steer-lr", Input)
        assert lr.value == "0.001" and lr.has_focus
        lr.value = "fast"
        await pilot.press("enter")
        await pilot.pause()
        assert "not 'fast'" in str(app.screen.query_one("#steer-problem", Static).render())
        assert not (tmp_path / control.CONTROL_FILE).exists() and not answers
        lr.value = "1e-4"
        app.screen.query_one("#steer-patience", Input).value = "12"
        await pilot.press("enter")
        await settle(app)
        await pilot.pause()
    assert answers == [Steer(1e-4, 12)]
    data = json.loads((tmp_path / control.CONTROL_FILE).read_text())
    assert data["learning_rate"] == {"value": 1e-4, "seq": 1}
    assert data["patience"] == {"value": 12, "seq": 1}


async def test_an_unchanged_field_is_not_asked_for_again(tmp_path: Path) -> None:
    answers: list[Steer | None] = []
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(SteerScreen(str(tmp_path), "run-1", 0.001, None), answers.append)
        await pilot.pause()
        assert app.screen.query_one("#steer-patience", Input).disabled  # no EarlyStopping
        app.screen.query_one("#steer-lr", Input).value = "0.001"
        await pilot.press("enter")
        await pilot.pause()
        assert "nothing changed" in str(app.screen.query_one("#steer-problem", Static).render())
        await pilot.press("escape")
        await pilot.pause()
    assert answers == [None] and not (tmp_path / control.CONTROL_FILE).exists()


@pytest.fixture(scope="module")
def steered_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real tiny run whose learning rate was set to 0.0123 as its first epoch ended."""
    from nnbench.core.training import Trainer

    controls = control.TrainControls()

    def listener(event: ev.Event) -> None:
        if isinstance(event, ev.EpochEnded) and event.epoch == 1:
            controls.steer(learning_rate=0.0123)

    final = Trainer(tiny_preset(), tmp_path_factory.mktemp("runs"), listeners=[listener],
                    controls=controls).run()
    assert final.run_dir is not None
    return Path(final.run_dir)


async def test_a_steered_run_is_marked_on_its_curves_and_told_in_its_log(steered_run: Path) -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(TrainPane)
        pane.attach(steered_run)
        for _ in range(100):
            await pilot.pause(0.05)
            if pane.state.finished is not None:
                break
        await pilot.pause()
        markers = pane.loss_chart.markers
        assert markers["steer0"].color == STEER_COLOR
        assert markers["steer0"].x == pytest.approx(1.0)  # after epoch 1's last batch
        assert markers["steer0"].label == "lr 0.0123"
        assert "┊" in pane.loss_chart.plain_text()
        assert "lr 0.0123" in str(pane.loss_chart.border_subtitle)
        log = "\n".join(line.text for line in pane.state.log)
        assert "learning rate set 0.001 -> 0.0123 (steered)" in log
        assert steer_screen_for(pane.state) is None  # finished: nothing to steer
        open_steer(pane, pane.state)
        await pilot.pause()
        assert not isinstance(app.screen, SteerScreen)


def test_a_change_mid_epoch_sits_between_the_epochs_points() -> None:
    from nnbench.tui.widgets.run_charts import steer_x

    assert steer_x(ev.LearningRateChanged(3, 1e-3, 1e-4, steered=True, batch=3, steps=6)) == 2.5
    assert steer_x(ev.PatienceChanged(4, 5, 9, batch=0, steps=6)) == 3.0  # before its first batch


def test_the_dialog_for_a_live_run_starts_from_its_rate_and_patience(steered_run: Path) -> None:
    events = [e for e in read_events(steered_run / "events.jsonl")
              if not isinstance(e, (ev.RunFinished, ev.Evaluated))]
    state = replay(events)
    screen = steer_screen_for(state)
    assert screen is not None and screen.run_dir == str(steered_run)
    assert screen.learning_rate == pytest.approx(0.0123)
    assert screen.patience is None and screen.patience_known  # this run has no EarlyStopping


async def test_the_finder_draws_the_curve_and_one_key_sets_the_learning_rate(
        tmp_path: Path) -> None:
    from nnbench.tui.app import make_app

    def finder(preset, *, on_point, stop: threading.Event):
        return lr_range_test(preset, start=1e-5, end=100.0, steps=40, on_point=on_point,
                             stop=stop)

    app = make_app(tiny_preset(compile={"optimizer": {"type": "sgd", "learning_rate": 0.5}}),
                   runs_dir=tmp_path / "runs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        open_lr_finder(app, finder=finder)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LrFindScreen)
        for _ in range(600):
            await pilot.pause(0.05)
            if screen.result is not None:
                break
        result = screen.result
        assert result is not None and result.suggested is not None
        await pilot.pause()
        curve = screen.query_one(LrCurve)
        assert len(curve.points) == len(result.points) and curve.suggested == result.suggested
        assert "1e-5" in str(curve.render()) or "1e-4" in str(curve.render())
        status = str(screen.query_one("#lr-status", Static).render())
        assert "Suggested learning rate" in status and "enter sets it" in status
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, LrFindScreen)
        rate = app.preset.compile.optimizer.params["learning_rate"]
        assert rate == pytest.approx(result.suggested, rel=0.01) and rate != 0.5
        assert app.session.unsaved
        await settle(app)
