"""What the Runs view's keys do: mark and compare runs, watch, evaluate, resume, clone, delete one.

``RunsPaneActions`` is mixed into ``RunsPane``, whose ``BINDINGS`` name these actions; each acts on
the run under the list's cursor (or on the marked runs) and leaves training and presets to the app
(``attach_run``, ``resume_run``, ``clone_run``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import work

from nnbench.core.i18n import _
from nnbench.core.text import printable
from nnbench.tui.widgets.runs_table import KEYS_HINT

if TYPE_CHECKING:
    from nnbench.tui.screens.runs_pane import RunsPane


class RunsPaneActions:
    """The Runs view's actions, over the pane's records, marks and list."""

    def _folder(self: RunsPane, run_id: str | None) -> Path | None:
        record = self.records.get(run_id) if run_id else None
        return Path(record.path) if record is not None else None

    def action_toggle_mark(self: RunsPane) -> None:
        run_id = self._cursor_run()
        if run_id is None:
            return
        if run_id in self.marked:
            self.marked.remove(run_id)
        else:
            self.marked.append(run_id)
        self.table.show_mark(self.records[run_id], run_id in self.marked)
        count = len(self.marked)
        self.table.border_subtitle = (_("{n} marked · c compares them").format(n=count) if count
                                      else _(KEYS_HINT))

    def action_clear_marks(self: RunsPane) -> None:
        marked, self.marked = self.marked, []
        for run_id in marked:
            if run_id in self.records:
                self.table.show_mark(self.records[run_id], False)
        self.table.border_subtitle = _(KEYS_HINT)

    def action_compare(self: RunsPane) -> None:
        from nnbench.tui.screens.compare_screen import CompareScreen

        folders = [f for f in (self._folder(r) for r in self.marked) if f is not None]
        if len(folders) < 2:
            self.notify(_("Mark two or more runs with space first."), severity="warning")
            return
        self.app.push_screen(CompareScreen(folders))

    def action_watch(self: RunsPane) -> None:
        folder = self._folder(self._cursor_run())
        attach = getattr(self.app, "attach_run", None)
        if folder is not None and attach is not None:
            attach(folder)

    def action_evaluate(self: RunsPane) -> None:
        from nnbench.tui.screens.evaluate_screen import EvaluateScreen

        run_id = self._cursor_run()
        record = self.records.get(run_id) if run_id else None
        if record is None or record.unreadable:
            return
        if record.status == "running":
            self.notify(_("The run is still training; evaluate it once it ends."), severity="warning")
            return
        self.app.push_screen(EvaluateScreen(record.path))

    def action_resume(self: RunsPane) -> None:
        run_id = self._cursor_run()
        record = self.records.get(run_id) if run_id else None
        resume = getattr(self.app, "resume_run", None)
        if record is None or resume is None:
            return
        if record.status in ("running", "finished", "unreadable"):
            why = {"running": _("it is still training (⏎ watches it)"),
                   "finished": _("it finished all its epochs; o clones its preset to train again"),
                   "unreadable": printable(record.unreadable or _("it can't be read"))}[record.status]
            self.notify(_("{run} can't be resumed: {why}").format(run=printable(record.run_id),
                                                                  why=why), severity="warning",
                        markup=False)
            return
        resume(Path(record.path))

    def action_clone(self: RunsPane) -> None:
        folder = self._folder(self._cursor_run())
        clone = getattr(self.app, "clone_run", None)
        if folder is not None and clone is not None:
            clone(folder)

    def action_refresh_runs(self: RunsPane) -> None:
        self.refresh_runs()

    def action_delete_run(self: RunsPane) -> None:
        run_id = self._cursor_run()
        if run_id is None:
            return
        from nnbench.tui.screens.confirm import ConfirmScreen

        def delete(confirmed: bool | None) -> None:
            if confirmed:
                self._delete(run_id)

        self.app.push_screen(ConfirmScreen(
            _("Delete run?"), _("Delete {run} and everything in its folder (history, events, "
                                "models)? This cannot be undone.").format(run=printable(run_id)),
            yes=_("Delete")), delete)

    @work(thread=True, exit_on_error=False, group="runs-delete", description="Deleting a run")
    def _delete(self: RunsPane, run_id: str) -> None:
        from nnbench.core.errors import NnbenchError
        from nnbench.core.runs import RunStore

        try:
            RunStore(self._root()).delete(run_id)
        except (NnbenchError, OSError) as exc:
            self.app.call_from_thread(self.notify, printable(str(exc)), title=_("Run not deleted"),
                                      severity="error", markup=False)
            return
        if run_id in self.marked:
            self.marked.remove(run_id)
        self.app.call_from_thread(self.notify, _("deleted {run}").format(run=printable(run_id)),
                                  markup=False)
        self.refresh_runs()
