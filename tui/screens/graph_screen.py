"""The model graph as boxes and arrows (core/graph.py), in a dialog that scrolls both ways: a model
too wide or too long for the screen scrolls, it is never cut."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical
from textual.message import Message
from textual.widgets import Static

from nnbench.core.i18n import N_, _
from nnbench.core.model import ModelAnalysis
from nnbench.core.preset import ModelSpec
from nnbench.tui.screens.modal import Modal


class GraphScreen(Modal[None]):
    """``GraphScreen(spec, analysis, input_shape)``: the Build view's stack and its latest
    analysis (``None`` while a check is running: the boxes then show ``?`` shapes)."""

    BINDINGS = [Binding("q,g", "cancel", N_("Close"), show=False)]
    HINT = N_("arrows / page keys scroll · esc closes")
    DEFAULT_CSS = """
    GraphScreen > .dialog { max-width: 100%; width: 95%; height: 90%; }
    GraphScreen ScrollableContainer { height: 1fr; }
    GraphScreen #graph { width: auto; height: auto; }
    """

    class Drawn(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, spec: ModelSpec, analysis: ModelAnalysis | None,
                 input_shape: tuple[int | None, ...] | None = None) -> None:
        super().__init__()
        self.spec = spec.model_copy(deep=True)
        self.analysis = analysis
        self.input_shape = input_shape

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog", id="graph-dialog"):
            yield Static(_("Model graph"), classes="title")
            with ScrollableContainer(id="graph-scroll"):
                yield Static(_("drawing …"), id="graph", markup=False)

    def on_mount(self) -> None:
        self.query_one("#graph-scroll").focus()
        self._draw()

    @work(thread=True, exclusive=True, exit_on_error=False, group="graph",
          description="Drawing the model")
    def _draw(self) -> None:
        from nnbench.core.graph import graph_text

        analysis = self.analysis or ModelAnalysis([], None, None)
        try:
            text = graph_text(self.spec, analysis, self.input_shape)
        except Exception as exc:  # a drawing bug must not take the app down
            from nnbench.core.text import printable

            text = printable(_("✗ the graph could not be drawn: {error}").format(
                error=f"{type(exc).__name__}: {exc}"))
        if self.analysis is None:
            text = _("(the model is being checked: shapes show once it is built)") + "\n\n" + text
        self.post_message(self.Drawn(text))

    def on_graph_screen_drawn(self, event: GraphScreen.Drawn) -> None:
        # Text, not markup: layer names are the user's and may hold "[". No wrapping: scroll.
        self.query_one("#graph", Static).update(Text(event.text, no_wrap=True, overflow="ignore"))
