"""The Runs view on folders real (tiny) Keras runs wrote: one row per run, updated in place while
the folder changes; the highlighted run replayed through the same run model the Train view draws;
marks, compare, delete; fits 80x24."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_preset
from textual.app import App, ComposeResult
from textual.widgets import Static

from nnbench.core import events as ev
from nnbench.core.control import TrainControls
from nnbench.core.runs import RunStore
from nnbench.core.training import Trainer
from nnbench.tui.screens.compare_screen import CompareScreen
from nnbench.tui.screens.confirm import ConfirmScreen
from nnbench.tui.screens.runs_pane import RunsPane

SIZE = (120, 40)
EARLY = {"EarlyStopping": {"monitor": "val_loss", "patience": 1, "min_delta": 100.0,
                           "restore_best_weights": True}}


class RunsApp(App):
    def __init__(self, runs_dir: Path, chrome: bool = False) -> None:
        super().__init__()
        self.runs_dir = runs_dir
        self.chrome = chrome

    def compose(self) -> ComposeResult:
        if self.chrome:  # the rows the real app's title, tabs, status and footer take: 19 of 24
            yield Static("", id="top")
        yield RunsPane(self.runs_dir)
        if self.chrome:
            yield Static("", id="bottom")

    CSS = "#top { height: 3; } #bottom { height: 2; }"


def train(runs_dir: Path, stop_after: int | None = None, **changes: Any) -> Path:
    controls = TrainControls()

    def listen(event: ev.Event) -> None:
        if stop_after is not None and isinstance(event, ev.EpochEnded) and event.epoch == stop_after:
            controls.stop_after_epoch.set()

    final = Trainer(tiny_preset(**changes), runs_dir, listeners=[listen], controls=controls).run()
    assert final.run_dir is not None, final.error
    return Path(final.run_dir)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three runs: finished (3 epochs), early-stopped at epoch 2 (best 1), stopped after epoch 2
    of 4. Copied per test, so tests may add and delete runs."""
    root = tmp_path_factory.mktemp("store") / "runs"
    train(root, name="finished-run")
    train(root, name="early-run", fit={"epochs": 5}, callbacks=EARLY)
    train(root, name="stopped-run", stop_after=2, fit={"epochs": 4})
    return root


@pytest.fixture
def runs(store: Path, tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    shutil.copytree(store, root)
    return root


def run_id(root: Path, preset_name: str) -> str:
    return next(r.run_id for r in RunStore(root).list() if r.preset_name == preset_name)


def cells(pane: RunsPane, key: str) -> list[str]:
    return [str(c) for c in pane.table.get_row(key)]


async def until(pilot: Any, check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        await pilot.pause(0.05)
    assert check(), "timed out"
    await pilot.pause()


async def test_rows_say_what_each_run_did(runs: Path) -> None:
    app = RunsApp(runs)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded)
        assert pane.table.row_count == 3
        finished = cells(pane, run_id(runs, "finished-run"))
        assert finished[1] == "✔ finished" and finished[2] == "3/3"
        assert finished[3] == "67"  # 4*8+8 + 8*3+3: Keras's own count
        record = RunStore(runs).read(runs / run_id(runs, "finished-run"))
        assert finished[4].endswith(f"@{record.best_epoch}")
        assert finished[5].startswith("accuracy ") and "loss " in finished[5]
        early = cells(pane, run_id(runs, "early-run"))
        assert early[1] == "✔ finished" and early[2] == "2/5" and early[4].endswith("@1")
        stopped = cells(pane, run_id(runs, "stopped-run"))
        assert stopped[1] == "■ stopped" and stopped[2] == "2/4"
        # Newest first.
        assert str(pane.table.get_row_at(0)[0]).endswith(run_id(runs, "stopped-run"))


async def test_the_highlighted_run_is_drawn_by_the_run_model_with_its_early_stop(runs: Path) -> None:
    app = RunsApp(runs)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(RunsPane)
        await until(pilot, lambda: pane.selected_state is not None)
        assert pane.selected == run_id(runs, "stopped-run")
        assert pane.loss_chart.point_count("val_loss") == 2
        pane.table.focus()
        await pilot.press("down")  # the early-stopped run
        await until(pilot, lambda: pane.selected == run_id(runs, "early-run")
                    and pane.selected_state is not None
                    and pane.selected_state.run_id == pane.selected)
        await until(pilot, lambda: "stop" in pane.loss_chart.markers)
        assert pane.loss_chart.markers["best"].x == 1
        assert pane.loss_chart.markers["stop"].x == 2
        assert pane.metric_chart.title == "accuracy"
        assert pane.metric_chart.point_count("val_accuracy") == 2


async def test_marking_two_runs_and_compare_opens_the_comparison(runs: Path) -> None:
    app = RunsApp(runs)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded)
        pane.table.focus()
        await pilot.press("c")  # nothing marked: a warning, no screen
        await pilot.pause()
        assert not isinstance(app.screen, CompareScreen)
        await pilot.press("space", "down", "space")
        assert pane.marked == [run_id(runs, "stopped-run"), run_id(runs, "early-run")]
        assert str(pane.table.get_row_at(0)[0]).startswith("● ")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        assert [Path(p).name for p in app.screen.run_dirs] == pane.marked
        await pilot.press("escape")
        await pilot.press("u")
        assert pane.marked == [] and str(pane.table.get_row_at(0)[0]).startswith("  ")


