"""The layer stack as a table: # | type | name | output shape | params, with the row that breaks
in red (and marked ✗, so it reads without colour too)."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from nnbench.core.model import LayerRow, ModelAnalysis
from nnbench.core.preset import ModelSpec

PENDING = "…"


NAME_WIDTH = 16


def display_name(row: LayerRow | None, spec_name: str | None, layer_type: str) -> str:
    name = spec_name or (row.name if row else "")
    return name if len(name) <= NAME_WIDTH else name[:NAME_WIDTH - 1] + "…"


class LayerStack(DataTable[Text]):
    """Shows a ``ModelSpec`` and, once it has arrived, its ``ModelAnalysis``."""

    DEFAULT_CSS = """
    LayerStack { height: 1fr; }
    """
    BINDINGS = [Binding("enter", "select_cursor", "Edit", id="build.edit",
                        tooltip="Edit the selected layer's parameters (or double-click)")]

    class EditRequested(Message):
        """Enter (or a double click) on a row: edit that layer."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.show_row_labels = False

    def on_mount(self) -> None:
        self.add_column("#", key="index", width=3)
        # 76 columns with the cell padding: fits an 80-column terminal.
        self.add_column("type", key="type", width=22)
        self.add_column("name", key="name", width=NAME_WIDTH)
        self.add_column("output shape", key="shape", width=16)
        self.add_column("params", key="params", width=9)

    def show(self, spec: ModelSpec, analysis: ModelAnalysis | None, *, pending: bool) -> None:
        rows = {row.index: row for row in analysis.rows} if analysis else {}
        cursor = self.cursor_row
        self.clear()
        for i, layer in enumerate(spec.layers):
            row = rows.get(i)
            broken = row is not None and row.error is not None
            if row is None:
                shape = PENDING if pending else ""
                params = PENDING if pending else "-"
            else:  # a row that breaks may still have built (its output is what is wrong)
                shape = row.output_shape
                params = f"{row.params:,}" if row.output_shape != "?" else "-"
            style = "bold red" if broken else ("dim" if row is None and not pending else "")
            self.add_row(
                Text(("✗" if broken else str(i + 1)), style=style, justify="right"),
                Text(layer.type, style=style),
                Text(display_name(row, layer.name, layer.type), style=style),
                Text(shape, style=style),
                Text(params, style=style, justify="right"),
                key=str(i),
            )
        if spec.layers:
            self.move_cursor(row=min(max(cursor, 0), len(spec.layers) - 1), animate=False)

    def action_select_cursor(self) -> None:
        if self.row_count:
            self.post_message(self.EditRequested(self.cursor_row))

    async def _on_click(self, event: events.Click) -> None:
        await super()._on_click(event)
        if event.chain == 2 and self.row_count:
            self.post_message(self.EditRequested(self.cursor_row))
