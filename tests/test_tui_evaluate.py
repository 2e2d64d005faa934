"""The evaluate screen, the confusion matrix and the compare view, on runs a real Trainer wrote."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import settle, tiny_preset
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Select, Static

from nnbench.core.evaluate import class_scores, evaluate_run
from nnbench.core.training import Trainer
from nnbench.tui.screens.evaluate_screen import EvaluateScreen
from nnbench.tui.widgets.compare_view import CompareView
from nnbench.tui.widgets.confusion_matrix import ConfusionMatrix, render_confusion
from nnbench.tui.widgets.curve_chart import CurveChart

SMALL = (80, 24)


def _train(preset, runs_dir: Path) -> Path:
    final = Trainer(preset, runs_dir).run()
    assert final.status == "finished", final.error
    return Path(final.run_dir)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def iris_run(runs: Path) -> Path:
    return _train(tiny_preset(fit={"epochs": 2}), runs)


@pytest.fixture(scope="module")
def sgd_dropout_run(runs: Path) -> Path:
    layers = [{"type": "Input", "shape": [4]}, {"type": "Dense", "units": 8, "activation": "relu"},
              {"type": "Dropout", "rate": 0.3}, {"type": "Dense", "units": 3, "activation": "softmax"}]
    return _train(tiny_preset(name="sgd", model={"layers": layers},
                              compile={"optimizer": {"type": "sgd", "learning_rate": 0.05}},
                              fit={"epochs": 2}), runs)


@pytest.fixture(scope="module")
def markup_run(runs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Class and column names that look like Rich markup: they must be shown, not obeyed."""
    path = tmp_path_factory.mktemp("csv") / "pets.csv"
    rows = ["[i]len,width,kind"] + [f"{1 + i % 7},{2 + i % 3},{'[b]cat[/b]' if i % 2 else 'dog'}"
                                    for i in range(40)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return _train(tiny_preset(
        name="pets", data={"source": f"csv:{path}", "test_split": 0.5},
        model={"layers": [{"type": "Input", "shape": [2]},
                          {"type": "Dense", "units": 2, "activation": "softmax"}]},
        fit={"epochs": 1, "validation_split": None}), runs)


class EvaluateApp(App):
    def __init__(self, run_dir: Path) -> None:
        super().__init__()
        self.run_dir = run_dir

    def on_mount(self) -> None:
        self.push_screen(EvaluateScreen(self.run_dir))


async def _evaluated(pilot) -> EvaluateScreen:
    await pilot.pause()
    await settle(pilot.app)
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, EvaluateScreen)
    return screen


async def test_the_screen_shows_the_matrix_and_the_mistakes_most_confident_first(
        iris_run: Path) -> None:
    expected = evaluate_run(iris_run)
    async with EvaluateApp(iris_run).run_test(size=SMALL) as pilot:
        screen = await _evaluated(pilot)
        assert screen.evaluation is not None
        matrix = screen.query_one(ConfusionMatrix).plain_text()
        for name in expected.class_names:
            assert name in matrix
        assert "prec" in matrix and "f1" in matrix
        first_row = matrix.splitlines()[1].split()
        assert first_row[1:4] == [str(v) if v else "·" for v in expected.confusion[0]]
        status = str(screen.query_one("#evaluate-status", Static).render())
        assert f"accuracy {expected.accuracy:.4f}" in status and "test split" in status
        table = screen.query_one("#mistakes", DataTable)
        wanted = [m.index for m in expected.mistakes(limit=None)]
        assert table.row_count == len(wanted)
        assert [int(table.get_row_at(r)[0]) for r in range(table.row_count)] == wanted


async def test_the_mistakes_filter_by_true_class_and_show_the_row(iris_run: Path) -> None:
    expected = evaluate_run(iris_run)
    c = int(np.argmax(expected.confusion.sum(axis=1) - np.diag(expected.confusion)))
    async with EvaluateApp(iris_run).run_test(size=SMALL) as pilot:
        screen = await _evaluated(pilot)
        screen.query_one("#filter-true", Select).value = c
        await pilot.pause()
        table = screen.query_one("#mistakes", DataTable)
        wanted = [m.index for m in expected.mistakes(true=c, limit=None)]
        assert [int(table.get_row_at(r)[0]) for r in range(table.row_count)] == wanted
        assert all(str(table.get_row_at(r)[1]) == expected.class_names[c]
                   for r in range(table.row_count))
        detail = str(screen.query_one("#mistake-detail", Static).render())
        assert "sepal length (cm)" in detail and f"true {expected.class_names[c]}" in detail


