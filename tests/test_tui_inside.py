"""The Inside view draws what a real Trainer wrote: layer rows, flags, the confusion matrix."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import tiny_preset
from textual.app import App, ComposeResult
from textual.widget import Widget

from nnbench.core import events as ev
from nnbench.core.run_state import RunState, replay
from nnbench.core.runs import read_events
from nnbench.tui.screens.inside_pane import InsidePane
from nnbench.tui.widgets.layer_table import (
    LayerTable,
    LiveConfusion,
    render_live_confusion,
    sparkline,
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from nnbench.core import health_callback
    from nnbench.core.training import Trainer

    preset = tiny_preset(model={"layers": [
        {"type": "Input", "shape": [4]},
        {"type": "Dense", "units": 8, "activation": "relu", "name": "hidden"},
        {"type": "Dense", "units": 3, "activation": "softmax", "name": "out"}]})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(health_callback, "BUDGET", math.inf)
        mp.delenv(health_callback.INSIDE_ENV, raising=False)
        final = Trainer(preset, tmp_path_factory.mktemp("runs")).run()
    assert final.status == "finished", final.error
    return Path(final.run_dir)


class FakeTrain(Widget):
    """Stands in for the Train view: the Inside view reads its ``state``."""

    def __init__(self, state: RunState) -> None:
        super().__init__(id="train-pane")
        self.state = state


class InsideApp(App[None]):
    def __init__(self, state: RunState) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        yield FakeTrain(self.state)
        yield InsidePane(id="inside")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_inside_view_shows_the_runs_layers_and_confusion_matrix(run_dir: Path,
                                                                           size) -> None:
    state = replay(read_events(run_dir / "events.jsonl"))
    app = InsideApp(state)
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.7)  # one poll of the Train view's state
        pane = app.query_one(InsidePane)
        header = str(pane.query_one("#inside-header").render())
        assert "epoch 3/3" in header and "layer health on 24 samples" in header
        table = pane.query_one(LayerTable).render().plain  # type: ignore[union-attr]
        lines = table.splitlines()
        assert lines[0].split()[:3] == ["layer", "act", "mean"]
        assert lines[1].startswith("hidden") and "relu" in lines[1] and lines[1].endswith("%")
        assert lines[2].startswith("out") and "softmax" in lines[2]
        assert ("min" in lines[0]) == (size[0] >= 110)  # min/max only when there is room
        assert all(len(line) <= size[0] for line in lines)
        matrix = pane.query_one(LiveConfusion).render().plain  # type: ignore[union-attr]
        assert "setosa" in matrix and "virginica" in matrix and "rec" in matrix
        last = state.confusion[3]
        assert last.matrix == [[int(c) for c in row] for row in last.matrix]


def test_the_cells_that_moved_most_are_underlined() -> None:
    names = ["cat", "dog"]
    before = ev.ConfusionMatrixUpdated(1, names, [[5, 0], [0, 5]], [1.0, 1.0], 10)
    now = ev.ConfusionMatrixUpdated(2, names, [[2, 3], [0, 5]], [0.4, 1.0], 10)
    text = render_live_confusion(now, before, 80)
    marked = {text.plain[span.start:span.end].strip() for span in text.spans
              if getattr(span.style, "underline", False)}
    assert marked == {"2", "3"}
    assert not any(getattr(s.style, "underline", False) for s in
                   render_live_confusion(now, None, 80).spans)


def test_a_flag_is_shown_in_words_and_names_are_data_not_markup() -> None:
    from nnbench.tui.widgets.layer_table import render_layers

    stats = ev.LayerStats("[bold]x", "Dense", "relu", 4, 0.0, 1.0, -1.0, 1.0, [1, 4, 2],
                          0.01, 0.5, 0.75, None, 8)
    flag = ev.HealthFlag("[bold]x", "dead", "[bold]x: 75% of units never activate (dead ReLU)")
    text = render_layers(ev.LayerHealth(1, [stats], 0.5, [flag], [flag], 10, 0.0), 80)
    assert "[bold]x" in text.plain and "75%" in text.plain and "⚠ [bold]x: 75%" in text.plain
    assert sparkline([1, 4, 2]) == "▃█▅" and sparkline([]) == ""
