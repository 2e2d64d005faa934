"""The modal that picks a layer type from the catalog, grouped, each with its help line."""

from __future__ import annotations

from itertools import groupby

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from nnbench.core import catalog
from nnbench.core.i18n import N_, _
from nnbench.core.text import printable
from nnbench.tui.screens.modal import Modal

GROUP_ORDER = ("core", "reshaping", "regularization", "normalization", "preprocessing",
               "convolution", "pooling", "recurrent", "merging")
GROUP_TITLE = {"core": N_("CORE"), "reshaping": N_("RESHAPING"),
               "regularization": N_("REGULARIZATION"), "normalization": N_("NORMALIZATION"),
               "preprocessing": N_("PREPROCESSING"), "convolution": N_("CONVOLUTION"),
               "pooling": N_("POOLING"), "recurrent": N_("RECURRENT"), "merging": N_("MERGING")}
"""A catalog group's heading in the list (the group itself is the catalog's key)."""


INITIALS_BONUS = 100.0
"""A query that starts the name's initials ("gap" for GlobalAveragePooling1D) ranks first."""
HELP_MATCH = 0.5
"""Every word found in the help text or group, when the name itself does not match."""


def _group_rank(kind: catalog.LayerKind) -> int:
    return GROUP_ORDER.index(kind.group) if kind.group in GROUP_ORDER else len(GROUP_ORDER)


def _initials(name: str) -> str:
    return "".join(c for c in name if c.isupper() or c.isdigit()).lower()


def score(query: str, kind: catalog.LayerKind) -> float:
    """How well ``query`` finds ``kind``, as the command palette matches (0: not at all)."""
    query = query.strip()
    if not query:
        return 1.0
    compact = query.replace(" ", "").lower()
    value = Matcher(compact).match(kind.name)
    if value and _initials(kind.name).startswith(compact):
        value += INITIALS_BONUS
    if not value and all(w in f"{kind.name} {kind.help} {kind.group}".lower()
                         for w in query.lower().split()):
        value = HELP_MATCH
    return value


class AddLayerScreen(Modal[str | None]):
    """Type to filter, up/down to choose, enter to pick. Dismisses with a layer type or None."""

    BINDINGS = [
        Binding("down", "move(1)", N_("Next"), show=False),
        Binding("up", "move(-1)", N_("Previous"), show=False),
        Binding("pagedown", "move(8)", show=False),
        Binding("pageup", "move(-8)", show=False),
    ]
    HINT = N_("type to filter · ↑/↓ choose · enter adds below the selected row · esc cancels")
    DEFAULT_CSS = """
    AddLayerScreen #layer-filter { margin: 0 0 1 0; }
    AddLayerScreen OptionList { height: auto; max-height: 24; }
    """

    def __init__(self) -> None:
        super().__init__()

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog", id="add-dialog"):
            yield Static(_("Add a layer"), classes="title")
            yield Input(placeholder=_("type to filter, e.g. dense or conv"), id="layer-filter",
                        compact=True)
            yield OptionList(id="layer-options")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#layer-filter", Input).focus()

    def _fill(self, text: str) -> None:
        """The catalog by group; with a filter, the matches best first (fuzzy, as the command
        palette matches: "gap" and "globalavg" find GlobalAveragePooling1D)."""
        kinds = sorted(catalog.LAYERS.values(), key=_group_rank)
        options = self.query_one(OptionList)
        options.clear_options()
        if not text.strip():
            for group, members in groupby(kinds, key=lambda k: k.group):
                options.add_option(Option(Text(_(GROUP_TITLE.get(group, group.upper())),
                                                style="bold"), disabled=True))
                for kind in members:
                    options.add_option(Option(Text.assemble((f"  {kind.name:<24}", "bold"),
                                                            (_(kind.help), "")), id=kind.name))
        else:
            matcher = Matcher(text.replace(" ", ""))
            scored = [(score(text, kind), i, kind) for i, kind in enumerate(kinds)]
            found = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))
            for _score, _order, kind in found:
                name = matcher.highlight(kind.name).stylize("bold")
                options.add_option(Option(Content.assemble(
                    "  ", name, " " * max(1, 24 - len(kind.name)), _(kind.help),
                    (f"  {_(GROUP_TITLE.get(kind.group, kind.group)).lower()}", "dim")),
                    id=kind.name))
            if not found:
                options.add_option(Option(Text("  " + _("no layer matches '{text}'").format(
                    text=printable(text)), style="dim"), disabled=True))
        first = next((i for i, opt in enumerate(options.options) if not opt.disabled), None)
        options.highlighted = first

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        shown = printable(event.value)
        if shown != event.value:  # a pasted control character is shown, not sent to the terminal
            event.input.value = shown
            return
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.dismiss(options.options[options.highlighted].id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        enabled = [i for i, opt in enumerate(options.options) if not opt.disabled]
        if not enabled:
            return
        current = options.highlighted
        if current is None or current not in enabled:
            options.highlighted = enabled[0]
            return
        position = enabled.index(current) + step
        options.highlighted = enabled[max(0, min(len(enabled) - 1, position))]
