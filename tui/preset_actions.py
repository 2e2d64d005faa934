"""Open, save and export the working preset: the dialogs around ``nnbench.core.session``, and
the refusal to use a preset while a field on screen shows a value it refused.

Each runs as a worker of the app (a dialog waits for its answer, an export writes a file), so an
error in one is shown by the app's worker handler instead of ending the app.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from nnbench.core.errors import NnbenchError, PresetError
from nnbench.core.i18n import N_, _
from nnbench.core.preset import Preset
from nnbench.core.session import open_choice, script_path
from nnbench.core.text import printable
from nnbench.tui.screens.confirm import ConfirmScreen
from nnbench.tui.screens.error_modal import ErrorModal
from nnbench.tui.screens.layer_edit import LayerEditScreen
from nnbench.tui.screens.open_preset import OpenPresetScreen
from nnbench.tui.screens.save_preset import SavePresetScreen
from nnbench.tui.widgets.layer_form import LayerForm

if TYPE_CHECKING:
    from nnbench.tui.app import NnbenchApp


# Whole sentences per action, so each language can order them its own way.
CANNOT = {"train": N_("Cannot train"), "save": N_("Cannot save"), "export": N_("Cannot export")}
CANNOT_FROM_FORM = {"train": N_("Cannot train from the layer form"),
                    "save": N_("Cannot save from the layer form"),
                    "export": N_("Cannot export from the layer form")}
FIX_FIRST = {"train": (N_("Cannot train: fix this first"), N_("Cannot train: fix these {n} first")),
             "save": (N_("Cannot save: fix this first"), N_("Cannot save: fix these {n} first")),
             "export": (N_("Cannot export: fix this first"),
                        N_("Cannot export: fix these {n} first"))}

class PresetActions:
    """The app's open (ctrl+o), save (ctrl+s) and export (ctrl+e)."""

    def __init__(self, app: NnbenchApp) -> None:
        self.app = app

    def open(self, choice: str | None = None) -> None:
        """Open ``choice`` (a bundled name or a path), or ask which; asks before discarding
        unsaved changes."""
        self.app.run_worker(partial(self._open, choice), name="_open_preset", group="dialog",
                            exit_on_error=False, description="Opening a preset")

    def save(self) -> None:
        """Ask for a name and a file, then save (not while a field shows a refused value)."""
        if not self.refuse_refused("save"):
            self.app.run_worker(self._save, name="_save_preset", group="dialog",
                                exit_on_error=False, description="Saving the preset")

    def export(self) -> None:
        """Write the preset as a runnable plain-Keras script in the current folder."""
        if self.refuse_refused("export"):
            return
        self.app.run_worker(partial(self._export, self.app.preset, Path.cwd()),
                            name="_export_script", group="export", thread=True,
                            exit_on_error=False, description="Exporting a script")

    def refuse_refused(self, doing: str) -> bool:
        """If a field shows a value it refused, say which and what is wrong, show it, and
        return True: training or saving would silently use the last good value instead."""
        app = self.app
        screen = app.screen
        if isinstance(screen, LayerEditScreen):
            bad = screen.query_one(LayerForm).first_invalid()
            if bad is not None:
                bad.focus()
                app.notify(_("layer form › {label}: {reason}").format(label=bad.label, reason=bad.reason),
                           title=_(CANNOT[doing]), severity="error", timeout=8)
            else:
                app.notify(_("Apply the layer (ctrl+s) or cancel it (esc) first."),
                           title=_(CANNOT_FROM_FORM[doing]), severity="warning")
            return True
        app.check_compatibility()
        refusals = app.main.refused_values() + app.main.problem_refusals(app.problems)
        if not refusals:
            return False
        first = refusals[0]
        app.action_show_tab(first.tab)
        if first.field is not None:
            first.field.focus()
        app.notify(printable("\n".join(r.text for r in refusals), newlines=True),
                   title=_(FIX_FIRST[doing][len(refusals) > 1]).format(n=len(refusals)),
                   severity="error", timeout=12, markup=False)
        return True

    async def _open(self, choice: str | None) -> None:
        app = self.app
        if choice is None:
            choice = await app.push_screen_wait(OpenPresetScreen())
        if not choice:
            return
        try:
            preset, path = open_choice(choice)
        except PresetError as exc:
            await app.push_screen_wait(ErrorModal(exc.title, exc.message))
            return
        if app.unsaved and not await app.push_screen_wait(ConfirmScreen(
                _("Unsaved changes"),
                _("Open {name} and discard the unsaved changes to {current}?").format(
                    name=preset.name, current=app.preset.name),
                yes=_("Discard and open"))):
            return
        app.set_preset(preset, path)
        app.notify(_("Opened {name}").format(name=preset.name), timeout=2)

    async def _save(self) -> None:
        app = self.app
        session = app.session
        answer = await app.push_screen_wait(SavePresetScreen(
            session.preset.name, session.preset.description, session.path))
        if answer is None:
            return
        name, description, path = answer
        if session.would_replace(path) and not await app.push_screen_wait(
                ConfirmScreen(_("File exists"), _("{path} exists. Replace it?").format(path=path),
                              yes=_("Replace"))):
            return
        try:
            reads_back = session.save(path, name=name, description=description)
        except (OSError, NnbenchError) as exc:
            title = exc.title if isinstance(exc, NnbenchError) else _("Could not save the preset")
            await app.push_screen_wait(ErrorModal(title, str(exc)))
            return
        if not reads_back:
            app.notify(_("The saved file reads back differently; please report this."),
                       severity="warning")
        app.update_title()
        app.notify(_("Saved {name} to {path}").format(name=name, path=path), timeout=3)

    def _export(self, preset: Preset, folder: Path) -> None:
        """In a thread: the export imports Keras and writes a file."""
        from nnbench.core.export import export_script

        app = self.app
        path = script_path(preset.name, folder)
        try:
            path.write_text(export_script(preset), encoding="utf-8")
        except NnbenchError as exc:
            app.call_from_thread(app.push_screen, ErrorModal(exc.title, exc.message))
            return
        except OSError as exc:
            app.call_from_thread(app.notify, _("Could not write {path}: {reason}").format(
                path=path, reason=exc.strerror), title=_("Export failed"), severity="error")
            return
        app.call_from_thread(app.notify, _("Wrote {path}: plain Keras, run it with python").format(
            path=path), title=_("Exported"), timeout=6)
