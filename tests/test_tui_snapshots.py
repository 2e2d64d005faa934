"""Snapshots of the layouts that matter, reviewed by eye (the SVGs in tests/__snapshots__): the
Build and Compile views; the Train view mid-run and finished with early stopping, and the Runs
view (a list, a comparison), drawn from folders real seeded runs wrote under a test clock; and
the help screen read off the screen.

TensorFlow loads and the stack is checked in threads; every snapshot waits for both, so what is
captured is the settled screen, not a race.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_preset
from snapshot_setup import app_on, no_user_presets, settled
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from nnbench.core import clock
from nnbench.core import events as ev
from nnbench.core.control import TrainControls
from nnbench.core.training import Trainer
from nnbench.tui.screens.compare_screen import CompareScreen
from nnbench.tui.screens.runs_pane import RunsPane
from nnbench.tui.screens.train_pane import TrainPane
from nnbench.tui.widgets.compare_view import CompareView


@pytest.fixture(autouse=True)
def user_presets_kept_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_user_presets(tmp_path, monkeypatch)


def test_build_view_120x40(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(app_on("fashion-mlp", tmp_path), terminal_size=(120, 40),
                        run_before=settled)


def test_build_view_80x24(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(app_on("imdb-sentiment", tmp_path), terminal_size=(80, 24),
                        run_before=settled)


def test_build_view_with_a_broken_row_80x24(snap_compare: Any, tmp_path: Path) -> None:
    async def break_it(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("down", "down", "d")  # GlobalAveragePooling1D gone: Dense sees steps
        await settled(pilot)
        pilot.app.clear_notifications()  # its toast times out: keep the capture deterministic
        await pilot.pause()

    assert snap_compare(app_on("imdb-sentiment", tmp_path), terminal_size=(80, 24),
                        run_before=break_it)


def test_layer_form_80x24(snap_compare: Any, tmp_path: Path) -> None:
    async def edit(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("down", "down", "enter")
        await pilot.pause()

    assert snap_compare(app_on("fashion-mlp", tmp_path), terminal_size=(80, 24),
                        run_before=edit)


def test_compile_view_80x24(snap_compare: Any, tmp_path: Path) -> None:
    async def compile_tab(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(app_on("fashion-dropout", tmp_path), terminal_size=(80, 24),
                        run_before=compile_tab)


def test_terminal_too_small(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(app_on("digits-mlp", tmp_path), terminal_size=(60, 20),
                        run_before=settled)


# --- the live views, fed by real runs -------------------------------------------------------------
#
# Three tiny seeded runs are trained once for the module, under a clock that moves only when read
# (core/clock.py): epoch seconds, samples per second, durations, run ids and start times are the
# same every time, so a changed snapshot means a changed screen.

START = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
EARLY = {
    "EarlyStopping": {"monitor": "val_loss", "patience": 2, "min_delta": 100.0,
                      "restore_best_weights": True},
    "ReduceLROnPlateau": {"monitor": "val_loss", "patience": 1, "min_delta": 100.0, "factor": 0.5},
    "ModelCheckpoint": {"monitor": "val_loss"},
}
"""Early stop at epoch 3 restoring epoch 1, the learning rate halved at epoch 2, a checkpoint at
epoch 1: min_delta so large that nothing after epoch 1 counts as better."""
MID_RUN = (3, 3)
"""(epoch, batch) at which the early run's folder is copied: what a reader sees mid-epoch."""


class SteppingClock:
    """A clock that moves only when read: each ``monotonic()`` is ``tick`` seconds after the last.

    Every reading the Trainer takes is in its own thread, in the same order each run, so every
    duration it derives is the same each run too. ``tick`` is a power of two: sums stay exact."""

    def __init__(self, start: datetime = START, tick: float = 0.0625) -> None:
        self.start, self.tick, self.t = start, tick, 0.0
        self.lock = threading.Lock()

    def monotonic(self) -> float:
        with self.lock:
            self.t += self.tick
            return self.t

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)


@contextlib.contextmanager
def in_utc(mp: pytest.MonkeyPatch) -> Iterator[None]:
    """Run ids and start times are shown in local time: make it the same zone everywhere."""
    mp.setenv("TZ", "UTC")
    time.tzset()
    try:
        yield
    finally:
        mp.undo()
        time.tzset()


@dataclass(frozen=True)
class Store:
    runs: Path
    """early-run (early-stopped), wide-run (finished), stopped-run (stopped after epoch 2 of 4)."""
    mid_run: Path
    """early-run's folder as it was at MID_RUN, its summary still 'running' (this process)."""

    def run(self, name: str) -> Path:
        return next(p for p in self.runs.iterdir() if p.name.endswith(f"-{name}"))


