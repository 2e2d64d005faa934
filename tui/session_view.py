"""The working session on screen: shows the ``Session`` (nnbench.core.session) in the panes and
keeps them in step with it as the preset changes, data loads, a preset is opened or a change is
undone, and shows every compatibility problem at its field."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.widgets import Input

from nnbench.core.compat import problems
from nnbench.core.i18n import _
from nnbench.core.preset import Preset
from nnbench.core.session import LoadedData

if TYPE_CHECKING:
    from nnbench.tui.app import NnbenchApp
    from nnbench.tui.messages import PresetChanged
    from nnbench.tui.screens.data_pane import DataPane


class SessionView:
    """The app's panes as views of its session."""

    def __init__(self, app: NnbenchApp) -> None:
        self.app = app

    def show_preset(self) -> None:
        """Show the whole working preset again (opened, or a change undone)."""
        app = self.app
        main = app.main
        for pane in main.preset_panes():
            pane.show_preset(app.preset)
        self.show_loaded()
        app.update_title()
        app.call_after_refresh(self.check_compatibility)  # once the fields are rebuilt

    def check_compatibility(self) -> None:
        """Find every loss / output / label / metric / callback problem now and show each at
        its field (pure Python, so it runs on every change)."""
        app = self.app
        main = app.main
        build = main.build_pane
        app.problems = problems(app.preset, app.data_info, build.output_shape)
        shown: set[str] = set()
        for pane in main.preset_panes()[1:]:
            shown |= pane.show_problems(app.problems)
        build.show_problems([p for p in app.problems if p.key not in shown])

    def show_loaded(self) -> None:
        """Show the data loaded for the current settings, or that there is none, everywhere."""
        main = self.app.main
        session = self.app.session
        main.build_pane.set_data_info(session.data_info)
        if not main.panes_ready:
            return  # the Fit and Data panes read it as they mount
        main.fit_pane.set_training_samples(session.training_samples)
        main.data_pane.show_loaded(session.data_info, split_as_loaded=session.split_as_loaded)

    def open(self, preset: Preset, path: Path | None) -> None:
        """Replace the working preset (opened from a file or the bundled ones)."""
        self.app.session.open(preset, path)
        self.show_preset()
        self.app.main.status.message = _("opened {name}").format(name=preset.name)

    def changed(self, message: PresetChanged) -> None:
        """A view edited the preset: bring what depends on it up to date."""
        app = self.app
        # Keys typed into one text field are one undo step; a pick, a toggle or a layer edit
        # is a step of its own.
        stale = app.session.change(message.preset, message.reason,
                                   merges=isinstance(app.focused, Input))
        app.update_title()
        if stale.loaded_data:
            self.show_loaded()  # rechecks the stack if the data it checks against changed
        if stale.loss:
            app.main.build_pane.schedule_analysis()  # the output check depends on the loss
        self.check_compatibility()
        if message.reason:
            app.main.status.message = _("changed: {what}").format(what=message.reason)

    def data_loaded(self, message: DataPane.Loaded) -> None:
        """Keep a load's result if it is the data of the settings now; else say it was dropped."""
        session = self.app.session
        if not session.data_loaded(LoadedData(message.data, message.fit, message.info,
                                              message.training_samples)):
            self.app.main.data_pane.show_loaded(session.data_info,
                                                split_as_loaded=session.split_as_loaded,
                                                dropped=message.info.source)
            return
        self.show_loaded()
        self.check_compatibility()

    def data_load_failed(self, message: DataPane.LoadFailed) -> None:
        self.app.session.data_load_failed(message.data)
        self.show_loaded()
        self.check_compatibility()

    def undo(self) -> None:
        """Undo the last change to the layers or a field, keeping the focus where it was."""
        app = self.app
        step = app.session.undo()
        if step is None:
            app.notify(_("Nothing to undo."), timeout=2)
            return
        main = app.main
        where = main.focus_position()
        self.show_preset()
        main.status.message = _("undone: {what}").format(what=step.reason)
        app.call_after_refresh(main.restore_focus, where)
