"""The explanation of the focused choice, under a form: what it is, when to use it, what
goes wrong without it, and the arithmetic on the current model where there is one.

A form tells the panel what its focused field is about (``show_topic``); ``topic_of`` works that out
for the fields the Compile and Fit views share. F2 hides and shows the panel in every view at once.

Put the panel beside the scrolling part of a view, never inside it: drawn over scrolled widgets, the
compositor cuts its lines at their edges and a wide (Korean) character cut in half is lost.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import SelectionList, Static

from nnbench.core.explain import Explanation, current_lang, find, ui_text
from nnbench.core.text import printable
from nnbench.tui.widgets.param_field import ParamField
from nnbench.tui.widgets.toggle import Toggle

TOGGLE_KEY = "f2"
_HIDDEN: weakref.WeakKeyDictionary[App[object], bool] = weakref.WeakKeyDictionary()
"""Apps whose person hid the panels: one choice for every view, kept when a view is rebuilt."""


@dataclass(frozen=True)
class Topic:
    """What a field is about: a loss, an optimizer, a metric, a callback, a parameter ..."""

    kind: str
    name: str
    owner: str | None = None
    """The optimizer, callback or layer a parameter belongs to."""


VALUE_KINDS = {"loss": "loss", "optimizer": "optimizer"}
"""Fields whose value is the thing explained (the chosen loss), not the field itself."""


def topic_of(widget: Widget) -> Topic | None:
    """The topic of a focused widget in a form: its ParamField's parameter (or chosen loss or
    optimizer), a callback's on/off toggle, the highlighted metric of a metric list."""
    node: Widget | None = widget
    while node is not None:
        if isinstance(node, ParamField):
            return field_topic(node)
        if isinstance(node, Toggle) and (node.id or "").startswith("enable-"):
            return Topic("callback", (node.id or "").removeprefix("enable-"))
        if isinstance(node, SelectionList):
            index = node.highlighted
            if index is None:
                return None
            return Topic("metric", str(node.get_option_at_index(index).value))
        parent = node.parent
        node = parent if isinstance(parent, Widget) else None
    return None


def field_topic(field: ParamField) -> Topic:
    """A ParamField's topic: the loss or optimizer it holds, else its parameter (with the
    callback or optimizer it belongs to, from its ``cb-X`` class or ``owner-X`` class)."""
    name = field.param.name
    if name in VALUE_KINDS and isinstance(field.value, str):
        return Topic(VALUE_KINDS[name], field.value)
    owner = next((c.split("-", 1)[1] for c in field.classes
                  if c.startswith(("cb-", "owner-"))), None)
    return Topic("param", name, owner)


class ExplainPanel(Vertical):
    """Title and text of one explanation; hidden and shown with F2."""

    DEFAULT_CSS = """
    ExplainPanel {
        height: auto; max-height: 10; padding: 0 1;
        border-top: solid $primary; background: $boost;
    }
    ExplainPanel > #explain-title { text-style: bold; color: $primary; height: 1; }
    ExplainPanel > #explain-text { height: auto; max-height: 8; overflow-y: auto; }
    ExplainPanel > #explain-title.-empty { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.explanation: Explanation | None = None
        self.extra: str | None = None
        """A line about the current model, e.g. a layer's parameter arithmetic."""

    def compose(self) -> ComposeResult:
        yield Static("", id="explain-title", classes="-empty", markup=False)
        yield Static(ui_text("ui", "nothing"), id="explain-text", markup=False)

    def on_mount(self) -> None:
        self.display = not _HIDDEN.get(self.app, False)

    @property
    def text(self) -> str:
        """The text shown now (the explanation, then the extra line)."""
        return str(self.query_one("#explain-text", Static).render())

    def show_topic(self, topic: Topic | None, extra: str | None = None) -> None:
        """Show the explanation of ``topic`` (and ``extra`` under it); the hint when None."""
        lang = current_lang()
        found = find(topic.name, topic.kind, lang, owner=topic.owner) if topic else None
        self.explanation, self.extra = found, extra
        title = self.query_one("#explain-title", Static)
        body = self.query_one("#explain-text", Static)
        if found is None:
            title.update("")
            title.add_class("-empty")
            message = (ui_text("ui", "unknown", lang, name=printable(topic.name)) if topic
                       else ui_text("ui", "nothing", lang))
            body.update(Text(message, style="italic"))
            return
        title.remove_class("-empty")
        # The title is the thing's name, which can come from a preset: a Text, never markup.
        title.update(Text.assemble(found.title, ("  " + ui_text("ui", "hint", lang), "dim")))
        shown = Text(found.text)
        if extra:
            shown.append("\n" + printable(extra), style="bold")
        body.update(shown)

    @classmethod
    def toggle_all(cls, app: App[object]) -> bool:
        """Hide every panel of the app, or show them again; returns whether they show now."""
        hidden = not _HIDDEN.get(app, False)
        _HIDDEN[app] = hidden
        for panel in app.screen.query(cls):
            panel.display = not hidden
        return not hidden