def _train(runs: Path, *, copy_at: tuple[int, int, Path] | None = None, stop_after: int | None = None,
           **changes: Any) -> Path:
    controls = TrainControls()
    final_dir: list[str] = []

    def listen(event: ev.Event) -> None:
        # The run's recorder has written this event already: a copy is what a reader finds.
        if copy_at is not None and isinstance(event, ev.BatchProgress) \
                and (event.epoch, event.batch) == copy_at[:2]:
            shutil.copytree(Path(final_dir[0]), copy_at[2])
        if isinstance(event, ev.RunStarted):
            final_dir.append(event.run_dir)
        if stop_after is not None and isinstance(event, ev.EpochEnded) and event.epoch == stop_after:
            controls.stop_after_epoch.set()

    final = Trainer(tiny_preset(**changes), runs, listeners=[listen], controls=controls).run()
    assert final.run_dir is not None, final.error
    assert copy_at is None or copy_at[2].is_dir(), f"no batch progress at {copy_at[:2]}"
    return Path(final.run_dir)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("snapshots")
    runs, mid_run = root / "runs", root / "mid-run"
    with pytest.MonkeyPatch.context() as mp, in_utc(mp), clock.use(SteppingClock()):
        mp.setenv("NNBENCH_SYSTEM_LOAD", "off")  # the load panel would show this machine's numbers
        _train(runs, name="early-run", fit={"epochs": 6}, callbacks=EARLY,
               copy_at=(*MID_RUN, mid_run))
        _train(runs, name="wide-run", model={"layers": [
            {"type": "Input", "shape": [4]},
            {"type": "Dense", "units": 16, "activation": "tanh"},
            {"type": "Dense", "units": 3, "activation": "softmax"},
        ]}, compile={"optimizer": "rmsprop"})
        _train(runs, name="stopped-run", stop_after=2, fit={"epochs": 4})
    return Store(runs, mid_run)


