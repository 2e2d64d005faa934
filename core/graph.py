"""The model drawn as boxes and arrows in text: the terminal's ``keras.utils.plot_model``.

Every layer is a box with its name, type, output shape and parameter count (the rows of
``model.analyze``, so the graph, the stack and ``model.summary()`` agree). A Sequential stack is
one column; in a functional graph a layer whose output is needed again later forks into a lane to
the right, and a merge (``Add``, ``Concatenate``) draws its input lanes joining above its box.

Layers come in preset order and each one only takes earlier layers' outputs, so one pass over
them, keeping a list of lanes (the output still flowing down each one), lays the graph out.

Pure Python: no Keras here; the caller runs ``analyze`` (which does).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnbench.core.errors import NnbenchError
from nnbench.core.i18n import N_
from nnbench.core.model import LayerRow, ModelAnalysis, format_shape
from nnbench.core.names import INPUT_NAME, auto_names
from nnbench.core.preset import ModelSpec
from nnbench.core.text import cell_pad, cell_width, printable

LANE_GAP = 3
"""Columns between two lanes' boxes."""


@dataclass(frozen=True)
class GraphNode:
    """One box: a layer and the boxes whose outputs it takes (indices into the node list)."""

    name: str
    type: str
    output_shape: str
    params: int
    inputs: tuple[int, ...]
    error: str | None = None

    def lines(self) -> list[str]:
        """The box's text, each line already printable."""
        out = [printable(f"{self.name} ({self.type})"),
               f"{self.output_shape} · {self.params:,} param{'' if self.params == 1 else 's'}"]
        if self.error:
            out.append("✗ " + printable(self.error))
        return out


def graph_nodes(spec: ModelSpec, analysis: ModelAnalysis,
                input_shape: tuple[int | None, ...] | None = None) -> list[GraphNode]:
    """The boxes of ``spec``: one per layer, plus the implicit input of a stack without one.

    Layers the analysis did not reach (after the one that breaks) show a shape of ``?``.
    """
    names = auto_names(spec)
    rows: dict[int, LayerRow] = {row.index: row for row in analysis.rows}
    nodes: list[GraphNode] = []
    offset = 0
    if spec.layers and spec.layers[0].type != "Input":
        shape = "?" if input_shape is None else format_shape((None, *input_shape))
        nodes.append(GraphNode(INPUT_NAME, "Input", shape, 0, ()))
        offset = 1
    position = {name: i + offset for i, name in enumerate(names)}
    for i, layer in enumerate(spec.layers):
        at = i + offset
        if layer.inputs:
            # An unknown name draws no edge: that layer's row carries the error saying so.
            inputs = tuple(dict.fromkeys(position[n] for n in layer.inputs
                                         if n in position and position[n] < at))
        else:
            inputs = (at - 1,) if at > 0 else ()
        row = rows.get(i)
        nodes.append(GraphNode(names[i], layer.type, row.output_shape if row else "?",
                               row.params if row else 0, inputs, row.error if row else None))
    return nodes


class _Canvas:
    """Lines of text drawn at lane positions; every lane still carrying an output shows ``│``."""

    def __init__(self, box_width: int) -> None:
        self.box_width = box_width
        self.lines: list[str] = []

    def left(self, lane: int) -> int:
        return lane * (self.box_width + LANE_GAP)

    def centre(self, lane: int) -> int:
        return self.left(lane) + self.box_width // 2

    def row(self, lanes: list[int | None], marks: dict[int, str] | None = None) -> list[str]:
        """A blank row with ``│`` at every busy lane (and ``marks``, column -> character)."""
        width = self.left(max(len(lanes), 1)) if lanes else self.box_width
        cells = [" "] * width
        for lane, source in enumerate(lanes):
            if source is not None:
                cells[self.centre(lane)] = "│"
        for column, char in (marks or {}).items():
            if column >= len(cells):
                cells.extend(" " * (column - len(cells) + 1))
            cells[column] = char
        return cells

    def put(self, cells: list[str]) -> None:
        self.lines.append("".join(cells).rstrip())

    def hline(self, cells: list[str], start: int, end: int) -> None:
        """A horizontal run between two columns (exclusive); crossing a lane draws ``┼``."""
        if len(cells) <= end:
            cells.extend(" " * (end + 1 - len(cells)))
        for column in range(start + 1, end):
            cells[column] = "┼" if cells[column] == "│" else "─"


