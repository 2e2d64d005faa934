"""The Build view: the layer stack, its totals, and the row that breaks, checked by Keras in a
thread while you edit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Static

from nnbench.core import catalog
from nnbench.core.compat import Problem
from nnbench.core.errors import NnbenchError
from nnbench.core.events import DataInfo
from nnbench.core.explain.arithmetic import model_arithmetic
from nnbench.core.i18n import N_, _
from nnbench.core.model import ModelAnalysis
from nnbench.core.preset import LayerSpec, ModelSpec, Preset
from nnbench.core.text import printable
from nnbench.tui.keys import translate_bindings
from nnbench.tui.messages import PresetChanged
from nnbench.tui.screens.add_layer import AddLayerScreen
from nnbench.tui.screens.graph_screen import GraphScreen
from nnbench.tui.screens.layer_edit import LayerEditScreen
from nnbench.tui.widgets.explain_panel import TOGGLE_KEY, ExplainPanel, Topic
from nnbench.tui.widgets.layer_stack import LayerStack

ANALYSIS_DELAY = 0.3
"""Seconds of quiet before the stack is rebuilt in Keras: typing does not start a build per key."""


@dataclass
class AnalysisInput:
    spec: ModelSpec
    input_shape: tuple[int | None, ...] | None
    loss: str | None
    num_classes: int | None


def analyze_in_thread(job: AnalysisInput) -> ModelAnalysis:
    """Runs in a worker thread: Keras builds the stack row by row in the helper process
    (core/analysis_service.py), so the app never holds TensorFlow or its GIL."""
    from nnbench.core.analysis_service import default_analyzer

    return default_analyzer().analyze(job.spec, job.input_shape, loss=job.loss,
                                      num_classes=job.num_classes)


class BuildPane(Vertical):
    """Edits ``app.preset.model``; every edit posts ``PresetChanged`` and schedules a check."""

    BINDINGS = [
        Binding("a", "add_layer", N_("Add"), id="build.add",
                tooltip=N_("Add a layer below the selected one, from the catalog")),
        Binding("d,delete", "remove_layer", N_("Remove"), id="build.remove",
                tooltip=N_("Remove the selected layer")),
        # Shown in the hint line under the table: the footer has no room at 80 columns.
        Binding("shift+up,K", "move(-1)", N_("Move layer up"), id="build.up", show=False),
        Binding("shift+down,J", "move(1)", N_("Move layer down"), id="build.down", show=False),
        Binding("g", "graph", N_("Graph"), id="build.graph", show=False,
                tooltip=N_("Draw the model as boxes and arrows (the terminal's plot_model)")),
        Binding(TOGGLE_KEY, "toggle_explain", N_("Explain"), id="build.explain", key_display="F2",
                show=False, tooltip=N_("Hide or show the explanation of the selected layer")),
    ]
    DEFAULT_CSS = """
    BuildPane { height: 1fr; }
    BuildPane #totals { height: 1; padding: 0 1; text-style: bold; }
    BuildPane #problem { height: auto; max-height: 5; padding: 0 1; color: $error; text-style: bold; }
    BuildPane #problem.-empty { display: none; }
    BuildPane #hint { height: 1; padding: 0 1; color: $text-muted; }
    BuildPane #checked-with { height: auto; padding: 0 1; color: $text-muted; }
    """

    class Checked(Message):
        """The stack on screen was checked by Keras: its output shape is known (or not)."""

    class Analyzed(Message):
        def __init__(self, generation: int, analysis: ModelAnalysis | None,
                     failure: str | None = None) -> None:
            super().__init__()
            self.generation = generation
            self.analysis = analysis
            self.failure = failure

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self.spec = ModelSpec()
        self.data_info: DataInfo | None = None
        self.analysis: ModelAnalysis | None = None
        self._generation = 0
        self._analyzed_generation = -1
        self._timer: Timer | None = None
        self.problems: list[Problem] = []
        """Compatibility problems of the model's layers, and any no other view shows."""

    def compose(self) -> ComposeResult:
        yield LayerStack(id="layer-stack")
        yield Static("", id="problem", classes="-empty", markup=False)
        yield Static("", id="checked-with", markup=False)
        yield Static("", id="totals", markup=False)
        yield ExplainPanel(id="build-explain")
        yield Static(_("enter edit · a add · d remove · ^z undo · K/J move · g graph · F2 explain"),
                     id="hint", markup=False)

    # --- what the app calls ----------------------------------------------------------------

    def on_mount(self) -> None:
        self.show_preset(self.app.preset)  # type: ignore[attr-defined]

    def show_preset(self, preset: Preset) -> None:
        """A new preset was opened: show its stack and check it."""
        self.spec = preset.model.model_copy(deep=True)
        self._changed(post=False)

    def set_data_info(self, info: DataInfo | None) -> None:
        """The data of the current settings (None: not loaded for them): its input shape and
        classes take part in the check."""
        if info == self.data_info:
            return
        self.data_info = info
        self.schedule_analysis()

    @property
    def analysis_current(self) -> bool:
        """Whether ``analysis`` belongs to the stack on screen."""
        return self._analyzed_generation == self._generation

    @property
    def model_problem(self) -> str | None:
        """Why the current stack cannot be trained, if the last check said so."""
        if self.analysis_current and self.analysis is not None and self.analysis.error:
            return self.analysis.error.message
        return None

    @property
    def output_shape(self) -> tuple[int | None, ...] | None:
        """The built model's output shape (with the batch axis), if the last check built it."""
        if not self.analysis_current or self.analysis is None or not self.analysis.rows:
            return None
        last = max(self.analysis.rows, key=lambda row: row.index)
        if last.index != len(self.spec.layers) - 1:
            return None
        text = last.output_shape.strip()
        if not (text.startswith("(") and text.endswith(")")):
            return None
        dims: list[int | None] = []
        for part in text[1:-1].split(","):
            part = part.strip()
            if not part:
                continue
            if part == "None":
                dims.append(None)
            elif part.isdigit():
                dims.append(int(part))
            else:
                return None
        return tuple(dims)

    def show_problems(self, problems: list[Problem]) -> None:
        """Show compatibility problems of the layers (and any other view left unshown)."""
        if problems != self.problems:
            self.problems = problems
            self._refresh_rows()

    def schedule_analysis(self) -> None:
        self._generation += 1
        self._refresh_rows()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(ANALYSIS_DELAY, self._start_analysis)

    # --- editing -----------------------------------------------------------------------------

    @property
    def stack(self) -> LayerStack:
        return self.query_one(LayerStack)

    def _changed(self, *, post: bool = True, reason: str = "") -> None:
        if post:
            preset = self.app.preset.copy_with(model=self.spec.model_copy(deep=True))  # type: ignore[attr-defined]
            self.post_message(PresetChanged(preset, reason))
        self.schedule_analysis()

    def _names(self, except_index: int | None = None) -> set[str]:
        return {layer.name for i, layer in enumerate(self.spec.layers)
                if layer.name and i != except_index}

    def action_add_layer(self) -> None:
        self._add_layer()

    @work(exclusive=True, group="build-dialog", exit_on_error=False,
          description=N_("Adding a layer"))
    async def _add_layer(self) -> None:
        layer_type = await self.app.push_screen_wait(AddLayerScreen())
        if not layer_type:
            return
        at = self.stack.cursor_row + 1 if self.spec.layers else 0
        layer = LayerSpec(type=layer_type)
        if catalog.LAYERS[layer_type].params:
            edited = await self.app.push_screen_wait(
                LayerEditScreen(layer, position=at, other_names=self._names(), adding=True))
            if edited is None:
                return
            layer = edited
        self.spec.layers.insert(at, layer)
        self._changed(reason=_("add {layer}").format(layer=layer_type))
        self.stack.move_cursor(row=at, animate=False)

    def on_layer_stack_edit_requested(self, event: LayerStack.EditRequested) -> None:
        event.stop()
        self._edit_layer(event.index)

    def action_edit_layer(self) -> None:
        """Edit the selected layer (what enter on a row does)."""
        if self.spec.layers:
            self._edit_layer(self.stack.cursor_row)

    @work(exclusive=True, group="build-dialog", exit_on_error=False,
          description=N_("Editing a layer"))
    async def _edit_layer(self, index: int) -> None:
        if not 0 <= index < len(self.spec.layers):
            return
        layer = self.spec.layers[index]
        edited = await self.app.push_screen_wait(
            LayerEditScreen(layer, position=index, other_names=self._names(except_index=index)))
        if edited is None or edited == layer:
            return
        self.spec.layers[index] = edited
        self._changed(reason=_("edit layer {n}").format(n=index + 1))

    def action_remove_layer(self) -> None:
        if not self.spec.layers:
            return
        index = self.stack.cursor_row
        removed = self.spec.layers.pop(index)
        self._changed(reason=_("remove layer {n} ({layer})").format(n=index + 1, layer=removed.type))
        self.notify(_("Removed layer {number} ({type}): ctrl+z brings it back.").format(
            number=index + 1, type=removed.type), timeout=4)

    def action_move(self, step: int) -> None:
        index = self.stack.cursor_row
        target = index + step
        if not self.spec.layers or not 0 <= target < len(self.spec.layers):
            return
        layers = self.spec.layers
        layers[index], layers[target] = layers[target], layers[index]
        self._changed(reason=_("move layer"))
        self.stack.move_cursor(row=target, animate=False)

    # --- checking ----------------------------------------------------------------------------

    def _start_analysis(self) -> None:
        self._timer = None
        preset: Preset = self.app.preset  # type: ignore[attr-defined]
        info = self.data_info
        job = AnalysisInput(self.spec.model_copy(deep=True),
                            tuple(info.input_shape) if info else None,
                            preset.compile.loss,
                            info.num_classes if info else None)
        self._analyze(self._generation, job)

    @work(thread=True, exclusive=True, exit_on_error=False, group="analysis",
          description=N_("Checking the model"))
    def _analyze(self, generation: int, job: AnalysisInput) -> None:
        try:
            analysis = analyze_in_thread(job)
        except NnbenchError as exc:  # the helper could not start or stopped: say why
            self.post_message(self.Analyzed(generation, None, exc.message))
            return
        except Exception as exc:  # nothing in checking may take the app down
            self.post_message(self.Analyzed(generation, None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(self.Analyzed(generation, analysis))

    # --- seeing it --------------------------------------------------------------------------

    def action_graph(self) -> None:
        info = self.data_info
        self.app.push_screen(GraphScreen(
            self.spec.model_copy(deep=True), self.analysis if self.analysis_current else None,
            tuple(info.input_shape) if info else None))

    def action_toggle_explain(self) -> None:
        ExplainPanel.toggle_all(self.app)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._explain_layer(event.cursor_row)

    def _explain_layer(self, index: int) -> None:
        """The selected layer's explanation, with its parameter arithmetic once Keras checked it."""
        panels = self.query(ExplainPanel)
        if not panels or not 0 <= index < len(self.spec.layers):
            return
        layer = self.spec.layers[index]
        extra = None
        if self.analysis_current and self.analysis is not None:
            extra = model_arithmetic(self.spec, self.analysis.rows, index)
        panels.first().show_topic(Topic("layer", layer.type), extra=extra)

    def on_build_pane_analyzed(self, event: BuildPane.Analyzed) -> None:
        event.stop()
        if event.generation != self._generation:
            return  # the stack changed since; a newer check is on its way
        self._analyzed_generation = event.generation
        self.analysis = event.analysis
        self._refresh_rows(failure=event.failure)
        self._explain_layer(self.stack.cursor_row)
        self.post_message(self.Checked())

    def _refresh_rows(self, failure: str | None = None) -> None:
        pending = not self.analysis_current
        analysis = None if pending else self.analysis
        flagged = {index for p in self.problems
                   if (index := _layer_index(p.key)) is not None}
        self.stack.show(self.spec, analysis, pending=pending, flagged=flagged)
        problem = self.query_one("#problem", Static)
        totals = self.query_one("#totals", Static)
        lines = []
        if failure:
            lines.append("✗ " + _("The model could not be checked: {failure}").format(
                failure=failure))
        elif analysis is not None and analysis.error is not None:
            lines.append("✗ " + _problem_text(analysis, self.spec))
        for p in self.problems:
            line = "✗ " + _compat_text(p, self.spec)
            if line not in lines and not (lines and p.message in lines[0]):
                lines.append(line)
        text = printable("\n".join(lines), newlines=True)
        problem.update(text)
        problem.set_class(not text, "-empty")
        preset: Preset = self.app.preset  # type: ignore[attr-defined]
        info = self.data_info
        self.query_one("#checked-with", Static).update(
            printable(_("checked with loss {loss} · {data}").format(loss=preset.compile.loss,
                                                                    data=_data_text(info))))
        if pending:
            totals.update(_("Total params: …  (checking)"))
        elif analysis is not None and analysis.summary is not None:
            s = analysis.summary
            totals.update(_("Total params: {total}   Trainable: {trainable}   Non-trainable: "
                            "{non_trainable}").format(total=f"{s.total:,}",
                                                      trainable=f"{s.trainable:,}",
                                                      non_trainable=f"{s.non_trainable:,}"))
        else:
            totals.update(_("Total params: -  (the model does not build)"))


def _data_text(info: DataInfo | None) -> str:
    """The data the check used, as the line under the stack says it."""
    if info is None:
        return _("data not loaded for these settings (Data tab, l) to check shapes and classes")
    shape = ", ".join(str(d) for d in info.input_shape)
    text = _("data {source}: input ({shape})").format(source=info.source, shape=shape)
    if info.num_classes:
        text += _(", {count} classes").format(count=info.num_classes)
    return text


def _layer_index(key: str) -> int | None:
    if not key.startswith("model.layers["):
        return None
    try:
        return int(key[len("model.layers["):].split("]", 1)[0])
    except ValueError:
        return None


def _compat_text(problem: Problem, spec: ModelSpec) -> str:
    """A problem as the Build view says it: the row (1-based, as shown) and the parameter."""
    index = _layer_index(problem.key)
    if index is None or not 0 <= index < len(spec.layers):
        return f"{problem.key}: {problem.message}"
    param = problem.key.split("]", 1)[1].lstrip(".")
    where = _layer_text(index, spec) + (f" {param}" if param else "")
    return f"{where}: {problem.message}"


def _problem_text(analysis: ModelAnalysis, spec: ModelSpec) -> str:
    error: Any = analysis.error
    index = getattr(error, "layer_index", None)
    if index is None:
        broken = next((row for row in analysis.rows if row.error), None)
        index = broken.index if broken else None
    message = error.message
    if index is not None and 0 <= index < len(spec.layers) and not message.startswith("layer "):
        return f"{_layer_text(index, spec)}: {message}"
    return message


def _layer_text(index: int, spec: ModelSpec) -> str:
    """A layer as the Build view names it: its row (1-based, as shown) and type."""
    return _("layer {number} ({type})").format(number=index + 1, type=spec.layers[index].type)
