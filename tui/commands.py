"""The main screen's commands for the command palette (ctrl+p): every action a key does, by name,
so a person who forgot the key can still find it."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand

from nnbench.core.i18n import N_, _
from nnbench.tui.screens.main_screen import TABS

if TYPE_CHECKING:
    from nnbench.tui.app import NnbenchApp

ONLY_WHILE_TRAINING = N_("only while training")


def guarded(app: NnbenchApp, command: SystemCommand) -> SystemCommand:
    """The command with its callback made safe: an exception in it (or in what it awaits) is
    shown by ``app.report_failure`` instead of ending the app. The palette runs a callback
    outside any action, so ``NnbenchApp.run_action``'s guard does not cover it."""
    callback = command.callback

    async def finish(pending: Awaitable[Any]) -> None:
        try:
            await pending
        except Exception as exc:
            app.report_failure(command.title, exc)

    def run() -> Any:
        try:
            result = callback()
        except Exception as exc:
            app.report_failure(command.title, exc)
            return None
        return finish(result) if inspect.isawaitable(result) else None

    return SystemCommand(command.title, command.help, run, command.discover)


def main_screen_commands(app: NnbenchApp) -> Iterable[SystemCommand]:
    """What the palette offers on the main screen, in the words of the keys table."""
    yield from _training_commands(app)
    yield from _preset_commands(app)
    yield from _build_commands(app)
    yield from _runs_commands(app)
    for number, (tab, title) in enumerate(TABS.items(), start=1):
        yield SystemCommand(_("Go to {tab}").format(tab=_(title)),
                            _("Show the {tab} tab ({number})").format(tab=_(title), number=number),
                            lambda tab=tab: app.action_show_tab(tab))


def _on_tab(app: NnbenchApp, tab: str, action: Callable[[], object]) -> Callable[[], None]:
    """``action`` on the tab it belongs to, so its result is in sight."""
    def run() -> None:
        app.action_show_tab(tab)
        action()
    return run


def _while_training(app: NnbenchApp, action: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        if app.training:
            action()
        else:
            app.notify(_("Nothing is training: ctrl+r starts a run."), severity="warning")
    return run


def _training_commands(app: NnbenchApp) -> Iterable[SystemCommand]:
    training = app.training

    def training_help(text: str) -> str:
        return _(text) if training else f"{_(text)}; {_(ONLY_WHILE_TRAINING)}"

    yield SystemCommand(_("Train"), _("Train the working preset (ctrl+r)"), app.action_train)
    yield SystemCommand(_("Stop training"), training_help(_("Stop at the next batch (x)")),
                        _while_training(app, app.action_stop_now))
    yield SystemCommand(_("Stop after this epoch"), training_help(_("Finish the epoch, then stop (e)")),
                        _while_training(app, app.action_stop_after_epoch))
    yield SystemCommand(_("Pause or resume training"), training_help(_("Between batches (p)")),
                        _while_training(app, app.action_toggle_pause))
    yield SystemCommand(_("Steer training"), training_help(_("A new learning rate or EarlyStopping "
                                                        "patience, from the next batch (s)")),
                        _while_training(app, app.action_steer))
    yield SystemCommand(_("Find a learning rate"), _("A short range test on a fresh model: loss "
                        "against learning rate, with a suggested value (ctrl+l)"),
                        app.action_lr_find)


def _preset_commands(app: NnbenchApp) -> Iterable[SystemCommand]:
    yield SystemCommand(_("Open preset"), _("A bundled preset, one of yours or a file (ctrl+o)"),
                        app.action_open_preset)
    yield SystemCommand(_("Save preset"), _("Save the working preset as TOML (ctrl+s)"),
                        app.action_save_preset)
    yield SystemCommand(_("Export Keras script"), _("Write the preset as a plain Keras script in the "
                        "current folder (ctrl+e)"), app.action_export_script)
    yield SystemCommand(_("Help"), _("Every key (F1)"), app.action_help)


def _build_commands(app: NnbenchApp) -> Iterable[SystemCommand]:
    build = app.main.build_pane
    yield SystemCommand(_("Add layer"), _("Add a layer below the selected one (a in Build)"),
                        _on_tab(app, "build", build.action_add_layer))
    yield SystemCommand(_("Edit layer"), _("Edit the selected layer's parameters (enter in Build)"),
                        _on_tab(app, "build", build.action_edit_layer))
    yield SystemCommand(_("Remove layer"), _("Remove the selected layer (d in Build)"),
                        _on_tab(app, "build", build.action_remove_layer))
    yield SystemCommand(_("Move layer up"), _("Move the selected layer up (shift+↑ or K in Build)"),
                        _on_tab(app, "build", lambda: build.action_move(-1)))
    yield SystemCommand(_("Move layer down"), _("Move the selected layer down (shift+↓ or J in Build)"),
                        _on_tab(app, "build", lambda: build.action_move(1)))

    def load_data() -> None:
        app.action_show_tab("data")
        if app.main.panes_ready:
            app.main.data_pane.load()
            return

        async def once_built() -> None:  # asked for in the first half second: built now
            await app.main.ensure_pane("data")
            app.main.data_pane.load()

        app.call_later(once_built)

    yield SystemCommand(_("Load data"), _("Load the data set to see its samples, shape and classes "
                        "(l in Data)"), load_data)


def _runs_commands(app: NnbenchApp) -> Iterable[SystemCommand]:
    def runs(action: str) -> Callable[[], None]:
        def run() -> None:
            pane = app.main.runs_pane
            if pane is None:
                app.notify(_("The Runs view is not installed."), severity="error")
                return
            app.action_show_tab("runs")
            getattr(pane, f"action_{action}")()
        return run

    yield SystemCommand(_("Runs: mark run"), _("Mark or unmark the selected run to compare it "
                        "(space in Runs)"), runs("toggle_mark"))
    yield SystemCommand(_("Runs: clear marks"), _("Unmark every run (c in Runs)"), runs("clear_marks"))
    yield SystemCommand(_("Runs: refresh"), _("Read the runs folder again (f5 in Runs)"),
                        runs("refresh_runs"))
    yield SystemCommand(_("Runs: delete run"), _("Delete the selected run's folder; asks first "
                        "(delete in Runs)"), runs("delete_run"))