@pytest.fixture
def live_views(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The store copied to ./runs (the Runs view's title names its folder), in UTC, with every
    time stamp (the event log's too) read from a stopped clock."""
    shutil.copytree(store.runs, tmp_path / "runs")
    shutil.copytree(store.mid_run, tmp_path / "mid-run")
    monkeypatch.chdir(tmp_path)
    # The event log stamps each line from core.clock too (tui/widgets/event_log.py).
    with pytest.MonkeyPatch.context() as mp, in_utc(mp), clock.use(SteppingClock(tick=0)):
        yield Store(Path("runs"), Path("mid-run"))


def terminal(monkeypatch: pytest.MonkeyPatch, columns: int, lines: int) -> tuple[int, int]:
    """The snapshot's size, told to Rich too: an app's console measures what it renders (a log
    line's wrap) by the terminal it finds, which under pytest is whatever stdin is, else 80."""
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("LINES", str(lines))
    return columns, lines


class TrainViewApp(App[None]):
    def __init__(self, run_dir: Path) -> None:
        super().__init__()
        self.run_dir = run_dir

    def compose(self) -> ComposeResult:
        yield TrainPane()

    def on_mount(self) -> None:
        self.query_one(TrainPane).attach(self.run_dir)


class RunsViewApp(App[None]):
    def compose(self) -> ComposeResult:
        yield RunsPane(Path("runs"))


async def until(pilot: Pilot[Any], check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)
    await pilot.pause()
    await pilot.pause()


def test_train_view_mid_run_120x40(snap_compare: Any, live_views: Store,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    size = terminal(monkeypatch, 120, 40)  # before the app: its console reads it

    async def followed(pilot: Pilot[Any]) -> None:
        pane = pilot.app.query_one(TrainPane)
        await until(pilot, lambda: pane.state.batch is not None and pane.state.epoch == 2,
                    "the run's second epoch and the third one's batches")
        assert pane.status == "running" and (pane.state.batch.epoch, pane.state.batch.batch) == MID_RUN

    assert snap_compare(TrainViewApp(live_views.mid_run), terminal_size=size,
                        run_before=followed)


def test_train_view_finished_with_early_stopping_120x40(snap_compare: Any, live_views: Store,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    size = terminal(monkeypatch, 120, 40)  # before the app: its console reads it

    async def replayed(pilot: Pilot[Any]) -> None:
        pane = pilot.app.query_one(TrainPane)
        await until(pilot, lambda: pane.state.finished is not None, "the run's end")
        assert pane.state.early_stopped is not None and pane.state.restored_epoch == 1

    assert snap_compare(TrainViewApp(live_views.run("early-run")), terminal_size=size,
                        run_before=replayed)


def test_train_view_finished_with_early_stopping_80x24(snap_compare: Any, live_views: Store,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    size = terminal(monkeypatch, 80, 24)  # before the app: its console reads it

    async def replayed(pilot: Pilot[Any]) -> None:
        pane = pilot.app.query_one(TrainPane)
        await until(pilot, lambda: pane.state.finished is not None, "the run's end")

    assert snap_compare(TrainViewApp(live_views.run("early-run")), terminal_size=size,
                        run_before=replayed)


def test_runs_view_list_120x40(snap_compare: Any, live_views: Store,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    size = terminal(monkeypatch, 120, 40)  # before the app: its console reads it

    async def listed(pilot: Pilot[Any]) -> None:
        pane = pilot.app.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded and pane.selected_state is not None, "the runs")
        assert pane.table.row_count == 3

    assert snap_compare(RunsViewApp(), terminal_size=size, run_before=listed)


def test_runs_view_comparing_two_runs_120x40(snap_compare: Any, live_views: Store,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    size = terminal(monkeypatch, 120, 40)  # before the app: its console reads it

    async def compared(pilot: Pilot[Any]) -> None:
        pane = pilot.app.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded and pane.selected_state is not None, "the runs")
        pane.table.focus()
        await pilot.press("down", "space", "down", "space", "c")  # wide-run, early-run
        await until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen), "the comparison")
        await until(pilot, lambda: pilot.app.screen.query_one(CompareView).comparison is not None,
                    "the runs read")

    assert snap_compare(RunsViewApp(), terminal_size=size, run_before=compared)


# --- the help screen, as read --------------------------------------------------------------------


def screen_lines(app: App[Any]) -> list[str]:
    """The composited screen, as the terminal shows it (Textual's compositor: a private API, so
    fail loudly when it changes)."""
    strips = list(app.screen._compositor.render_strips())
    assert strips, "Textual's compositor API changed: no strips"
    return [" ".join("".join(seg.text for seg in strip).split()) for strip in strips]


async def test_the_help_screen_shows_every_key_with_its_words(tmp_path: Path) -> None:
    """Read off the screen, paging down: a key cut off, hidden or wrapped away is not there."""
    from nnbench.tui.screens.help_screen import HelpScreen

    app = app_on("digits-mlp", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        seen: list[str] = []
        while (lines := screen_lines(app)) != seen[-len(lines):]:
            seen += lines
            await pilot.press("pagedown")
            await pilot.pause()
        text = "\n".join(seen)
        assert "nnbench keys" in text and "esc, q or F1 closes" in text
        for section in ("Everywhere", "Build", "Data", "Fields", "While training", "Runs",
                        "Dialogs"):
            assert f"│ {section} " in text, section
        for line in ("^r Train the working preset", "^o Open a preset", "^s Save the working",
                     "^q Quit", "a Add a layer", "d, del Remove the selected layer",
                     "shift+↑, K Move layer up", "x Stop training", "e Finish the epoch",
                     "p Pause training", "space Mark runs to compare them",
                     "y / n answer a confirmation"):
            assert f"│ {line}" in text, line
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


# --- the live views in Korean --------------------------------------------------------------------
#
# The same real runs, read by a Korean interface (NNBENCH_LANG=ko): a snapshot of the Train view
# reviewed by eye, and both views read back from the screen at 80x24 (every line exactly 80
# cells, wide characters counted as two and none cut in half; each label whole).

KOREAN_LABELS = {
    "train": ["✔ finished", "Events", "Test results", "metric", "test"],
    "runs": ["run", "status", "epochs", "params", "best", "✔ finished", "■ stopped",
             "␣ mark · c compare · ⏎ watch · v evaluate · r resume · o clone"],
}


async def _korean_view_ready(pilot: Pilot[Any], view: str) -> None:
    if view == "train":
        pane = pilot.app.query_one(TrainPane)
        await until(pilot, lambda: pane.state.finished is not None, "the run's end")
    else:
        runs = pilot.app.query_one(RunsPane)
        await until(pilot, lambda: runs.loaded and runs.selected_state is not None, "the runs")


def test_train_view_finished_in_korean_80x24(snap_compare: Any, live_views: Store,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNBENCH_LANG", "ko")
    size = terminal(monkeypatch, 80, 24)  # before the app: its console reads it

    async def replayed(pilot: Pilot[Any]) -> None:
        await _korean_view_ready(pilot, "train")

    assert snap_compare(TrainViewApp(live_views.run("early-run")), terminal_size=size,
                        run_before=replayed)


@pytest.mark.parametrize("view", list(KOREAN_LABELS))
async def test_korean_train_and_runs_views_fit_80x24_by_cell_width(
        view: str, live_views: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.cells import cell_len
    from test_tui_explain import screen_lines as exact_lines

    from nnbench.core.i18n import _

    monkeypatch.setenv("NNBENCH_LANG", "ko")
    columns, rows = terminal(monkeypatch, 80, 24)
    app = TrainViewApp(live_views.run("early-run")) if view == "train" else RunsViewApp()
    async with app.run_test(size=(columns, rows)) as pilot:
        await _korean_view_ready(pilot, view)
        lines = exact_lines(app)  # type: ignore[arg-type]
        screen = "\n".join(lines)
        assert [cell_len(line) for line in lines] == [columns] * rows, screen
        for msgid in KOREAN_LABELS[view]:
            korean = _(msgid)
            assert korean != msgid, f"no Korean for {msgid!r}"
            assert korean in screen, f"{korean!r} not whole on screen:\n{screen}"
