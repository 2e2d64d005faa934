"""The modal that opens a preset: bundled ones, the user's own, or any path."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from nnbench.core.i18n import N_, _
from nnbench.core.preset import bundled_presets
from nnbench.core.user_presets import user_presets, user_presets_dir
from nnbench.tui.screens.modal import Modal


def _option(title: str, description: str, option_id: str) -> Option:
    row = Table.grid(padding=(0, 1))
    row.add_column(width=20, no_wrap=True, overflow="ellipsis")
    row.add_column(ratio=1)
    row.add_row(Text(title, style="bold"), Text(description, style="dim"))
    return Option(row, id=option_id)


class OpenPresetScreen(Modal[str | None]):
    """Dismisses with a bundled preset's name or a file path, or None."""

    HINT = N_("enter opens · tab: list or path · esc cancels")
    DEFAULT_CSS = """
    OpenPresetScreen > .dialog { height: 90%; max-height: 40; }
    OpenPresetScreen OptionList { height: 1fr; }
    OpenPresetScreen #preset-path { margin: 1 0 0 0; }
    """

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog", id="open-dialog"):
            yield Static(_("Open a preset"), classes="title")
            options: list[Option] = [Option(Text(_("BUNDLED"), style="bold"), disabled=True)]
            options += [_option(name, text, f"bundled:{name}")
                        for name, text in bundled_presets().items()]
            mine = user_presets()
            yours = _("YOURS  ({folder})").format(folder=user_presets_dir())
            options.append(Option(Text(yours, style="bold"),
                                  disabled=True))
            options += [_option(path.stem, text or str(path), f"path:{path}")
                        for path, text in mine]
            if not mine:
                options.append(Option(Text(_("  none yet: ctrl+s saves the current preset here"),
                                           style="dim"), disabled=True))
            yield OptionList(*options, id="preset-options")
            # Not select_on_focus: a first key typed on the list moves here and must stay.
            yield Input(placeholder=_("or type a path to a .toml file and press enter"),
                        id="preset-path", compact=True, select_on_focus=False)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        options.highlighted = next(i for i, o in enumerate(options.options) if not o.disabled)

    def on_key(self, event: events.Key) -> None:
        # Typing a path starts in the path field, wherever the focus is: a character typed on
        # the list would otherwise be lost until Tab.
        path = self.query_one("#preset-path", Input)
        if path.has_focus or not event.is_printable or event.character in (None, " "):
            return
        event.stop()
        event.prevent_default()
        path.focus()
        path.insert_text_at_cursor(event.character)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind, _, value = (event.option.id or "").partition(":")
        if value:
            self.dismiss(value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())