async def test_markup_in_class_and_column_names_is_shown_literally(markup_run: Path) -> None:
    async with EvaluateApp(markup_run).run_test(size=SMALL) as pilot:
        screen = await _evaluated(pilot)
        assert screen.evaluation.class_names == ["[b]cat[/b]", "dog"]
        assert "[b]cat[/b]" in screen.query_one(ConfusionMatrix).plain_text()
        table = screen.query_one("#mistakes", DataTable)
        cells = [str(table.get_row_at(r)[4]) for r in range(table.row_count)]
        names = [str(table.get_row_at(r)[1]) + str(table.get_row_at(r)[2])
                 for r in range(table.row_count)]
        assert table.row_count > 0, "a one-epoch model on this data makes mistakes"
        assert all("[i]len=" in cell for cell in cells)
        assert all("[b]cat[/b]" in both for both in names)


async def test_a_run_without_a_model_shows_the_reason_not_a_traceback(iris_run: Path,
                                                                    tmp_path: Path) -> None:
    broken = tmp_path / iris_run.name
    shutil.copytree(iris_run, broken)
    (broken / "model.keras").unlink()
    async with EvaluateApp(broken).run_test(size=SMALL) as pilot:
        screen = await _evaluated(pilot)
        status = screen.query_one("#evaluate-status", Static)
        assert "no model.keras" in str(status.render())
        assert status.has_class("-error")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, EvaluateScreen)


def test_ten_classes_fit_80_columns() -> None:
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
             "Bag", "Ankle boot"]
    matrix = np.full((10, 10), 3)
    np.fill_diagonal(matrix, 950)
    text = render_confusion(matrix, names, class_scores(matrix, names), width=78)
    lines = text.plain.splitlines()
    assert len(lines) == 11 and max(len(line) for line in lines) <= 78
    assert lines[1].startswith("T-shirt/top") and " 950" in lines[1]
    assert [line.split()[0] for line in lines[1:]] == [n.split()[0] for n in names]
    assert "Tro" in lines[0] and "Ank" in lines[0]


class CompareApp(App):
    def compose(self) -> ComposeResult:
        yield CompareView()


async def test_compare_view_overlays_runs_named_by_what_differs(iris_run: Path,
                                                                sgd_dropout_run: Path) -> None:
    async with CompareApp().run_test(size=SMALL) as pilot:
        view = pilot.app.query_one(CompareView)
        view.compare([iris_run, sgd_dropout_run])
        await pilot.pause()
        await settle(pilot.app)
        await pilot.pause()
        c = view.comparison
        assert c is not None
        charts = pilot.app.query(CurveChart)
        titles = [chart.title for chart in charts if chart.display]
        assert titles == ["compare loss", "compare val_loss", "compare accuracy",
                          "compare val_accuracy"]
        adam, sgd = c.labels
        assert adam.startswith("adam") and sgd.startswith("sgd lr=0.05")
        loss = charts.first()
        # At 80 columns the longer label gives way so the whole legend fits one border.
        shown = list(loss.curves)
        assert shown[0] == adam and shown[1].startswith("sgd lr=0.05")
        assert "adam" in loss.border_subtitle and "sgd lr=0.05" in loss.border_subtitle
        assert loss.curves[shown[1]].xs == [1.0, 2.0]
        table = view.query_one("#compare-diff", DataTable)
        keys = [str(table.get_row_at(r)[0]) for r in range(table.row_count)]
        assert keys == list(c.differing)
        assert "model.layers[2].type" in keys and "compile.optimizer.type" in keys


def test_labels_give_way_longest_first_and_stay_unique() -> None:
    from nnbench.tui.widgets.compare_view import fit_labels

    assert fit_labels(["adam", "sgd lr=0.05 Dropout(0.3)"], 40) == ["adam", "sgd lr=0.05 Dropout(0.3)"]
    cut = fit_labels(["adam", "sgd lr=0.05 Dropout(0.3)"], 24)
    assert cut[0] == "adam" and cut[1].startswith("sgd lr") and sum(len(x) + 4 for x in cut) - 2 <= 24
    assert len(set(fit_labels(["sgd lr=0.01 x", "sgd lr=0.01 y"], 10))) == 2


async def test_compare_view_says_why_it_cannot_compare(iris_run: Path) -> None:
    async with CompareApp().run_test(size=SMALL) as pilot:
        view = pilot.app.query_one(CompareView)
        view.compare([iris_run])
        await pilot.pause()
        await settle(pilot.app)
        await pilot.pause()
        status = view.query_one("#compare-status", Static)
        assert "two or more runs" in str(status.render()) and status.has_class("-error")


async def test_a_regression_run_shows_residuals_not_a_matrix(runs: Path) -> None:
    run = _train(tiny_preset(
        data={"source": "sklearn:diabetes"},
        model={"layers": [{"type": "Input", "shape": [10]}, {"type": "Dense", "units": 1}]},
        compile={"loss": "mse", "metrics": ["mae"]}, fit={"epochs": 1}), runs)
    expected = evaluate_run(run).residuals
    async with EvaluateApp(run).run_test(size=SMALL) as pilot:
        screen = await _evaluated(pilot)
        assert not screen.query_one(ConfusionMatrix).display
        residuals = str(screen.query_one("#residuals", Static).render())
        assert f"MAE {expected.mae:.4f}" in residuals or f"MAE {expected.mae:,.2f}" in residuals
        assert "50% quantile" in residuals
        table = screen.query_one("#mistakes", DataTable)
        assert [int(table.get_row_at(r)[0]) for r in range(table.row_count)] == [
            item.index for item in expected.largest]


