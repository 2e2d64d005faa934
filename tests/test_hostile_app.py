"""Text from outside is text, in the real app and the CLI: hostile names everywhere.

A CSV whose columns and classes are Rich markup, terminal escape sequences and wide text, in a
folder whose name is one; a preset and layers named the same way; a run folder named with ESC
whose summary says ``"started": "[/oops]"``; a run whose metric is named like markup. Trained with
real Keras on that tiny data, then shown in every view. What reaches the screen is read back from
the composited screen (every segment of every line): no control character (C0, ESC, DEL, C1), no
``@click`` action, the names shown with their control characters made visible, and the app still
running. The CLI's stdout and stderr never carry an ESC or C1 byte, and its tables line up by
terminal cells.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_preset
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static
from textual.widgets._toast import Toast

from nnbench.core.cli import main as cli_main
from nnbench.core.preset import Preset, save_preset
from nnbench.core.runs import RunStore
from nnbench.core.text import cell_width, printable
from nnbench.core.training import Trainer
from nnbench.tui.app import NnbenchApp, make_app, open_app
from nnbench.tui.screens.add_layer import AddLayerScreen
from nnbench.tui.screens.compare_screen import CompareScreen
from nnbench.tui.screens.confirm import ConfirmScreen
from nnbench.tui.screens.error_modal import ErrorModal
from nnbench.tui.screens.evaluate_screen import EvaluateScreen
from nnbench.tui.screens.runs_pane import RunsPane
from nnbench.tui.widgets.confusion_matrix import ConfusionMatrix
from nnbench.tui.widgets.layer_stack import LayerStack
from nnbench.tui.widgets.results_table import ResultsTable

SIZE = (120, 40)

CLICK = "[@click=app.quit]col[/]"
COLUMNS = [CLICK, "[/oops]은닉층", "\x1b]2;pwned\x07", "[bold red]x"]
"""Three features and the target (the last column)."""
CLASSES = ["[@click=app.quit]c[/]", "\x1b[2J", "은닉층🙂\x9b"]
FOLDER = "\x1b]0;dir[bold red]x"
"""The data folder: an unterminated OSC, then markup."""
CSV_NAME = "\x1b]0;[i]data\x9b.csv"
PRESET_NAME = "[/oops]\x1b]2;pwned\x07은닉층"
DESCRIPTION = "[@click=app.quit]d[/] \x1b[2J \x9b"
LAYER_NAMES = ["[@click=app.quit]h[/]", "[/oops]\x9b", "은닉층\x1b[2J"]
RUN_FOLDER = "\x1b]2;pwned\x07[bold red]run은닉층"
METRIC = "[/oops]\x1b[2J"
"""A metric name in a run folder someone else wrote."""

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

KNOWN_LEAKS: dict[str, str] = {}
"""Widgets (class name or id) known to send control characters to the terminal, skipped by
``leaks``: none any more (the last, a text field's value, is drawn through FieldInput)."""


# --- what the screen shows ------------------------------------------------------------------------


def _strips(app: NnbenchApp) -> list[Any]:
    # The composited screen, exactly what the driver writes (a private API: fail loudly).
    strips = list(app.screen._compositor.render_strips())
    assert strips, "Textual's compositor API changed: no strips"
    return strips


def screen_lines(app: NnbenchApp) -> list[str]:
    return ["".join(seg.text for seg in strip) for strip in _strips(app)]


def _widget_at(app: NnbenchApp, x: int, y: int) -> Any:
    """The widget drawn at (x, y): through a modal's backdrop, the one on the screen below."""
    for screen in reversed(app.screen_stack):
        try:
            widget, _ = screen.get_widget_at(x, y)
        except Exception:  # outside any widget
            return None
        if widget is not screen:
            return widget
    return None


def leaks(app: NnbenchApp, known: dict[str, str] | None = None) -> list[str]:
    """Every segment on screen holding a control character or a click action, with its widget;
    widgets in ``known`` are skipped."""
    known = KNOWN_LEAKS if known is None else known
    found = []
    for y, strip in enumerate(_strips(app)):
        x = 0
        for seg in strip:
            bad_text = CONTROL.search(seg.text) is not None
            meta = seg.style.meta if seg.style is not None else {}
            clickable = "@click" in meta or bool(seg.style is not None and seg.style.link)
            if bad_text or clickable:
                widget = _widget_at(app, x, y)
                names = {type(widget).__name__, getattr(widget, "id", None)}
                if not names & set(known):
                    found.append(f"{type(widget).__name__}#{getattr(widget, 'id', None)}: "
                                 f"{seg.text!r} {meta if clickable else ''}")
            x += seg.cell_length
    return found


def assert_clean(app: NnbenchApp, where: str) -> None:
    assert app.is_running, f"{where}: the app stopped"
    found = leaks(app)
    assert not found, f"{where}: outside text reached the terminal unescaped:\n" + "\n".join(found)


async def until(pilot: Pilot[Any], check: Callable[[], object], timeout: float = 60,
                what: str = "it") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)
    await pilot.pause()


