"""The Keras and plotext private names nnbench borrows (core/keras_private.py,
tui/widgets/plotext_private.py) still exist and still do what nnbench needs, in the installed
libraries. Each failure names the library version and the symbol, so an upgrade that moves one says
where to look instead of leaving a total, a cache folder or a chart quietly wrong.

And the chart that uses plotext: one figure for its life, drawn only when it is displayed."""

from __future__ import annotations

import math
from importlib.metadata import version
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet
from textual.app import App, ComposeResult
from textual.widgets import Static, TabbedContent, TabPane

from nnbench.core import keras_private
from nnbench.tui.widgets import plotext_private
from nnbench.tui.widgets.curve_chart import BEST_COLOR, TRAIN_COLOR, VAL_COLOR, CurveChart
from nnbench.tui.widgets.plotext_private import PlotextChanged, own_figure

KERAS = version("keras")
PLOTEXT = version("plotext")


def keras_broken(symbol: str, what: str) -> str:
    return (f"Keras {KERAS}: {symbol} {what}. nnbench borrows it (core/keras_private.py, last "
            f"checked with Keras {keras_private.CHECKED_WITH}, supported keras"
            f"{keras_private.SUPPORTED}); the fallback keeps nnbench working, but check that it "
            "still agrees with Keras, then adapt the seam or the pin.")


def plotext_broken(symbol: str, what: str) -> str:
    return (f"plotext {PLOTEXT}: {symbol} {what}. nnbench's charts borrow it "
            f"(tui/widgets/plotext_private.py, last checked with plotext "
            f"{plotext_private.CHECKED_WITH}, pinned plotext{plotext_private.SUPPORTED}): adapt "
            "the seam or the pin.")


# --- Keras ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("module", "name"), keras_private.PRIVATE_SYMBOLS)
def test_every_borrowed_keras_name_still_exists(module: str, name: str) -> None:
    found = keras_private.private_symbol(module, name)
    assert callable(found), keras_broken(f"{module}.{name}", "cannot be imported")


def _model_with_frozen_weights() -> Any:
    from nnbench.core.keras_env import import_keras

    keras = import_keras()
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(5)(inputs)
    hidden = keras.layers.BatchNormalization()(hidden)  # 10 trainable, 10 non-trainable
    frozen = keras.layers.Dense(4)
    outputs = keras.layers.Dense(3)(frozen(hidden))
    frozen.trainable = False
    return keras.Model(inputs, outputs)


def _printed_counts(model: Any) -> tuple[int, int, int]:
    printed: list[str] = []
    model.summary(print_fn=lambda line, **_: printed.append(line))
    text = "\n".join(printed)

    def count(label: str) -> int:
        assert label in text, keras_broken("model.summary()", f"no longer prints {label!r}")
        return int(text.split(label)[1].split()[0].replace(",", ""))

    return count("Total params:"), count("Trainable params:"), count("Non-trainable params:")


def test_summary_totals_equal_what_keras_summary_prints() -> None:
    from nnbench.core.model import summarize

    model = _model_with_frozen_weights()
    ours = summarize(model)
    assert (ours.total, ours.trainable, ours.non_trainable) == _printed_counts(model), keras_broken(
        "keras.src.utils.summary_utils.count_params", "no longer counts as model.summary() prints")
    assert ours.non_trainable == 10 + 5 * 4 + 4  # BatchNormalization's moving stats, frozen Dense


def test_without_the_private_names_the_fallbacks_give_the_same_answers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model_with_frozen_weights()
    with_keras = [keras_private.count_params(w) for w in
                  (model.trainable_weights, model.non_trainable_weights, model.weights)]
    home = keras_private.keras_home()
    monkeypatch.setattr(keras_private, "private_symbol", lambda module, name: None)
    assert [keras_private.count_params(w) for w in
            (model.trainable_weights, model.non_trainable_weights, model.weights)] == with_keras
    # Keras decided its home at import, from this environment: the fallback's rule agrees.
    assert keras_private.keras_home() == home


def test_the_installed_keras_is_in_the_supported_range() -> None:
    assert KERAS in SpecifierSet(keras_private.SUPPORTED), (
        f"Keras {KERAS} is outside keras{keras_private.SUPPORTED}, the range core/keras_private.py "
        "was checked in: run this file, then widen the range or adapt the seam.")


# --- plotext -------------------------------------------------------------------------------------


def test_the_installed_plotext_is_in_the_supported_range() -> None:
    assert PLOTEXT in SpecifierSet(plotext_private.SUPPORTED), plotext_broken(
        "the package", f"is outside plotext{plotext_private.SUPPORTED}")


