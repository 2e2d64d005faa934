"""The load panel draws the run model's series: a sparkline and a value per quantity, GPU rows when
the run recorded GPUs, values only when narrow, a starved GPU flagged, a run without a load said."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Sparkline, Static

from nnbench.core import events as ev
from nnbench.core.run_state import RunState
from nnbench.tui.widgets.system_load import STARVED_NOTE, LoadLine, SystemLoadPanel

GIB = 1 << 30


def load(epoch: int, *, cpu: float = 50.0, util: float = 70.0, gpus: int = 1,
         partial: bool = False) -> ev.SystemLoad:
    return ev.SystemLoad(
        epoch=epoch, samples=10, cpu_count=8, process_cpu_mean=cpu, process_cpu_peak=cpu + 5,
        process_rss_mean=700e6, process_rss_peak=(800 + epoch) * (1 << 20), host_cpu_mean=40.0 + epoch,
        host_cpu_peak=60.0, host_ram_mean=4 * GIB, host_ram_peak=4 * GIB, host_ram_total=16 * GIB,
        gpus=[ev.GpuLoad(i, f"Test GPU {i}", util, util, 3e9, (3 + i) * GIB, 16 * GIB, True)
              for i in range(gpus)], partial=partial)


def state_of(*events: ev.Event, status: str = "running") -> RunState:
    state = RunState(status=status)
    for event in events:
        state.apply(event)
    return state


class ChartsRow(App[None]):
    """The panel where the Train view puts it: beside two charts in one row."""

    CSS = "#charts { height: 1fr; } #charts Static { width: 1fr; border: round $panel; }"

    def compose(self) -> ComposeResult:
        with Horizontal(id="charts"):
            yield Static("loss")
            yield Static("accuracy")
            yield SystemLoadPanel()


def labels(panel: SystemLoadPanel) -> list[str]:
    return [str(line.query_one(".load-label", Static).render()) for line in panel.lines]


def sparks(panel: SystemLoadPanel) -> list[list[float]]:
    return [list(line.query_one(Sparkline).data or []) for line in panel.lines]


async def test_each_quantity_is_a_sparkline_of_its_epochs_with_its_latest_value() -> None:
    state = state_of(load(1, util=20.0), load(2, util=35.0), load(3, util=12.0))
    async with ChartsRow().run_test(size=(120, 40)) as pilot:
        panel = pilot.app.query_one(SystemLoadPanel)
        panel.show_run(state)
        await pilot.pause()
        assert [line.key for line in panel.lines] == [
            "process_cpu", "process_rss", "gpu0_util", "gpu0_memory", "host_cpu", "host_ram"]
        assert labels(panel) == ["proc CPU  50%", "proc RSS 803M", "GPU0 use  12%",
                                 "GPU0 mem 3.0G", "host CPU  43%", "host RAM  25%"]
        assert sparks(panel)[2] == [20.0, 35.0, 12.0] == [v for _, v in state.system["gpu0_util"]]
        assert sparks(panel)[1] == [801 * (1 << 20), 802 * (1 << 20), 803 * (1 << 20)]
        assert not panel.has_class("-compact")
        assert all(line.query_one(Sparkline).display for line in panel.lines)
        assert 28 <= panel.outer_size.width <= 36  # beside the curves, not instead of them
        assert not panel.query_one("#load-note").display  # nothing to say: no empty row
        assert "Test GPU 0" in str(panel.lines[2].tooltip)

        # The epoch in flight moves with its live update; a run without GPUs drops their rows.
        state.apply(load(4, util=50.0, partial=True))
        panel.show_run(state)
        await pilot.pause()
        assert sparks(panel)[2] == [20.0, 35.0, 12.0, 50.0] and labels(panel)[2] == "GPU0 use  50%"
        panel.show_run(state_of(load(1, gpus=0)))
        await pilot.pause()
        assert [line.key for line in panel.lines] == ["process_cpu", "process_rss", "host_cpu",
                                                      "host_ram"]


async def test_at_80x24_the_values_stay_and_the_sparklines_go() -> None:
    async with ChartsRow().run_test(size=(80, 24)) as pilot:
        panel = pilot.app.query_one(SystemLoadPanel)
        panel.show_run(state_of(load(1), load(2, gpus=2)))
        await pilot.pause()
        assert panel.has_class("-compact") and panel.outer_size.width <= 20
        assert not any(line.query_one(Sparkline).display for line in panel.lines)
        assert "GPU1 mem 4.0G" in labels(panel)
        charts = [w for w in pilot.app.query("#charts > Static")]
        assert all(chart.outer_size.width >= 30 for chart in charts)  # the curves keep their room


async def test_a_starved_gpu_is_flagged_until_an_epoch_feeds_it() -> None:
    async with ChartsRow().run_test(size=(120, 40)) as pilot:
        panel = pilot.app.query_one(SystemLoadPanel)
        note = panel.query_one("#load-note", Static)
        state = state_of(load(1, util=5.0, cpu=150.0))
        panel.show_run(state)
        await pilot.pause()
        assert panel.has_class("-starved") and note.display and str(note.render()) == STARVED_NOTE
        assert any("starved" in line.text for line in state.log)  # the words are in the log
        state.apply(load(2, util=90.0, partial=True))  # a live update never decides it
        panel.show_run(state)
        await pilot.pause()
        assert panel.has_class("-starved")
        state.apply(load(2, util=90.0))
        panel.show_run(state)
        await pilot.pause()
        assert not panel.has_class("-starved") and not note.display


async def test_a_run_without_a_load_record_says_so() -> None:
    async with ChartsRow().run_test(size=(120, 40)) as pilot:
        panel = pilot.app.query_one(SystemLoadPanel)
        note = panel.query_one("#load-note", Static)
        panel.show_run(RunState(status="running"))
        await pilot.pause()
        assert str(note.render()) == "no load yet" and panel.lines == []
        old = state_of(ev.EpochEnded(1, 1, {"loss": 1.0}, None, 1.0),
                       ev.RunFinished("finished", None, 1))
        panel.show_run(old)
        await pilot.pause()
        assert str(note.render()) == "load not recorded" and panel.lines == []
        old.apply(load(1))  # the same run, its load arriving later
        panel.show_run(old)
        await pilot.pause()
        assert isinstance(panel.lines[0], LoadLine) and not note.display