async def _drawn(pilot, screen: EvaluateScreen) -> str:
    from nnbench.tui.widgets.mistakes_view import MistakesView

    view = screen.query_one(MistakesView)
    for _ in range(100):
        await settle(pilot.app)
        await pilot.pause()
        if view.drawn is not None and view.drawn is view.items:
            break
    return view.plain_text()


@pytest.fixture(scope="module")
def digits_run(runs: Path) -> Path:
    return _train(tiny_preset(
        data={"source": "sklearn:digits", "scaling": "divide255"},
        model={"layers": [{"type": "Input", "shape": [64]},
                          {"type": "Dense", "units": 10, "activation": "softmax"}]},
        fit={"epochs": 1}), runs)


async def test_image_mistakes_are_drawn_as_pictures_and_filter_by_key(digits_run: Path) -> None:
    expected = evaluate_run(digits_run)
    async with EvaluateApp(digits_run).run_test(size=(120, 40)) as pilot:
        screen = await _evaluated(pilot)
        await pilot.press("m")
        drawn = await _drawn(pilot, screen)
        first = expected.mistakes(limit=1)[0]
        assert "▀" in drawn and f"→ {first.predicted_name}" in drawn
        assert f"p={first.probability:.2f}" in drawn
        await pilot.press("t", "t")  # any -> class 0 -> class 1
        assert screen.query_one("#filter-true", Select).value == 1
        drawn = await _drawn(pilot, screen)
        wanted = expected.mistakes(true=1, limit=64)
        labels = [line for line in drawn.splitlines() if line and line[0].isdigit()]
        assert labels and all(set(line.split()) == {"1"} for line in labels)
        assert sum(len(line.split()) for line in labels) == len(wanted)
        table = screen.query_one("#mistakes", DataTable)
        assert [int(table.get_row_at(r)[0]) for r in range(table.row_count)] == [
            m.index for m in wanted]


async def test_markup_and_control_characters_in_a_text_sample_are_shown_literally(
        runs: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("reviews")
    hostile = "[bold red]loud[/] \x1b[2J gone [@click=app.quit]x[/]"
    texts = {"train": {"neg": ["awful bad", "bad boring", "awful", "boring bad"],
                       "pos": ["great fun", "good great", "fun fun", "good"]},
             "test": {"neg": [hostile, hostile + " more"], "pos": [hostile, hostile + " !"]}}
    for split, classes in texts.items():
        for label, reviews in classes.items():
            (root / split / label).mkdir(parents=True)
            for i, review in enumerate(reviews):
                (root / split / label / f"{i}.txt").write_text(review, encoding="utf-8")
    run = _train(tiny_preset(
        data={"source": f"text:{root}", "maxlen": 6, "num_words": 50, "scaling": "none",
              "test_split": None},
        model={"layers": [{"type": "Input", "shape": [6]},
                          {"type": "Embedding", "input_dim": 50, "output_dim": 4},
                          {"type": "GlobalAveragePooling1D"},
                          {"type": "Dense", "units": 2, "activation": "softmax"}]},
        fit={"epochs": 1, "batch_size": 4, "validation_split": 0.25}), runs)
    async with EvaluateApp(run).run_test(size=SMALL) as pilot:
        screen = await _evaluated(pilot)
        assert screen.evaluation.mistakes(limit=None), "one class is always wrong: same texts"
        await pilot.press("m")
        drawn = await _drawn(pilot, screen)
        assert "[bold red]loud[/]" in drawn and "[@click=app.quit]x[/]" in drawn
        assert "\\x1b[2J" in drawn and "\x1b" not in drawn
        assert isinstance(pilot.app.screen, EvaluateScreen)


def test_a_picture_is_drawn_with_the_data_previews_half_blocks() -> None:
    from rich.console import Console

    from nnbench.core.evaluate import Example
    from nnbench.tui.screens.evaluate_screen import example_text

    image = np.zeros((4, 3))
    image[0] = 255  # a white top row over black
    console = Console(width=20, color_system="truecolor", force_terminal=True)
    lines = console.render_lines(example_text(Example("image", pixels=image)), pad=False)
    cells = [s for s in lines[0] if s.text == "▀"]
    assert len(cells) == 3 and len(lines[1]) >= 3
    assert cells[0].style.color.triplet == (248, 248, 248)  # 32 levels a channel, as the preview
    assert cells[0].style.bgcolor.triplet == (0, 0, 0)