async def test_a_run_trained_while_the_view_is_open_appears_and_grows(runs: Path) -> None:
    app = RunsApp(runs)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded)
        go_on = threading.Event()
        seen_epoch_1 = threading.Event()
        result: list[Path] = []

        def listen(event: ev.Event) -> None:
            if isinstance(event, ev.EpochEnded) and event.epoch == 1:
                seen_epoch_1.set()
                go_on.wait(60)  # hold the run after epoch 1 until the view has seen it

        def run() -> None:
            final = Trainer(tiny_preset(name="live-run"), runs, listeners=[listen]).run()
            result.append(Path(final.run_dir or ""))

        thread = threading.Thread(target=run)
        thread.start()
        try:
            await until(pilot, lambda: pane.table.row_count == 4, 60)
            live = next(r for r in pane.records.values() if r.preset_name == "live-run")
            await until(pilot, lambda: cells(pane, live.run_id)[1] == "● running", 60)
            assert seen_epoch_1.wait(60)
        finally:
            go_on.set()
            thread.join(60)
        await until(pilot, lambda: cells(pane, live.run_id)[1] == "✔ finished", 30)
        assert cells(pane, live.run_id)[2] == "3/3"
        assert result == [runs / live.run_id]


async def test_deleting_a_run_asks_first_and_removes_its_folder(runs: Path) -> None:
    app = RunsApp(runs)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded)
        newest = run_id(runs, "stopped-run")
        pane.table.focus()
        await pilot.press("delete")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # changed our mind: nothing is deleted
        assert (runs / newest).is_dir()
        await pilot.press("delete")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: pane.table.row_count == 2)
        assert not (runs / newest).exists()
        assert len(RunStore(runs).list()) == 2


async def test_a_copied_run_folder_is_a_row_of_its_own(runs: Path) -> None:
    # cp -r run run.bak: the folder name is the run's id, so both show (it crashed the app once).
    original = run_id(runs, "finished-run")
    shutil.copytree(runs / original, runs / f"{original}.bak")
    app = RunsApp(runs)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded)
        assert pane.table.row_count == 4
        assert cells(pane, f"{original}.bak")[1] == "✔ finished"


async def test_without_runs_it_says_how_to_make_one(tmp_path: Path) -> None:
    app = RunsApp(tmp_path / "nothing-here")
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded)
        assert pane.has_class("-empty") and pane.table.row_count == 0
        assert "No runs yet" in str(pane.query_one("#runs-empty").render())


async def test_at_80x24_the_columns_that_matter_fit_and_the_charts_keep_room(runs: Path) -> None:
    app = RunsApp(runs, chrome=True)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded)
        table = pane.table
        widths = [col.get_render_width(table) for col in table.columns.values()]
        # run, status, epochs: visible without scrolling sideways
        assert sum(widths[:3]) <= table.scrollable_content_region.width
        assert table.scrollable_content_region.height - table.header_height >= 3
        assert pane.loss_chart.region.height >= 7 and pane.region.bottom <= 22


def test_the_keys_have_short_footer_words() -> None:
    from textual.binding import Binding

    bindings = [b for b in RunsPane.BINDINGS if isinstance(b, Binding)]
    assert {b.action for b in bindings} >= {"toggle_mark", "compare", "watch", "evaluate",
                                            "resume", "clone", "delete_run"}
    assert all(b.description and len(b.description) <= 8 for b in bindings)


async def test_a_row_that_grows_widens_its_columns(tmp_path: Path) -> None:
    """Alone in its folder, a run is first "● running" with no test scores, then "✔ finished" with
    them: its columns must grow with it (they were cut to "✔ finishe" and "accu")."""
    from nnbench.core.text import cell_width

    root = tmp_path / "runs"
    go_on = threading.Event()

    def listen(event: ev.Event) -> None:
        if isinstance(event, ev.EpochEnded) and event.epoch == 1:
            go_on.wait(60)  # hold the run until the view has drawn it running

    app = RunsApp(root)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded)
        thread = threading.Thread(target=lambda: Trainer(tiny_preset(), root, listeners=[listen]).run())
        thread.start()
        try:
            await until(pilot, lambda: pane.table.row_count == 1
                        and cells(pane, pane._row_run(0) or "")[1] == "● running", 60)
        finally:
            go_on.set()
            thread.join(60)
        run = pane._row_run(0) or ""
        await until(pilot, lambda: cells(pane, run)[1] == "✔ finished", 30)
        await pilot.pause()
        table = pane.table
        for key, column in table.columns.items():
            shown = cell_width(str(table.get_cell(run, key)))
            assert column.content_width >= shown, (key, column.content_width, shown)


class WatchingApp(RunsApp):
    """The real app's ``attach_run`` hook, recorded."""

    def __init__(self, runs_dir: Path) -> None:
        super().__init__(runs_dir)
        self.watched: list[Path] = []

    def attach_run(self, run_dir: Path | str) -> None:
        self.watched.append(Path(run_dir))


async def test_enter_on_a_run_watches_it_as_the_footer_says(runs: Path) -> None:
    app = WatchingApp(runs)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded)
        pane.table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert [p.name for p in app.watched] == [pane.selected]
