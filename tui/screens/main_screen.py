"""The main screen: header, the tabs (Build | Compile | Fit | Data | Train | Runs | Log), the status
line and the footer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, TabbedContent, TabPane, Tabs

from nnbench.core.compat import Problem
from nnbench.core.i18n import _
from nnbench.tui.screens.build_pane import BuildPane
from nnbench.tui.screens.compile_pane import CompilePane
from nnbench.tui.screens.data_pane import DataPane
from nnbench.tui.screens.fit_pane import FitPane
from nnbench.tui.screens.inside_pane import InsidePane
from nnbench.tui.screens.log_pane import LogPane
from nnbench.tui.screens.runs_pane import RunsPane
from nnbench.tui.screens.train_pane import TrainPane
from nnbench.tui.widgets.layer_stack import LayerStack
from nnbench.tui.widgets.param_field import ParamField
from nnbench.tui.widgets.status_line import StatusLine
from nnbench.tui.widgets.too_small import TooSmall

PROBLEM_TABS = {"compile": "compile", "fit": "fit", "callbacks": "fit", "data": "data",
                "model": "build"}
"""Which tab shows a problem, by the first part of its preset key."""

TABS: dict[str, str] = {
    "build": "Build", "compile": "Compile", "fit": "Fit", "data": "Data",
    "train": "Train", "inside": "Inside", "runs": "Runs", "log": "Log",
}


@dataclass(frozen=True)
class Refusal:
    """A field that holds a value it refused: the preset still has the last good one."""

    tab: str
    field: ParamField | None
    text: str


def field_title(field: ParamField) -> str:
    """How a person finds the field: its label, prefixed with its callback when it has one."""
    callback = next((c.removeprefix("cb-") for c in field.classes if c.startswith("cb-")), None)
    return f"{callback} {field.label}" if callback else field.label


def _in_use(field: Widget, pane: Widget) -> bool:
    """Shown and enabled within its pane: a hidden validation mode or a switched-off callback
    does not count."""
    node: Any = field
    while node is not None and node is not pane:
        if not node.display or node.disabled:
            return False
        node = node.parent
    return True


class MainScreen(Screen[None]):
    # No automatic focus: Textual's would focus the layer stack whenever the focused widget
    # went away (its tab was hidden, a dialog closed), and focusing it switches to Build.
    # ``focus_tab`` focuses the active tab's first control instead.
    AUTO_FOCUS = ""
    BINDINGS = [Binding("escape", "leave_field", "Leave field", show=False, id="main.leave",
                        tooltip="Leave the field: back to the layer stack, or the tab strip")]

    def __init__(self, *, runs_dir: Path, log_path: Path | None, log_start: int = 0) -> None:
        super().__init__()
        self.runs_dir = runs_dir
        self.log_path = log_path
        self.log_start = log_start

    defer_panes: bool | None = None
    """Compose the Compile, Fit and Data tabs after the first frame (None: unless headless).
    Their ~320 fields are most of the screen's widgets: styling them first kept the tab bar off
    the screen for over a second. A headless app (tests, screenshots) has nobody waiting on a
    first frame and composes everything at once, so a pilot finds every pane."""

    DEFERRED = ("compile", "fit", "data")
    DEFER_SECONDS = 0.5

    def compose(self) -> ComposeResult:
        self._classes_for_size()
        self.deferring = (not self.app.is_headless if self.defer_panes is None
                          else self.defer_panes)
        self._mounted: set[str] = set() if self.deferring else set(self.DEFERRED)
        yield Header(icon="≡")
        with TabbedContent(initial="build", id="tabs"):
            for number, (tab_id, title) in enumerate(TABS.items(), start=1):
                with TabPane(f"{number} {_(title)}", id=tab_id):
                    if not (self.deferring and tab_id in self.DEFERRED):
                        yield self._pane(tab_id)
        yield StatusLine(id="status")
        yield Footer(id="footer", compact=True)
        yield TooSmall()

    def _pane(self, tab_id: str) -> Widget:
        if tab_id == "build":
            return BuildPane(id="build-pane")
        if tab_id == "compile":
            return CompilePane(id="compile-pane")
        if tab_id == "fit":
            return FitPane(id="fit-pane")
        if tab_id == "data":
            return DataPane(id="data-pane")
        if tab_id == "train":
            return TrainPane(id="train-pane")
        if tab_id == "inside":
            return InsidePane(id="inside-pane")
        if tab_id == "runs":
            return RunsPane(self.runs_dir, id="runs-pane")
        log = LogPane(self.log_path, id="log-pane")
        log.skip_to(self.log_start)
        return log

    def _classes_for_size(self) -> None:
        """The breakpoint classes of the terminal's size now, before anything is styled: left
        to the first Resize, the change would restyle every widget of every tab once more."""
        width, height = self.app.size
        app = self.app
        self.add_class(*self._get_breakpoint_classes(width, app.HORIZONTAL_BREAKPOINTS or []),
                       *self._get_breakpoint_classes(height, app.VERTICAL_BREAKPOINTS or []),
                       update=False)

    async def _mount_deferred(self) -> None:
        """The Compile, Fit and Data panes, one a frame, half a second after the first frame
        (the Runs list or a key pressed at once goes first). Each composes the working preset;
        after the last, the data loaded and every problem are shown at their fields."""
        missing = [tab for tab in self.DEFERRED if tab not in self._mounted]
        if missing:
            await self._mount_pane(missing[0])
        if len(missing) > 1:
            self.call_after_refresh(self._mount_deferred)

    async def ensure_pane(self, tab_id: str) -> None:
        """Build ``tab_id``'s pane now if it is still deferred: for an action that needs it (the
        palette's Load data, say) before the deferred panes are built."""
        if tab_id in self.DEFERRED:
            await self._mount_pane(tab_id)

    async def _mount_pane(self, tab_id: str) -> None:
        if tab_id in self._mounted:
            return
        self._mounted.add(tab_id)
        await self.query_one(f"TabPane#{tab_id}").mount(self._pane(tab_id))
        if not self._mounted.issuperset(self.DEFERRED):
            return
        self.deferring = False
        view = self.app.session_view  # type: ignore[attr-defined]
        view.show_loaded()
        self.app.call_after_refresh(view.check_compatibility)  # once their fields are built

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        tab_id = event.pane.id or ""
        if not self.deferring:
            return
        if tab_id not in self.DEFERRED:
            if tab_id != "build" and self._defer_timer is not None:
                self._defer_timer.reset()  # the Runs list (say) is drawn first, not fought
            return
        if tab_id not in self._mounted:
            await self._mount_pane(tab_id)  # wanted now: this one before the rest
            pane = self.query_one(f"TabPane#{tab_id}")
            still_here = self.query_one(TabbedContent).active == tab_id
            if still_here and (self.focused is None or pane not in self.focused.ancestors):
                self.focus_tab(tab_id)  # built after the key's own focus_tab found it empty

    _defer_timer: Timer | None = None
    asked_tab: str | None = None
    """A tab shown by a key pressed as the app started (Ctrl+R, a tab's number), before the
    screen was mounted: see ``on_mount``."""

    def on_mount(self) -> None:
        # Keys are handled by the app while this screen is still mounting: a Ctrl+R pressed
        # as the first frame comes has shown Train already. Focusing the layer stack then would
        # switch back to Build (TabbedContent shows the tab of whatever is focused), and the
        # tab strip's own first activation of its initial tab comes after the key too. So the
        # stack is focused only if no tab was asked for, and an asked-for tab is shown again
        # once the first frame is drawn.
        if self.asked_tab is None:
            self.query_one(LayerStack).focus()
        self.call_after_refresh(self._keep_asked_tab)
        self._defer_timer = (self.set_timer(self.DEFER_SECONDS, self._mount_deferred)
                             if self.deferring else None)

    @property
    def panes_ready(self) -> bool:
        """Every tab's pane is mounted (see ``defer_panes``)."""
        return not self.deferring

    def _keep_asked_tab(self) -> None:
        self.started = True
        tab = self.asked_tab
        if tab is not None and self.query_one(TabbedContent).active != tab:
            self.query_one(TabbedContent).active = tab
            self.focus_tab(tab)

    def on_screen_resume(self) -> None:
        # A dialog closed and the widget focused before it is gone (or hidden): stay on the
        # tab the person is on.
        if self.focused is None:
            self.focus_tab(self.query_one(TabbedContent).active)

    def focus_tab(self, tab: str) -> None:
        """Focus the tab's first control unless it is a text field: there, the next number key
        would be typed instead of switching tabs. The tab strip keeps them working."""
        if not getattr(self, "started", False):
            self.asked_tab = tab
        pane = self.query_one(f"TabPane#{tab}")
        first = next((w for w in pane.query("*") if w.focusable), None)
        if first is not None and not isinstance(first, Input):
            first.focus()
        else:
            self.query_one(Tabs).focus()

    def action_leave_field(self) -> None:
        """Escape: out of a field to where keys navigate (the Build stack, the Runs table, or
        the tab strip, where digits and arrows switch tabs)."""
        tab = self.query_one(TabbedContent).active
        pane = self.query_one(f"TabPane#{tab}")
        if tab in ("build", "runs"):
            first = next((w for w in pane.query("*") if w.focusable), None)
            if first is not None and first is not self.focused:
                first.focus()
                return
        self.query_one(Tabs).focus()

    def focus_position(self) -> tuple[str, int | None]:
        """The active tab and the place of the focused control in it (to find it again after
        the tab's fields were rebuilt)."""
        tab = self.query_one(TabbedContent).active
        pane = self.query_one(f"TabPane#{tab}")
        focusable = [w for w in pane.query("*") if w.focusable]
        return tab, (focusable.index(self.focused) if self.focused in focusable else None)

    def restore_focus(self, where: tuple[str, int | None]) -> None:
        tab, index = where
        pane = self.query_one(f"TabPane#{tab}")
        focusable = [w for w in pane.query("*") if w.focusable]
        if index is not None and index < len(focusable):
            focusable[index].focus()
        else:
            self.focus_tab(tab)

    def problem_refusals(self, problems: list[Problem]) -> list[Refusal]:
        """Each compatibility problem as a refusal, with the tab and field that show it."""
        found = []
        for problem in problems:
            tab = PROBLEM_TABS.get(problem.key.split(".", 1)[0].split("[", 1)[0], "build")
            field = self._field_of(tab, problem.key)
            where = field_title(field) if field is not None else problem.key
            found.append(Refusal(tab, field, f"{_(TABS[tab])} › {where}: {problem.message}"))
        return found

    def _field_of(self, tab: str, key: str) -> ParamField | None:
        if not self.panes_ready:
            return None
        if tab == "compile":
            field_id = {"compile.loss": "loss", "compile.optimizer": "optimizer"}.get(key)
            return self.compile_pane.query_one(f"#{field_id}", ParamField) if field_id else None
        if tab == "fit":
            return next((f for f in self.fit_pane.query(ParamField)
                         if FitPane.preset_key(f) == key), None)
        if tab == "data":
            kind = self.app.preset.data.scheme  # type: ignore[attr-defined]
            field_id = (f"set-{kind}" if kind in ("sklearn", "keras") else "path"
                        ) if key == "data.source" else f"opt-{key.removeprefix('data.')}"
            found = self.data_pane.query(f"#{field_id}")
            return found.first() if found else None  # type: ignore[return-value]
        return None

    def refused_values(self) -> list[Refusal]:
        """Every Compile, Fit and Data field in use that shows a value it refused."""
        found: list[Refusal] = []
        if not self.panes_ready:
            return found  # nothing typed in them yet: they are not on the screen
        for tab, pane in (("compile", self.compile_pane), ("fit", self.fit_pane),
                          ("data", self.data_pane)):
            for field in pane.query(ParamField):
                if _in_use(field, pane) and not field.check():
                    found.append(Refusal(tab, field,
                                         f"{_(TABS[tab])} › {field_title(field)}: {field.reason}"))
        if self.data_pane.problem:
            found.append(Refusal("data", None, f"{_(TABS['data'])}: {self.data_pane.problem}"))
        return found

    def preset_panes(self) -> list[Any]:
        """The panes that edit the preset and are mounted: Build first, then Compile, Fit and
        Data once they are (see ``defer_panes``)."""
        if not self.panes_ready:
            return [self.build_pane]
        return [self.build_pane, self.compile_pane, self.fit_pane, self.data_pane]

    @property
    def build_pane(self) -> BuildPane:
        return self.query_one(BuildPane)

    @property
    def compile_pane(self) -> CompilePane:
        return self.query_one(CompilePane)

    @property
    def fit_pane(self) -> FitPane:
        return self.query_one(FitPane)

    @property
    def data_pane(self) -> DataPane:
        return self.query_one(DataPane)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    @property
    def train_pane(self) -> TrainPane | None:
        found = self.query("#train-pane").results(TrainPane)
        return next(found, None)

    @property
    def runs_pane(self) -> RunsPane | None:
        found = self.query("#runs-pane").results(RunsPane)
        return next(found, None)
