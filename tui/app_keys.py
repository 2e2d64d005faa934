"""The app's own keys: the table of bindings, which of them wait while a dialog is up or work only
while training, how the footer changes while training, and the help screen's sections."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from nnbench.tui.keys import alt_digit
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

APP_BINDINGS = [
    Binding("ctrl+r", "train", "Train", id="app.train", priority=True,
            tooltip="Train the working preset (the Train tab shows it live)"),
    Binding("x", "stop_now", "Stop", id="app.stop",
            tooltip="Stop training at the next batch; the run is saved as stopped"),
    Binding("e", "stop_after_epoch", "End epoch", id="app.stop_after_epoch",
            tooltip="Finish the epoch in flight, then stop"),
    Binding("p", "toggle_pause", "Pause", id="app.pause",
            tooltip="Pause training between batches, or resume"),
    Binding("s", "steer", "Steer", id="app.steer", show=False,
            tooltip="Change the learning rate or EarlyStopping patience of the run training now"),
    Binding("ctrl+l", "lr_find", "LR finder", id="app.lr_find", show=False, priority=True,
            tooltip="Find a learning rate: a short range test on a fresh model"),
    Binding("ctrl+o", "open_preset", "Open", id="app.open", priority=True,
            tooltip="Open a preset: bundled, one of yours, or any .toml file"),
    Binding("ctrl+s", "save_preset", "Save", id="app.save", priority=True,
            tooltip="Save the working preset as TOML"),
    Binding("ctrl+e", "export_script", "Export", id="app.export", show=False, priority=True,
            tooltip="Write the working preset as a plain Keras script"),
    Binding("f1,question_mark", "help", "Help", id="app.help", key_display="F1",
            tooltip="This list of keys"),
    Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True,
            tooltip="Quit (asks first if training or unsaved)"),
    Binding("ctrl+z", "undo", "Undo", id="app.undo", show=False, priority=True,
            tooltip="Undo the last change to the layers or a field"),
    # A digit typed into a field is a digit: plain digits switch tabs only where nothing can
    # be typed (Textual gives printable keys to the focused text field first). Alt+digit
    # switches from anywhere (see tui/keys.py) and is what the footer shows.
    *(Binding(key, f"show_tab('{tab}')", "Tabs" if n == 1 else title,
              show=n == 1 and how == "alt", priority=True,
              key_display=f"M-1…{len(TABS)}" if n == 1 else f"M-{n}",
              id=f"app.tab.{how}.{tab}",
              tooltip=f"Switch tab: Alt+1 … Alt+{len(TABS)}, also from inside a field "
                      f"(1 … {len(TABS)} where nothing is typed)")
      for n, (tab, title) in enumerate(TABS.items(), start=1)
      for how, key in zip(("alt", "esc"), alt_digit(n).split(","), strict=True)),
    *(Binding(str(n), f"show_tab('{tab}')", title, show=False, id=f"app.tab.{tab}")
      for n, (tab, title) in enumerate(TABS.items(), start=1)),
]


def footer_binding(binding: Binding, *, training: bool, paused: bool) -> Binding:
    """``binding`` as the footer shows it now: while training only x, e and p show (the footer
    fits 80 columns; the hidden keys still work), and p says what it does (Pause or Resume)."""
    if binding.action in QUIET_WHILE_TRAINING:
        return replace(binding, show=not training)
    if binding.action == "toggle_pause":
        return replace(binding, description="Resume" if paused else "Pause")
    return binding


def key_sections(app: NnbenchApp) -> list[KeySection]:
    """The help screen's table: the app's keys, then each view's, in the footer's words."""

    def keys(bindings: Iterable[Any]) -> list[tuple[str, str]]:
        return [(", ".join(app.get_key_display(Binding(k, b.action))
                           for k in b.key.split(",")), b.tooltip or b.description)
                for b in bindings if isinstance(b, Binding) and b.description]

    app_keys = [b for b in app.BINDINGS if isinstance(b, Binding)]
    sections: list[KeySection] = [
        ("Everywhere", keys(b for b in app_keys if b.action not in TRAINING_ACTIONS
                            and not b.action.startswith("show_tab"))
         + [(f"alt+1 … alt+{len(TABS)}", "switch tab, also from inside a field: "
             + " · ".join(TABS.values())),
            (f"1 … {len(TABS)}", "switch tab where nothing is typed (in a text field a digit is a "
                      "digit)"),
            ("esc", "leave a field: back to the layer stack or the tab strip"),
            ("^p", "command palette: every action by name"),
            ("tab, shift+tab", "move between fields")]),
        ("Build", keys(LayerStack.BINDINGS) + keys(BuildPane.BINDINGS)),
        ("Data", keys(DataPane.BINDINGS)),
        ("Fields", [("enter", "open a select; in a layer form, apply (from a text field "
                              "or checkbox)"),
                    ("space", "toggle a checkbox or a metric"),
                    ("F2", "hide or show the explanation of the focused field or layer"),
                    ("✗ reason", "a refused value: the preset keeps the last good one")]),
        ("While training", keys(b for b in app_keys if b.action in TRAINING_ACTIONS)),
    ]
    runs_pane = app.main.runs_pane
    if runs_pane is not None:
        sections.append(("Runs", keys(type(runs_pane).BINDINGS)))
    sections.append(("Dialogs", [("enter", "apply / open / save"), ("esc", "cancel"),
                                 ("y / n", "answer a confirmation"),
                                 ("^s", "apply a layer form from any field")]))
    return sections
