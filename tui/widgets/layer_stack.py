"""The layer stack as a table: # | type · activation | name | output shape | params, with the row
that breaks in red (and marked ✗, so it reads without colour too)."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from nnbench.core.i18n import N_, _
from nnbench.core.model import LayerRow, ModelAnalysis
from nnbench.core.preset import LayerSpec, ModelSpec
from nnbench.core.text import cell_cut, printable
from nnbench.tui.keys import translate_bindings

PENDING = "…"

# Column widths at 80 columns (76 with the cell padding); a wider table gives its room to the
# type, name and shape columns, up to these limits.
WIDTHS = {"index": 3, "type": 22, "name": 16, "shape": 16, "params": 9}
MAX_WIDTHS = {"type": 34, "name": 32, "shape": 28, "params": 12}
GROWS = ("type", "name", "shape", "params")
CELL_PADDING = 2
SCROLLBAR = 2


def clip(text: str, width: int) -> str:
    """``text`` from a preset as one printable line, cut to ``width`` terminal cells."""
    return cell_cut(printable(text), width)


def display_name(row: LayerRow | None, spec_name: str | None, width: int) -> str:
    return clip(spec_name or (row.name if row else ""), width)


def display_type(layer: LayerSpec, width: int) -> str:
    """The Keras class, with its activation when the preset sets one: ``Dense · relu``."""
    activation = layer.params.get("activation")
    if isinstance(activation, str) and activation:
        return clip(f"{layer.type} · {activation}", width)
    return clip(layer.type, width)


def column_widths(table_width: int) -> dict[str, int]:
    """Widths that fill ``table_width``: the 80-column ones, the rest shared out."""
    widths = dict(WIDTHS)
    spare = table_width - SCROLLBAR - sum(widths.values()) - CELL_PADDING * len(widths)
    while spare > 0:
        growing = [key for key in GROWS if widths[key] < MAX_WIDTHS[key]]
        if not growing:
            break
        for key in growing:
            if spare == 0:
                break
            widths[key] += 1
            spare -= 1
    return widths


class LayerStack(DataTable[Text]):
    """Shows a ``ModelSpec`` and, once it has arrived, its ``ModelAnalysis``."""

    DEFAULT_CSS = """
    LayerStack { height: 1fr; }
    """
    # Not in the footer (no room at 80 columns): the hint line under the table says it.
    BINDINGS = [Binding("enter", "select_cursor", N_("Edit"), id="build.edit", show=False,
                        tooltip=N_("Edit the selected layer's parameters (or double-click)")),
                Binding("home", "first_row", N_("First layer"), id="build.first", show=False,
                        tooltip=N_("Select the first layer")),
                Binding("end", "last_row", N_("Last layer"), id="build.last", show=False,
                        tooltip=N_("Select the last layer"))]

    class EditRequested(Message):
        """Enter (or a double click) on a row: edit that layer."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        translate_bindings(self)
        self.show_row_labels = False
        self.widths = dict(WIDTHS)
        self._shown: tuple[ModelSpec, ModelAnalysis | None, bool, set[int]] | None = None

    def on_mount(self) -> None:
        self.add_column("#", key="index", width=WIDTHS["index"])
        self.add_column(_("type"), key="type", width=WIDTHS["type"])
        self.add_column(_("name"), key="name", width=WIDTHS["name"])
        self.add_column(_("output shape"), key="shape", width=WIDTHS["shape"])
        self.add_column(_("params"), key="params", width=WIDTHS["params"])

    def on_resize(self) -> None:
        widths = column_widths(self.size.width)
        if widths == self.widths:
            return
        self.widths = widths
        for key, width in widths.items():
            self.columns[ColumnKey(key)].width = width
        if self._shown is not None:
            self.show(*self._shown[:2], pending=self._shown[2], flagged=self._shown[3])
        else:
            self.clear()  # no rows yet: this redraws the header at the new widths

    def show(self, spec: ModelSpec, analysis: ModelAnalysis | None, *, pending: bool,
             flagged: set[int] | None = None) -> None:
        """``flagged``: rows whose parameters do not fit the loss, labels or metrics."""
        self._shown = (spec, analysis, pending, flagged or set())
        flagged = flagged or set()
        rows = {row.index: row for row in analysis.rows} if analysis else {}
        cursor = self.cursor_row
        self.clear()
        for i, layer in enumerate(spec.layers):
            row = rows.get(i)
            broken = (row is not None and row.error is not None) or i in flagged
            if row is None:
                shape = PENDING if pending else ""
                params = PENDING if pending else "-"
            else:  # a row that breaks may still have built (its output is what is wrong)
                shape = row.output_shape
                params = f"{row.params:,}" if row.output_shape != "?" else "-"
            style = "bold red" if broken else ("dim" if row is None and not pending else "")
            self.add_row(
                Text(("✗" if broken else str(i + 1)), style=style, justify="right"),
                Text(display_type(layer, self.widths["type"]), style=style),
                Text(display_name(row, layer.name, self.widths["name"]), style=style),
                Text(printable(shape), style=style),
                Text(params, style=style, justify="right"),
                key=str(i),
            )
        if spec.layers:
            self.move_cursor(row=min(max(cursor, 0), len(spec.layers) - 1), animate=False)

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0, animate=False)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)

    def action_select_cursor(self) -> None:
        if self.row_count:
            self.post_message(self.EditRequested(self.cursor_row))

    async def _on_click(self, event: events.Click) -> None:
        # DataTable's private click handler (declared in tui/textual_private.py) moves the
        # cursor; a second click of the same chain then edits the row it is on.
        await super()._on_click(event)
        if event.chain == 2 and self.row_count:
            self.post_message(self.EditRequested(self.cursor_row))