def draw_graph(nodes: list[GraphNode]) -> list[str]:
    """``nodes`` as lines of boxes and arrows (see the module docstring)."""
    if not nodes:
        return ["(no layers)"]
    inner = max(cell_width(line) for node in nodes for line in node.lines())
    canvas = _Canvas(inner + 4)
    consumers: list[list[int]] = [[] for _ in nodes]
    for i, node in enumerate(nodes):
        for source in node.inputs:
            consumers[source].append(i)
    lanes: list[int | None] = []
    for i, node in enumerate(nodes):
        lane = _connect(canvas, lanes, i, node, consumers)
        _box(canvas, lanes, lane, node, has_consumers=bool(consumers[i]))
        if lane == len(lanes):
            lanes.append(None)
        lanes[lane] = i if consumers[i] else None
        while lanes and lanes[-1] is None:
            lanes.pop()
    return canvas.lines


def _connect(canvas: _Canvas, lanes: list[int | None], at: int, node: GraphNode,
             consumers: list[list[int]]) -> int:
    """Draw the forks and the merge that bring ``node``'s inputs to its lane; return the lane."""
    sources = [s for s in node.inputs if s in lanes]
    if not sources:
        free = lanes.index(None) if None in lanes else len(lanes)
        return free
    lane = min(lanes.index(s) for s in sources)
    first = lanes[lane]
    assert first is not None
    if any(c > at for c in consumers[first]):
        # Needed again later: its output forks into a free lane to the right and goes on there.
        free = next((k for k in range(lane + 1, len(lanes)) if lanes[k] is None), len(lanes))
        cells = canvas.row(lanes)
        start, end = canvas.centre(lane), canvas.centre(free)
        canvas.hline(cells, start, end)
        cells[start], cells[end] = "├", "┐"
        canvas.put(cells)
        if free == len(lanes):
            lanes.append(None)
        lanes[free] = first
    others = [lanes.index(s) for s in sources if lanes.index(s) != lane]
    if others:
        cells = canvas.row(lanes)
        start = canvas.centre(lane)
        end = canvas.centre(max(others))
        canvas.hline(cells, start, end)
        cells[start] = "├"
        for k in others:
            source = lanes[k]
            assert source is not None
            goes_on = any(c > at for c in consumers[source])
            corner = "┤" if goes_on else "┘"
            cells[canvas.centre(k)] = corner if k == max(others) else ("┼" if goes_on else "┴")
            if not goes_on:
                lanes[k] = None
        canvas.put(cells)
    canvas.put(canvas.row(lanes, {canvas.centre(lane): "▼"}))
    return lane


def _box(canvas: _Canvas, lanes: list[int | None], lane: int, node: GraphNode, *,
         has_consumers: bool) -> None:
    width = canvas.box_width
    left = canvas.left(lane)
    bottom = ["─"] * (width - 2)
    if has_consumers:
        bottom[width // 2 - 1] = "┬"
    drawn = (["┌" + "─" * (width - 2) + "┐"]
             + ["│ " + cell_pad(line, width - 4) + " │" for line in node.lines()]
             + ["└" + "".join(bottom) + "┘"])
    others = [source if k != lane else None for k, source in enumerate(lanes)]
    for text in drawn:
        cells = canvas.row(others)
        if len(cells) < left + width:
            cells.extend(" " * (left + width - len(cells)))
        # One list item per character; a wide character's item stands for two columns, so the
        # lanes right of a box with Korean in it shift by the extra columns on that line only.
        cells[left:left + width] = [text] + [""] * (width - 1)
        canvas.put(cells)


def graph_text(spec: ModelSpec, analysis: ModelAnalysis,
               input_shape: tuple[int | None, ...] | None = None) -> str:
    """The whole drawing as one string, with its totals below."""
    lines = draw_graph(graph_nodes(spec, analysis, input_shape))
    if analysis.summary is not None:
        s = analysis.summary
        lines += ["", f"Total params: {s.total:,} (trainable {s.trainable:,}, "
                      f"non-trainable {s.non_trainable:,})"]
    return "\n".join(lines)


class GraphImageError(NnbenchError):
    title = N_("No graph image")


def write_plot_model(model: Any, path: Path) -> Path:
    """Keras's own ``plot_model`` image of ``model`` at ``path``.

    Raises:
        GraphImageError: pydot or the graphviz ``dot`` program is missing, or Keras failed.
    """
    import importlib.util

    missing = [what for what, ok in (
        ("the Python package pydot (pip install pydot)", importlib.util.find_spec("pydot")),
        ("Graphviz's dot program (apt install graphviz, brew install graphviz)",
         shutil.which("dot"))) if not ok]
    if missing:
        raise GraphImageError(f"cannot write {path}: keras.utils.plot_model needs "
                              f"{' and '.join(missing)}. `nnbench graph` without --png draws "
                              "the same graph as text.")
    import keras

    try:
        keras.utils.plot_model(model, to_file=str(path), show_shapes=True, show_layer_names=True)
    except Exception as exc:  # pydot/graphviz failures come as many exception types
        raise GraphImageError(f"keras.utils.plot_model could not write {path}: "
                              f"{' '.join(str(exc).split())[:200]}") from None
    return path
