"""The app's own keys: the table of bindings, which of them wait while a dialog is up or work only
while training, how the footer changes while training, and the help screen's sections."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from nnbench.core.i18n import N_, _
from nnbench.tui.keys import alt_digit, translated
from nnbench.tui.screens.build_pane import BuildPane
from nnbench.tui.screens.data_pane import DataPane
from nnbench.tui.screens.help_screen import KeySection
from nnbench.tui.screens.main_screen import TABS
from nnbench.tui.widgets.layer_stack import LayerStack

if TYPE_CHECKING:
    from nnbench.tui.app import NnbenchApp

TRAINING_ACTIONS = ("stop_now", "stop_after_epoch", "toggle_pause", "steer")
MAIN_SCREEN_ACTIONS = ("train", "lr_find", "open_preset", "save_preset", "show_tab", "help", "undo")
QUIET_WHILE_TRAINING = frozenset({"train", "open_preset", "save_preset"})
"""Keys that keep working while training but leave the footer to x, e and p (80 columns)."""
TAB_TITLES = (N_("Build"), N_("Compile"), N_("Fit"), N_("Data"), N_("Train"), N_("Inside"),
              N_("Runs"), N_("Log"))
"""main_screen.TABS's titles, marked for the catalogue: translated where they are shown."""
TAB_TOOLTIP = N_("Switch tab: Alt+1 … Alt+{last}, also from inside a field (1 … {last} where "
                 "nothing is typed)")


APP_BINDINGS = [
    Binding("ctrl+r", "train", N_("Train"), id="app.train", priority=True,
            tooltip=N_("Train the working preset (the Train tab shows it live)")),
    Binding("x", "stop_now", N_("Stop"), id="app.stop",
            tooltip=N_("Stop training at the next batch; the run is saved as stopped")),
    Binding("e", "stop_after_epoch", N_("End epoch"), id="app.stop_after_epoch",
            tooltip=N_("Finish the epoch in flight, then stop")),
    Binding("p", "toggle_pause", N_("Pause"), id="app.pause",
            tooltip=N_("Pause training between batches, or resume")),
    Binding("s", "steer", N_("Steer"), id="app.steer", show=False,
            tooltip=N_("Change the learning rate or EarlyStopping patience of the run training "
                       "now")),
    Binding("ctrl+l", "lr_find", N_("LR finder"), id="app.lr_find", show=False, priority=True,
            tooltip=N_("Find a learning rate: a short range test on a fresh model")),
    Binding("ctrl+o", "open_preset", N_("Open"), id="app.open", priority=True,
            tooltip=N_("Open a preset: bundled, one of yours, or any .toml file")),
    Binding("ctrl+s", "save_preset", N_("Save"), id="app.save", priority=True,
            tooltip=N_("Save the working preset as TOML")),
    Binding("ctrl+e", "export_script", N_("Export"), id="app.export", show=False, priority=True,
            tooltip=N_("Write the working preset as a plain Keras script")),
    Binding("f1,question_mark", "help", N_("Help"), id="app.help", key_display="F1",
            tooltip=N_("This list of keys")),
    Binding("ctrl+q", "quit", N_("Quit"), id="app.quit", priority=True,
            tooltip=N_("Quit (asks first if training or unsaved)")),
    Binding("ctrl+z", "undo", N_("Undo"), id="app.undo", show=False, priority=True,
            tooltip=N_("Undo the last change to the layers or a field")),
    # Textual adds this one itself, in English, unless the app declares it: declared, the
    # footer's "^p palette" is in the interface's language too.
    Binding("ctrl+p", "command_palette", N_("palette"), show=False, priority=True,
            tooltip=N_("Open the command palette")),
    # A digit typed into a field is a digit: plain digits switch tabs only where nothing can
    # be typed (Textual gives printable keys to the focused text field first). Alt+digit
    # switches from anywhere (see tui/keys.py) and is what the footer shows.
    *(Binding(key, f"show_tab('{tab}')", N_("Tabs") if n == 1 else title,
              show=n == 1 and how == "alt", priority=True,
              key_display=f"M-1…{len(TABS)}" if n == 1 else f"M-{n}",
              id=f"app.tab.{how}.{tab}",
              tooltip=TAB_TOOLTIP)
      for n, (tab, title) in enumerate(TABS.items(), start=1)
      for how, key in zip(("alt", "esc"), alt_digit(n).split(","), strict=True)),
    *(Binding(str(n), f"show_tab('{tab}')", title, show=False, id=f"app.tab.{tab}")
      for n, (tab, title) in enumerate(TABS.items(), start=1)),
]


def app_binding(binding: Binding) -> Binding:
    """One of the app's bindings in the interface's language (the app translates its own copy
    when it is created: tui/keys.py says why)."""
    out = translated(binding)
    if binding.tooltip == TAB_TOOLTIP:
        out = replace(out, tooltip=out.tooltip.format(last=len(TABS)))
    return out


def footer_binding(binding: Binding, *, training: bool, paused: bool) -> Binding:
    """``binding`` as the footer shows it now: while training only x, e and p show (the footer
    fits 80 columns; the hidden keys still work), and p says what it does (Pause or Resume)."""
    if binding.action in QUIET_WHILE_TRAINING:
        return replace(binding, show=not training)
    if binding.action == "toggle_pause":
        return replace(binding, description=_("Resume") if paused else _("Pause"))
    return binding


def key_sections(app: NnbenchApp) -> list[KeySection]:
    """The help screen's table: the app's keys, then each view's, in the footer's words."""

    def keys(bindings: Iterable[Any]) -> list[tuple[str, str]]:
        return [(", ".join(app.get_key_display(Binding(k, b.action))
                           for k in b.key.split(",")), _(b.tooltip or b.description))
                for b in bindings if isinstance(b, Binding) and b.description]

    app_keys = [b for b in app.BINDINGS if isinstance(b, Binding)]
    sections: list[KeySection] = [
        (_("Everywhere"), keys(b for b in app_keys if b.action not in TRAINING_ACTIONS
                               and not b.action.startswith("show_tab"))
         + [(f"alt+1 … alt+{len(TABS)}", _("switch tab, also from inside a field: ")
             + " · ".join(_(title) for title in TABS.values())),
            (f"1 … {len(TABS)}", _("switch tab where nothing is typed (in a text field a digit "
                                   "is a digit)")),
            ("esc", _("leave a field: back to the layer stack or the tab strip")),
            ("^p", _("command palette: every action by name")),
            ("tab, shift+tab", _("move between fields"))]),
        (_("Build"), keys(LayerStack.BINDINGS) + keys(BuildPane.BINDINGS)),
        (_("Data"), keys(DataPane.BINDINGS)),
        (_("Fields"), [("enter", _("open a select; in a layer form, apply (from a text field "
                                   "or checkbox)")),
                       ("space", _("toggle a checkbox or a metric")),
                       ("F2", _("hide or show the explanation of the focused field or layer")),
                       (_("✗ reason"), _("a refused value: the preset keeps the last good one"))]),
        (_("While training"), keys(b for b in app_keys if b.action in TRAINING_ACTIONS)),
    ]
    runs_pane = app.main.runs_pane
    if runs_pane is not None:
        sections.append((_("Runs"), keys(type(runs_pane).BINDINGS)))
    sections.append((_("Dialogs"), [("enter", _("apply / open / save")), ("esc", _("cancel")),
                                    ("y / n", _("answer a confirmation")),
                                    ("^s", _("apply a layer form from any field"))]))
    return sections