def test_plotext_still_gives_a_chart_a_figure_of_its_own() -> None:
    import plotext

    assert hasattr(type(plotext.terminal)(), "_master"), plotext_broken(
        "terminal._master", "is gone: no figure of a terminal of its own")
    first, second = own_figure(), own_figure()
    assert first is not second and first is not plotext.figure, plotext_broken(
        "type(plotext.terminal)()", "no longer makes a terminal with its own figure")
    first.plot_size(150, 60)  # bigger than any test terminal: only plot_size decides
    first.draw(first.signal([1, 2, 3], [3, 1, 2]))
    second.plot_size(20, 6)
    drawn = first.build().string(colorless=True).splitlines()
    assert (len(drawn), max(len(line) for line in drawn)) == (60, 150), plotext_broken(
        "terminal.limit(False, False)", "no longer frees the figure from the terminal's size")
    assert len(second.build().string(colorless=True).splitlines()) == 6, plotext_broken(
        "terminal._master", "is shared between terminals")


def test_a_plotext_without_the_private_figure_is_named_in_the_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import plotext

    class TerminalWithoutMaster:
        def limit(self, width: bool, height: bool) -> None: ...

    monkeypatch.setattr(plotext, "terminal", TerminalWithoutMaster())
    with pytest.raises(PlotextChanged) as raised:
        own_figure()
    message = str(raised.value)
    assert PLOTEXT in message and "_master" in message and plotext_private.SUPPORTED in message


# --- the chart: one figure, drawn only when displayed ---------------------------------------------


def _fill(chart: CurveChart, epochs: int, *, nan_at: int | None = None, best: int | None = None) -> None:
    chart.clear()
    xs = list(range(1, epochs + 1))
    loss = [1 / (1 + e / 3) if e != nan_at else math.nan for e in xs]
    chart.set_curve("loss", xs, loss, TRAIN_COLOR)
    chart.set_curve("val_loss", xs, [v + 0.05 for v in loss], VAL_COLOR)
    chart.set_marker("best", best, f"best epoch {best}", BEST_COLOR)


def test_one_figure_drawn_again_shows_what_a_new_figure_would() -> None:
    reused = CurveChart("loss")
    cases = [(3, None, 2, (40, 10)), (30, 7, 12, (70, 18)), (1, None, None, (20, 5)),
             (300, 150, 299, (117, 30)), (8, None, None, (40, 10))]
    figures = set()
    for epochs, nan_at, best, size in cases:
        fresh = CurveChart("loss")
        _fill(reused, epochs, nan_at=nan_at, best=best)
        _fill(fresh, epochs, nan_at=nan_at, best=best)
        again, new = reused._build(*size), fresh._build(*size)
        assert (again.plain, again.spans) == (new.plain, new.spans), (epochs, size)
        figures.add(id(reused._plot))
    assert len(figures) == 1 and reused.replot_count == len(cases)


class TabsApp(App[None]):
    def compose(self) -> ComposeResult:
        with TabbedContent(initial="train"):
            with TabPane("Train", id="train"):
                yield CurveChart("loss", id="chart")
            with TabPane("Runs", id="runs"):
                yield Static("runs")


async def test_a_hidden_chart_draws_nothing_and_draws_once_when_shown_again() -> None:
    app = TabsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        chart = app.query_one(CurveChart)
        _fill(chart, 5)
        chart.replot()
        await pilot.pause()
        assert "5" in chart.plain_text().splitlines()[-1]  # the x axis reaches epoch 5
        drawn = chart.replot_count

        app.query_one(TabbedContent).active = "runs"
        await pilot.pause()
        for epochs in (6, 7, 8):  # three epochs end while the Runs tab is in front
            _fill(chart, epochs)
            chart.replot()
            await pilot.pause()
        assert chart.replot_count == drawn

        app.query_one(TabbedContent).active = "train"
        await pilot.pause()
        await pilot.pause()
        assert chart.replot_count == drawn + 1
        assert "8" in chart.plain_text().splitlines()[-1]  # shown at its latest data
        assert chart.replot_count == drawn + 1


async def test_replots_between_two_frames_draw_the_figure_once() -> None:
    app = TabsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        chart = app.query_one(CurveChart)
        await pilot.pause()
        _fill(chart, 4)
        chart.replot()
        await pilot.pause()
        drawn = chart.replot_count
        _fill(chart, 5, best=3)
        chart.replot()
        chart.replot()  # e.g. the epoch's values, then its early-stopping marker
        await pilot.pause()
        assert chart.replot_count == drawn + 1
        assert "┊" in chart.plain_text()


@pytest.mark.parametrize("epochs", [1, 12, 400])
def test_the_figure_reads_as_rich_reads_plotexts_ansi(epochs: int) -> None:
    from rich.text import Text

    from nnbench.tui.widgets.plotext_private import figure_text, foreground_only

    figure = own_figure()
    figure.plot_size(70, 16)
    figure.draw(figure.signal(list(range(epochs)), [1 / (1 + e) for e in range(epochs)]))
    figure.line(1, orientation="v", style="dotted")
    ansi = figure.build().string()
    ours = figure_text(ansi)
    rich = foreground_only(Text.from_ansi(ansi, no_wrap=True, overflow="crop", end=""))
    assert (ours.plain, ours.spans, ours.end, ours.tab_size) == (
        rich.plain, rich.spans, rich.end, rich.tab_size), plotext_broken(
        "figure.build().string()", "writes ANSI that figure_text reads differently from Rich")
    assert any(span.style.color for span in ours.spans)  # coloured, not a plain fallback
