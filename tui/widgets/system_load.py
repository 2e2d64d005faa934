"""The machine's load beside the curves: one sparkline per quantity, from the run model.

    ╭ machine ────────────────────╮
    │GPU starved (log)            │
    │proc CPU  98% ▃▅▇▇▆▇▇        │
    │proc RSS 812M ▁▂▂▃▃▃▃        │
    │GPU0 use  12% ▁▁▁▁▁▁▁        │
    │GPU0 mem  31G ▇▇▇▇▇▇▇        │
    │host CPU  64% ▅▅▆▆▅▆▆        │
    │host RAM  41% ▅▅▅▅▅▅▅        │

Each point is an epoch (``RunState.system``: CPU and GPU use by their epoch means, memory by its
peaks); the epoch in flight moves as its live updates arrive. Narrower than ``COMPACT_WIDTH`` the
sparklines go and the values stay. A run recorded without a load (an older nnbench, or
NNBENCH_SYSTEM_LOAD=off) says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Sparkline, Static

from nnbench.core.events import SystemLoad
from nnbench.core.i18n import N_, _
from nnbench.core.run_state import RunState
from nnbench.core.system_load import fmt_bytes, starved_gpus
from nnbench.core.text import printable

STARVED_NOTE = N_("GPU starved (log)")
COMPACT_WIDTH = 24
"""Below this many columns (borders included) the panel shows values without sparklines."""


@dataclass(frozen=True)
class LoadRow:
    key: str
    """The RunState.system series it draws."""
    label: str
    value: str
    tooltip: str


def _percent(value: float) -> str:
    return f"{value:.0f}%"


def load_rows(state: RunState) -> list[LoadRow]:
    """The panel's rows for ``state``: the process and the host, then each GPU, latest values."""
    load, series = state.system_load, state.system
    if load is None:
        return []

    def last(key: str) -> float:
        points = series.get(key)
        return points[-1][1] if points else 0.0

    rows = [
        LoadRow("process_cpu", "proc CPU", _percent(last("process_cpu")),
                _("the training process and its children, in percent of one core ({n} cores)").format(
                    n=load.cpu_count)),
        LoadRow("process_rss", "proc RSS", fmt_bytes(last("process_rss")),
                _("the training process's resident memory, the epoch's peak")),
    ]
    for gpu in load.gpus:  # before the host's rows: in a short panel they matter more
        name = printable(gpu.name)  # a driver's string: data, not markup
        rows.append(LoadRow(f"gpu{gpu.index}_util", f"GPU{gpu.index} use",
                            _percent(last(f"gpu{gpu.index}_util")),
                            _("{gpu}: utilisation, mean").format(gpu=name)))
        rows.append(LoadRow(f"gpu{gpu.index}_memory", f"GPU{gpu.index} mem",
                            fmt_bytes(last(f"gpu{gpu.index}_memory")),
                            _("{gpu}: memory in use, the epoch's peak, of {total}").format(
                                gpu=name, total=fmt_bytes(gpu.memory_total))))
    rows += [
        LoadRow("host_cpu", "host CPU", _percent(last("host_cpu")),
                _("the whole machine, in percent of all cores")),
        LoadRow("host_ram", "host RAM", _percent(100 * last("host_ram") / max(load.host_ram_total, 1)),
                _("the machine's RAM in use, the epoch's peak, of {total}").format(
                    total=fmt_bytes(load.host_ram_total))),
    ]
    return rows


class LoadLine(Horizontal):
    """One quantity: its label and latest value, and its sparkline."""

    def __init__(self, key: str) -> None:
        super().__init__(classes="load-row")
        self.key = key
        self.row: LoadRow | None = None
        self.values: list[float] = []

    def compose(self) -> ComposeResult:
        yield Static(classes="load-label", markup=False)
        yield Sparkline([], summary_function=max)

    def on_mount(self) -> None:
        self._apply()  # a line mounted and shown in the same fold draws once it exists

    def show(self, row: LoadRow, values: list[float]) -> None:
        self.row, self.values = row, values
        if self.is_mounted:
            self._apply()

    def _apply(self) -> None:
        row = self.row
        if row is None or not self.children:
            return
        self.query_one(".load-label", Static).update(f"{row.label} {row.value:>4}")
        self.tooltip = row.tooltip
        self.query_one(Sparkline).data = self.values


class SystemLoadPanel(Widget):
    """The machine's load of the run shown; ``show_run(state)`` after each fold of events."""

    DEFAULT_CSS = """
    SystemLoadPanel {
        width: 25%;
        min-width: 16;
        max-width: 36;
        height: 1fr;
        border: round $panel;
        border-title-align: left;
        padding: 0 1;
        overflow: hidden hidden;
    }
    SystemLoadPanel .load-row {
        height: 1;
        width: 1fr;
    }
    SystemLoadPanel .load-label {
        width: 14;
        height: 1;
    }
    SystemLoadPanel Sparkline {
        width: 1fr;
        margin-left: 1;
    }
    SystemLoadPanel.-compact {
        padding: 0;
    }
    SystemLoadPanel.-compact Sparkline {
        display: none;
    }
    SystemLoadPanel #load-note {
        height: auto;
        color: $text-muted;
    }
    SystemLoadPanel.-starved #load-note {
        color: $warning;
        text-style: bold;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.border_title = _("machine")
        self._drawn: SystemLoad | None = None
        self._drawn_state: RunState | None = None
        self._starved = False
        self._lines: dict[str, LoadLine] = {}
        """Series key -> its row, in mount order."""

    def compose(self) -> ComposeResult:
        yield Static(_("no load yet"), id="load-note", markup=False)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width + 2 < COMPACT_WIDTH, "-compact")  # + the border

    @property
    def lines(self) -> list[LoadLine]:
        """The rows shown, top to bottom."""
        return list(self._lines.values())

    def show_run(self, state: RunState) -> None:
        """Draw ``state``'s load; cheap when nothing new arrived (called on every fold)."""
        if state is self._drawn_state and state.system_load is self._drawn:
            return
        if state is not self._drawn_state:  # another run: its GPUs may differ
            self._drawn_state, self._starved = state, False
            for old in self._lines.values():
                old.remove()
            self._lines = {}
        load = self._drawn = state.system_load
        note = self.query_one("#load-note", Static)
        if load is None:
            live = state.is_live or state.status == "starting"
            note.update(_("no load yet") if live or not state.epoch else _("load not recorded"))
            note.display = True
            self.remove_class("-starved")
            return
        if not load.partial:  # a live update of an epoch in flight is never called starved
            self._starved = bool(starved_gpus(load))
        self.set_class(self._starved, "-starved")
        note.update(_(STARVED_NOTE) if self._starved else "")
        note.display = self._starved  # on top, so a short panel still shows it
        rows = load_rows(state)
        missing = [LoadLine(row.key) for row in rows if row.key not in self._lines]
        if missing:
            self.mount_all(missing)
            self._lines.update({line.key: line for line in missing})
        for row in rows:
            self._lines[row.key].show(row, [v for _, v in state.system.get(row.key, [])])
