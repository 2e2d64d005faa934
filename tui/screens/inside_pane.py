"""The Inside view: the layers of the run the Train view shows, and its live confusion matrix.

    epoch 7/30 · layer health on 288 validation samples · measuring took 12 ms
    layer        act      mean    std   weights       update     grad  dead/sat
    dense        relu   -0.031  0.397   ▃▁▄▆█▆▅▃▂▁▁▁  1.3e-02    0.486     0%
    ⚠ dense: 62% of units never activate (dead ReLU) — lower the learning rate ...
    Confusion matrix, validation sample (288), epoch 7: changed cells underlined
    true╲pred   0   1   2 ...   prec   rec    f1

It reads the run model (core/run_state.RunState) the Train view keeps — the same state, not a copy
— and redraws when a newer epoch's health or matrix has arrived; it never follows a folder of its
own. ``show(state)`` draws any RunState (a replayed run, a test's).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from nnbench.core.events import ConfusionMatrixUpdated, LayerHealth
from nnbench.core.i18n import _
from nnbench.core.layer_health import changed_cells
from nnbench.core.run_state import RunState
from nnbench.tui.widgets.layer_table import LayerTable, LiveConfusion

POLL_SECONDS = 0.5


def latest_health(state: RunState) -> LayerHealth | None:
    return state.health[max(state.health)] if state.health else None


def latest_confusions(state: RunState
                      ) -> tuple[ConfusionMatrixUpdated | None, ConfusionMatrixUpdated | None]:
    """The newest confusion matrix and the one of the epoch measured before it."""
    epochs = sorted(state.confusion)
    now = state.confusion[epochs[-1]] if epochs else None
    before = state.confusion[epochs[-2]] if len(epochs) > 1 else None
    return now, before


class InsidePane(Widget):
    """Layer health and the confusion matrix of the run in the Train view."""

    DEFAULT_CSS = """
    InsidePane {
        height: 1fr;
        width: 1fr;
    }
    InsidePane #inside-header, InsidePane #confusion-title {
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $boost;
    }
    InsidePane #inside-scroll {
        height: 1fr;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.state: RunState | None = None
        self._drawn: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="inside-header", markup=False)
        with VerticalScroll(id="inside-scroll"):
            yield LayerTable(id="layer-table")
            yield Static(id="confusion-title", markup=False)
            yield LiveConfusion(id="live-confusion")

    def on_mount(self) -> None:
        self._draw()
        self.set_interval(POLL_SECONDS, self._poll)

    def _poll(self) -> None:
        """Follow the Train view's run model (the lead's view owns it; this one only reads)."""
        # Drawn only while its tab shows (a hidden tab pane hides this one through its parent):
        # asked first, as it is cheap, and searching the screen twice a second is not (~18 ms
        # a poll, on the thread that draws the training curves).
        if not self.is_attached or not all(
                node.display for node in self.ancestors_with_self if isinstance(node, Widget)):
            return
        found = self.screen.query("#train-pane")
        state = getattr(found.first(), "state", None) if found else None
        if isinstance(state, RunState):
            self.show(state)

    def show(self, state: RunState) -> None:
        """Draw ``state`` (redrawn only when a newer measurement, or another run, is in it)."""
        self.state = state
        key = (id(state), state.run_dir, max(state.health, default=0),
               max(state.confusion, default=0), state.epoch)
        if key != self._drawn:
            self._drawn = key
            self._draw()

    def _draw(self) -> None:
        state = self.state
        health = latest_health(state) if state is not None else None
        now, before = latest_confusions(state) if state is not None else (None, None)
        self.query_one("#inside-header", Static).update(self._header(state, health))
        self.query_one(LayerTable).show(health)
        title = self.query_one("#confusion-title", Static)
        title.display = now is not None
        if now is not None:
            moved = (" · " + _("cells that changed most since the last epoch underlined")
                     if before is not None and changed_cells(now.matrix, before.matrix) else "")
            title.update(Text(_("Confusion matrix, {split} sample ({samples}), epoch {epoch}").format(
                split=now.split, samples=f"{now.samples:,}", epoch=now.epoch) + moved,
                no_wrap=True, overflow="ellipsis"))
        self.query_one(LiveConfusion).show(now, before)

    @staticmethod
    def _header(state: RunState | None, health: LayerHealth | None) -> Text:
        if state is None or state.status == "idle":
            return Text(_("no run: train one (Ctrl+R) or open one from the Runs view"),
                        style="dim")
        epoch = _("epoch {epoch}/{epochs}").format(epoch=state.epoch, epochs=state.epochs)
        if health is None:
            return Text(epoch + " · " + _("no layer health in this run yet"),
                        no_wrap=True, overflow="ellipsis")
        if health.epoch < state.epoch:
            epoch += " " + _("(as of epoch {epoch})").format(epoch=health.epoch)
        measured = (_("layer health on {n} samples").format(n=f"{health.samples:,}")
                    if health.samples else _("layer health"))
        took = _("measuring took {ms} ms").format(ms=f"{health.seconds * 1000:,.0f}")
        return Text(f"{epoch} · {measured} · {took}", no_wrap=True, overflow="ellipsis")