def rendered(widget: Any) -> str:
    return str(widget.render())


# --- the hostile world ----------------------------------------------------------------------------


def hostile_csv(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CSV_NAME
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i in range(60):
            writer.writerow([i % 5, (i * 7) % 3, i % 2, CLASSES[i % 3]])
    return path


def hostile_preset(csv_path: Path, **changes: Any) -> Preset:
    layers = [{"type": "Input", "shape": [3]},
              {"type": "Dense", "units": 8, "activation": "relu", "name": LAYER_NAMES[0]},
              {"type": "Dropout", "rate": 0.1, "name": LAYER_NAMES[1]},
              {"type": "Dense", "units": 3, "activation": "softmax", "name": LAYER_NAMES[2]}]
    return tiny_preset(name=PRESET_NAME, description=DESCRIPTION,
                       data={"source": f"csv:{csv_path}", "test_split": 0.3},
                       model={"layers": layers}, fit={"epochs": 1, "validation_split": None},
                       **changes)


def _rename_metric(folder: Path, old: str, new: str) -> None:
    """Rewrite a run folder as if its metric had been called ``new``."""
    encoded = json.dumps(new)[1:-1]
    for name in ("events.jsonl", "summary.json"):
        path = folder / name
        path.write_text(path.read_text(encoding="utf-8").replace(f'"{old}"', f'"{encoded}"')
                        .replace(f'"val_{old}"', f'"val_{encoded}"'), encoding="utf-8")
    history = folder / "history.csv"
    if history.exists():
        lines = history.read_text(encoding="utf-8").splitlines(keepends=True)
        row = next(csv.reader(lines[:1]))
        head = [new if c == old else f"val_{new}" if c == f"val_{old}" else c for c in row]
        with history.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerow(head)
            f.writelines(lines[1:])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The CSV, the preset (also saved as TOML), and a runs folder: the hostile run, its copy in
    a folder named with ESC whose summary says started "[/oops]", two copies whose metric is
    named like markup, and a Korean-named run for alignment."""
    root = tmp_path_factory.mktemp("hostile")
    csv_path = hostile_csv(root / FOLDER)
    preset = hostile_preset(csv_path)
    preset_path = root / "hostile.toml"
    save_preset(preset, preset_path)
    runs = root / "runs"
    final = Trainer(preset, runs).run()
    assert final.status == "finished", final.error
    run = Path(final.run_dir)
    copied = runs / RUN_FOLDER
    shutil.copytree(run, copied)
    summary = json.loads((copied / "summary.json").read_text(encoding="utf-8"))
    summary.update(started="[/oops]", run_id=RUN_FOLDER)
    (copied / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    metric_runs = []
    for n in (1, 2):
        folder = runs / f"metric-run-{n}"
        shutil.copytree(run, folder)
        _rename_metric(folder, "accuracy", METRIC)
        metric_runs.append(folder)
    korean = Trainer(tiny_preset(name="은닉층 모델", fit={"epochs": 1}), runs).run()
    assert korean.status == "finished", korean.error
    return {"root": root, "csv": csv_path, "preset": preset, "preset_path": preset_path,
            "runs": runs, "run": run, "copied": copied, "metric_runs": metric_runs,
            "korean": Path(korean.run_dir)}


@pytest.fixture
def runs(world: dict[str, Any], tmp_path: Path) -> Path:
    """A copy of the runs folder: the app may write to it (an interrupted run, a deletion)."""
    copy = tmp_path / "runs"
    shutil.copytree(world["runs"], copy)
    return copy


@pytest.fixture(autouse=True)
def user_presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNBENCH_PRESETS_DIR", str(tmp_path / "presets"))


async def checked(pilot: Pilot[Any]) -> None:
    app: NnbenchApp = pilot.app  # type: ignore[assignment]
    build = app.main.build_pane
    await until(pilot, lambda: build.analysis_current and build._timer is None, what="the check")


async def loaded(pilot: Pilot[Any]) -> None:
    app: NnbenchApp = pilot.app  # type: ignore[assignment]
    app.action_show_tab("data")
    await pilot.pause()
    await pilot.press("l")
    await until(pilot, lambda: app.data_info is not None, what="the data")
    await checked(pilot)


# --- the build side -------------------------------------------------------------------------------


async def test_build_view_shows_hostile_layer_names_and_data_path_as_text(
        world: dict[str, Any], runs: Path) -> None:
    app = make_app(world["preset"], runs_dir=runs)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await checked(pilot)
        assert_clean(app, "build")
        stack = app.main.query_one(LayerStack)
        names = [str(stack.get_row_at(r)[2]) for r in range(stack.row_count)]
        assert names == ["input_layer", *(printable(n) for n in LAYER_NAMES)]
        assert "은닉층\\x1b[2J" in names and "[/oops]\\x9b" in names
        screen = "\n".join(screen_lines(app))
        assert "[@click=app.quit]h[/]" in screen and "은닉층\\x1b[2J" in screen
        await loaded(pilot)
        app.action_show_tab("build")
        await pilot.pause()
        assert_clean(app, "build, data loaded")
        checked_with = rendered(app.main.query_one("#checked-with", Static))
        assert printable(str(world["csv"])) in checked_with
        assert "\\x1b]0;dir[bold red]x" in checked_with


async def test_a_long_wide_layer_name_is_cut_to_its_column_by_cells(world: dict[str, Any],
                                                                    runs: Path) -> None:
    preset = world["preset"]
    layers = [layer.model_copy() for layer in preset.model.layers]
    layers[1] = layers[1].model_copy(update={"name": "은닉층" * 20})
    app = make_app(preset.copy_with(model=preset.model.model_copy(update={"layers": layers})),
                   runs_dir=runs)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await checked(pilot)
        stack = app.main.query_one(LayerStack)
        shown = str(stack.get_row_at(1)[2])
        assert shown.startswith("은닉층") and shown.endswith("…")
        assert cell_width(shown) <= stack.widths["name"]


async def test_data_view_shows_hostile_columns_and_classes_literally(world: dict[str, Any],
                                                                     runs: Path) -> None:
    app = make_app(world["preset"], runs_dir=runs)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await checked(pilot)
        await loaded(pilot)
        assert_clean(app, "data")
        result = rendered(app.main.query_one("#data-result", Static))
        for name in ("[bold red]x", *CLASSES):
            assert printable(name) in result, name
        for tab in ("compile", "fit"):
            app.action_show_tab(tab)
            await pilot.pause()
            assert_clean(app, tab)


async def test_a_data_error_quoting_column_names_shows_them_in_the_view_the_run_and_a_toast(
        world: dict[str, Any], runs: Path) -> None:
    preset = world["preset"]
    wrong = preset.copy_with(data=preset.data.model_copy(update={"target": "nope"}))
    app = make_app(wrong, runs_dir=runs)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await checked(pilot)
        app.action_show_tab("data")
        await pilot.pause()
        await pilot.press("l")
        result = app.main.query_one("#data-result", Static)
        await until(pilot, lambda: "nope" in rendered(result), what="the load to fail")
        failure = rendered(result)
        assert CLICK in failure and "[/oops]" in failure and "\\x1b]2;pwned\\x07" in failure
        assert_clean(app, "data, load failed")
        # The run fails the same way: its error, wherever it is shown, is text too.
        app.action_show_tab("train")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.training, what="training to start")
        await until(pilot, lambda: not app.training, timeout=120, what="the run to fail")
        await pilot.pause(0.5)
        assert_clean(app, f"train, failed ({type(app.screen).__name__})")
        while isinstance(app.screen, ErrorModal):
            await pilot.press("escape")
            await pilot.pause()
        # A toast quoting the same names (the app's one notify): a click on it does not quit.
        app.notify(failure, title=PRESET_NAME, severity="error", timeout=30)
        await until(pilot, lambda: list(app.screen.query(Toast)), what="the toast")
        toast = app.screen.query(Toast).last()
        assert CLICK in rendered(toast) and "[/oops]\\x1b]2;pwned\\x07" in rendered(toast)
        assert_clean(app, "toast")
        await pilot.click(Toast, offset=(toast.size.width // 2, toast.size.height // 2))
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_a_preset_that_fails_to_open_names_its_hostile_path_in_the_error_dialog(
        world: dict[str, Any], runs: Path) -> None:
    bad = world["root"] / FOLDER / "[@click=app.quit]p\x1b]2;pwned\x07.toml"
    bad.write_text('name = "x"\n[data]\nsource = "csv:a.csv"\n[model]\nlayers = 3\n',
                   encoding="utf-8")
    app = open_app(str(bad), runs_dir=runs)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ErrorModal), what="the error dialog")
        message = rendered(app.screen.query_one("#error-message", Static))
        assert "[@click=app.quit]p\\x1b]2;pwned\\x07.toml" in message
        assert "\\x1b]0;dir" in message
        assert_clean(app, "error dialog")


async def test_modals_show_hostile_titles_and_messages_as_text(world: dict[str, Any],
                                                               runs: Path) -> None:
    app = make_app(world["preset"], runs_dir=runs)
    hostile = f"{CLICK} {PRESET_NAME} {FOLDER}\n{DESCRIPTION}"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await checked(pilot)
        for modal in (ErrorModal(PRESET_NAME + CLICK, hostile),
                      ConfirmScreen(PRESET_NAME + CLICK, hostile)):
            app.push_screen(modal)
            await pilot.pause()
            shown = "\n".join(rendered(s) for s in modal.query(Static))
            assert "[/oops]\\x1b]2;pwned\\x07은닉층" in shown and CLICK in shown
            assert "\\x1b[2J \\x9b" in shown
            assert_clean(app, type(modal).__name__)
            await pilot.press("escape")
            await pilot.pause()
        # A filter pasted into the add-layer dialog is text too.
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AddLayerScreen), what="the dialog")
        app.screen.query_one("#layer-filter", Input).value = "\x1b]2;pwned\x07[/oops]"
        await pilot.pause()
        assert any("no layer matches '\\x1b]2;pwned\\x07[/oops]'" in line
                   for line in screen_lines(app))
        assert_clean(app, "add layer")


# --- the run side ---------------------------------------------------------------------------------


async def test_training_a_hostile_preset_in_the_app_shows_it_as_text(world: dict[str, Any],
                                                                     runs: Path) -> None:
    app = make_app(world["preset"], runs_dir=runs)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await checked(pilot)
        app.action_show_tab("train")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.training, what="training to start")
        await until(pilot, lambda: not app.training, timeout=120, what="training to end")
        await pilot.pause(0.5)
        assert_clean(app, "train")
        screen = "\n".join(screen_lines(app))
        assert "[/oops]\\x1b]2;pwned\\x07은닉층" in screen
        log = "\n".join(app.main.train_pane.event_log.texts())
        assert "[/oops]\\x1b]2;pwned\\x07은닉층" in log
        assert printable(str(world["csv"])) in log and printable(CLASSES[1]) in log


async def test_runs_view_lists_hostile_folders_and_summaries_and_keeps_running(
        world: dict[str, Any], runs: Path) -> None:
    app = make_app(world["preset"], runs_dir=runs)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.action_show_tab("runs")
        pane = app.main.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded, what="the runs")
        table = pane.table
        assert table.row_count == len(RunStore(runs).list())
        rows = ["  ".join(str(c) for c in table.get_row_at(r)) for r in range(table.row_count)]
        assert any(printable(RUN_FOLDER) in row for row in rows), rows
        assert any("[/oops]" in row for row in rows), "the started field, shown as it is"
        for r in range(table.row_count):
            table.move_cursor(row=r)
            await pilot.pause(0.3)
            assert_clean(app, f"runs row {r}: {rows[r]}")
        results = app.main.query(ResultsTable)
        for widget in results:
            assert not CONTROL.search("".join(str(c) for r in range(widget.row_count)
                                              for c in widget.get_row_at(r)))


async def test_a_run_whose_metric_is_named_like_markup_draws_and_compares(
        world: dict[str, Any], runs: Path) -> None:
    app = make_app(world["preset"], runs_dir=runs)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.action_show_tab("runs")
        pane = app.main.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded, what="the runs")
        table = pane.table
        metric_rows = [r for r in range(table.row_count)
                       if "metric-run" in str(table.get_row_at(r)[0])]
        assert len(metric_rows) == 2
        table.focus()
        for r in metric_rows:
            table.move_cursor(row=r)
            await pilot.pause(0.3)
            assert_clean(app, f"runs, metric run {r}")
            await pilot.press("space")
        assert any(printable(METRIC) in line for line in screen_lines(app)), "the chart title"
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen), what="compare")
        view = app.screen.query_one("CompareView")
        await until(pilot, lambda: view.comparison is not None, what="the comparison")
        await pilot.pause(0.3)
        assert_clean(app, "compare")
        assert any(f"compare {printable(METRIC)}" in line for line in screen_lines(app))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CompareScreen), what="the close")
        # Watched in the Train view: the test results table names the metric as text.
        table.focus()
        table.move_cursor(row=metric_rows[0])
        await pilot.pause()
        pane.action_watch()
        results = app.main.train_pane.results_table
        await until(pilot, lambda: results.row_count > 1, what="the test results")
        await pilot.pause(0.3)
        names = [str(results.get_row_at(r)[0]) for r in range(results.row_count)]
        assert printable(METRIC) in names, names
        assert any("test: loss" in line and printable(METRIC) in line
                   for line in app.main.train_pane.event_log.texts())
        assert_clean(app, "train view, watching the metric run")


async def test_evaluate_screen_shows_hostile_classes_columns_and_run_name(
        world: dict[str, Any], runs: Path) -> None:
    app = make_app(world["preset"], runs_dir=runs)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.action_show_tab("runs")
        pane = app.main.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded, what="the runs")
        table = pane.table
        row = next(r for r in range(table.row_count)
                   if printable(RUN_FOLDER) in str(table.get_row_at(r)[0]))
        table.focus()
        table.move_cursor(row=row)
        await pilot.pause()
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, EvaluateScreen)
                    and app.screen.evaluation is not None, what="the evaluation")
        await pilot.pause(0.3)
        screen = app.screen
        assert_clean(app, "evaluate")
        matrix = screen.query_one(ConfusionMatrix).plain_text()
        for name in CLASSES:
            assert printable(name)[:6] in matrix, name
        mistakes = screen.query_one("#mistakes", DataTable)
        assert mistakes.row_count > 0
        cells = " ".join(str(c) for r in range(mistakes.row_count)
                         for c in mistakes.get_row_at(r))
        assert not CONTROL.search(cells)
        assert CLICK in cells
        title = rendered(screen.query_one("#evaluate-title", Static))
        assert "\\x1b]2;pwned\\x07" in title
        for r in range(min(3, mistakes.row_count)):
            mistakes.move_cursor(row=r)
            await pilot.pause(0.2)
            assert_clean(app, f"evaluate, mistake {r}")
        detail = rendered(screen.query_one("#mistake-detail", Static))
        assert CLICK in detail and "\\x1b]2;pwned\\x07" in detail
        # The sample's values line up by terminal cells, after a Korean column name too.
        rows = [line for line in detail.splitlines() if re.search(r"\s{2}-?\d", line)]
        assert len(rows) == 3, detail
        assert len({cell_width(line[:re.search(r"\s{2}(-?\d)", line).start(1)])  # type: ignore[union-attr]
                    for line in rows}) == 1, detail


async def test_deleting_a_run_named_with_esc_asks_in_text(world: dict[str, Any],
                                                          runs: Path) -> None:
    app = make_app(world["preset"], runs_dir=runs)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.action_show_tab("runs")
        pane = app.main.query_one(RunsPane)
        await until(pilot, lambda: pane.loaded, what="the runs")
        table = pane.table
        row = next(r for r in range(table.row_count)
                   if printable(RUN_FOLDER) in str(table.get_row_at(r)[0]))
        table.focus()
        table.move_cursor(row=row)
        await pilot.pause()
        await pilot.press("delete")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        assert printable(RUN_FOLDER) in rendered(app.screen.query_one("#question", Static))
        assert_clean(app, "confirm delete")
        await pilot.press("escape")


# --- what still leaks, in files this test could not change ----------------------------------------


async def test_the_header_shows_a_hostile_preset_name_as_text(world: dict[str, Any],
                                                              runs: Path) -> None:
    app = make_app(world["preset"], runs_dir=runs)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await checked(pilot)
        assert not leaks(app, KNOWN_LEAKS)


async def test_the_data_form_shows_a_hostile_path_as_text(world: dict[str, Any],
                                                          runs: Path) -> None:
    app = make_app(world["preset"], runs_dir=runs)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await checked(pilot)
        app.action_show_tab("data")
        await pilot.pause()
        assert not leaks(app, {})


# --- the CLI --------------------------------------------------------------------------------------


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli_main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def assert_no_escapes(text: str, what: str) -> None:
    found = sorted({repr(m.group()) for m in CONTROL.finditer(text.replace("\n", ""))})
    assert not found, f"{what} wrote control characters {found}:\n{text}"


@pytest.fixture
def cli_runs(runs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NNBENCH_RUNS_DIR", str(runs))
    return runs


def test_cli_runs_lists_hostile_folders_in_text_lined_up_by_cells(
        capsys: pytest.CaptureFixture[str], cli_runs: Path, world: dict[str, Any]) -> None:
    shutil.copytree(world["korean"], cli_runs / "은닉층-실험")
    code, out = cli(capsys, "runs")
    assert code == 0
    assert_no_escapes(out, "nnbench runs")
    assert printable(RUN_FOLDER) in out
    lines = [line for line in out.splitlines()[1:] if not line.startswith("(")]
    # The status column starts at the same terminal column in every row, Korean rows too.
    starts = set()
    for line in lines:
        name, rest = re.match(r"(.*?\S)\s{2,}(\S.*)", line).groups()  # type: ignore[union-attr]
        starts.add(cell_width(line[:line.index(rest)]))
    assert len(starts) == 1, out
    assert any(line.startswith("은닉층-실험 ") for line in lines)


def test_cli_compare_and_evaluate_write_hostile_names_as_text(
        capsys: pytest.CaptureFixture[str], cli_runs: Path, world: dict[str, Any]) -> None:
    code, out = cli(capsys, "compare", world["run"].name, RUN_FOLDER)
    assert code == 0
    assert_no_escapes(out, "nnbench compare")
    assert f"B: {printable(RUN_FOLDER)}" in out
    code, out = cli(capsys, "compare", "metric-run-1", "metric-run-2")
    assert code == 0
    assert_no_escapes(out, "nnbench compare (markup metric)")
    assert "[/oops]\\x" in out
    code, out = cli(capsys, "evaluate", RUN_FOLDER)
    assert code == 0
    assert_no_escapes(out, "nnbench evaluate")
    for name in CLASSES:
        assert printable(name)[:6] in out


def test_cli_compare_lines_up_korean_labels_by_cells(capsys: pytest.CaptureFixture[str],
                                                      cli_runs: Path, world: dict[str, Any]) -> None:
    code, out = cli(capsys, "compare", world["korean"].name, world["run"].name)
    assert code == 0
    table = out.split("\n\n")[1].splitlines()
    header, rows = table[0], table[1:]
    column_b = cell_width(header[:header.index("B")])
    for row in rows:
        # Each row's second value starts where the header's B does.
        values = re.split(r"\s{2,}", row.strip())
        assert len(values) == 3, row
        at = row.rindex(values[2])
        assert cell_width(row[:at]) == column_b, (row, out)


def nnbench(*argv: str) -> tuple[int, str]:
    """The real command in its own process: the bytes a terminal would get."""
    done = subprocess.run([str(Path(sys.executable).parent / "nnbench"), *argv],
                          capture_output=True, timeout=300, env={**os.environ,
                                                                  "TF_CPP_MIN_LOG_LEVEL": "3"})
    for stream in (done.stdout, done.stderr):
        assert b"\x1b" not in stream and not re.search(rb"\xc2[\x80-\x9f]", stream), stream
    return done.returncode, (done.stdout + done.stderr).decode()


@pytest.mark.slow
def test_cli_train_of_a_hostile_preset_writes_it_as_text(cli_runs: Path,
                                                         world: dict[str, Any]) -> None:
    code, out = nnbench("train", str(world["preset_path"]))
    assert code == 0, out
    assert_no_escapes(out, "nnbench train")
    assert printable(PRESET_NAME) in out and printable(CLASSES[2]) in out


@pytest.mark.slow
def test_cli_errors_quoting_hostile_names_are_text(capsys: pytest.CaptureFixture[str],
                                                   cli_runs: Path, world: dict[str, Any]) -> None:
    preset = world["preset"]
    wrong = preset.copy_with(data=preset.data.model_copy(update={"target": "nope"}))
    path = world["root"] / FOLDER / "wrong.toml"
    save_preset(wrong, path)
    code, out = nnbench("train", str(path))
    assert code != 0
    assert CLICK in out and "\\x1b]2;pwned\\x07" in out
    code, out = cli(capsys, "evaluate", "\x1b]2;nope\x07")
    assert code != 0
    assert_no_escapes(out, "nnbench evaluate (no such run)")


def test_cli_summary_writes_hostile_names_as_text_lined_up(
        capsys: pytest.CaptureFixture[str], cli_runs: Path, world: dict[str, Any]) -> None:
    code, out = cli(capsys, "summary", str(world["preset_path"]))
    assert code == 0
    assert_no_escapes(out, "nnbench summary")
    rows = [line for line in out.splitlines() if "(Dense)" in line or "(Dropout)" in line]
    assert len({cell_width(line) for line in rows}) == 1, out
