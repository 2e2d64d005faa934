"""One labelled form field for a catalog ``Param``: a Select for choices, a Checkbox for booleans,
an Input (validated while typing) for everything else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static
from textual.widgets.select import InvalidSelectValueError

from nnbench.core.catalog import Param
from nnbench.core.i18n import _
from nnbench.core.text import visible_control
from nnbench.tui.fields import UNSET, Parsed, format_value, parser_for
from nnbench.tui.keys import OPTION_DIGITS
from nnbench.tui.widgets.toggle import Toggle

_TAB_KEYS = frozenset(OPTION_DIGITS.values())


class FieldInput(Input):
    """A field's text input that lets Alt+digit through to the app (it switches tabs) instead
    of typing the character most terminals' Alt+digit arrives as (see tui/keys.py)."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return key not in _TAB_KEYS and super().check_consume_key(key, character)

    @property
    def _value(self) -> Text:
        # Textual's Input draws its value as is: a path or name with ESC in it (from a preset
        # file, or pasted) would reach the terminal. Drawn with one visible character per
        # control character, so the cursor's column still matches the value's index; the value
        # itself (what is saved) stays as typed. Overrides Input's private drawing (declared in
        # tui/textual_private.py).
        text = super()._value
        if not self.password and not text.plain.isprintable():
            text.plain = "".join(visible_control(c) for c in text.plain)
        return text


class ParamField(Vertical):
    """A field whose ``value`` is always the last value it accepted (``UNSET`` when left empty).

    A value that does not parse is refused: the field shows the reason under itself, keeps its
    previous ``value`` and posts nothing. A value it accepts posts ``ParamField.Changed``.
    """

    DEFAULT_CSS = """
    ParamField { height: auto; margin: 0 0 0 0; }
    ParamField > .row { height: auto; }
    ParamField > .row > .label { width: 24; padding: 0 1 0 0; color: $text; }
    ParamField > .row > Input, ParamField > .row > Select { width: 1fr; max-width: 48; }
    ParamField > .row > Checkbox { width: auto; }
    ParamField > .note { color: $text-muted; padding: 0 0 0 24; height: auto; }
    ParamField > .note.-empty { display: none; }
    ParamField.-invalid > .note, ParamField.-problem > .note { color: $error; text-style: bold; }
    ParamField.-invalid > .row > .label, ParamField.-problem > .row > .label { color: $error; }
    """

    class Changed(Message):
        """The field accepted a new value (``UNSET`` when emptied)."""

        def __init__(self, field: ParamField, value: Any) -> None:
            super().__init__()
            self.field = field
            self.value = value

        @property
        def control(self) -> ParamField:
            return self.field

    def __init__(self, param: Param, value: Any = UNSET, *, label: str | None = None,
                 help: str | None = None, parse: Callable[[str], Any] | None = None,
                 choice_help: dict[str, str] | None = None, placeholder: str | None = None,
                 id: str | None = None, classes: str | None = None,
                 disabled: bool = False) -> None:
        super().__init__(id=id, classes=classes, disabled=disabled)
        self.param = param
        if param.kind == "choice" and param.required and value is UNSET and param.choices:
            # A required select always shows a choice: make it the value from the start.
            value = param.default if param.default in param.choices else param.choices[0]
        self.value = value
        self._label = label or param.name
        self._help = _(param.help) if help is None else help
        self._choice_help = choice_help or {}
        self._placeholder = placeholder
        self._parse = parse or parser_for(param.kind, param.name, required=param.required)
        self.reason: str | None = None
        """Why the text shown was refused (the value stays the last one accepted)."""
        self.problem: str | None = None
        """Why the accepted value does not fit the rest of the preset (nnbench.core.compat)."""

    def set_problem(self, problem: str | None) -> None:
        """Show (or clear) a compatibility problem of this field's value."""
        if problem == self.problem:
            return
        self.problem = problem
        if self.is_mounted:
            self._show_note()

    @property
    def valid(self) -> bool:
        return self.reason is None

    @property
    def label(self) -> str:
        """The field's name as shown beside it."""
        return self._label

    def set_help(self, text: str) -> None:
        """Change the note shown under the field while its value is accepted."""
        self._help = text
        if self.is_mounted:
            self._show_note()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(self._label + (" *" if self.param.required else ""), classes="label")
            yield self._make_control()
        yield Static("", classes="note", markup=False)

    def _make_control(self) -> Widget:
        param = self.param
        if param.kind == "choice":
            default = (_("default ({value})").format(value=param.default)
                       if param.default is not None else _("default"))
            choices = list(param.choices)
            if self.value is not UNSET and self.value not in choices:
                choices.append(self.value)  # keep a value the preset has, even if not offered
            return Select([(str(c), c) for c in choices], prompt=default, compact=True,
                          allow_blank=not param.required,
                          value=self.value if self.value in choices else Select.NULL)
        if param.kind == "bool":
            shown = self.value if self.value is not UNSET else bool(param.default)
            return Toggle(value=bool(shown))
        placeholder = self._placeholder
        if placeholder is None:
            # A required field has no default to fall back on: emptied, it says only that.
            placeholder = (_("required") if param.required else
                           _("default {value}").format(value=format_value(param.default))
                           if param.default is not None else _("not set"))
        return FieldInput(format_value(self.value), placeholder=placeholder, compact=True,
                     validators=[Parsed(self._parse)], validate_on=["changed", "blur", "submitted"],
                     valid_empty=False)

    def on_mount(self) -> None:
        self._show_note()

    @property
    def control(self) -> Widget:
        return self.query_one(".row").children[1]

    def focus(self, scroll_visible: bool = True) -> ParamField:
        self.control.focus(scroll_visible)
        return self

    def _show_note(self) -> None:
        note = self.query_one(".note", Static)
        if self.reason:
            text = "✗ " + self.reason
        elif self.problem:
            text = "✗ " + self.problem
        else:
            text = _(self._choice_help.get(self.value, "")) if self._choice_help else self._help
        note.update(text)
        note.set_class(not text, "-empty")
        self.set_class(self.reason is not None, "-invalid")
        self.set_class(self.reason is None and self.problem is not None, "-problem")

    def check(self) -> bool:
        """Parse what the field shows now (e.g. a required field never typed in) and say so."""
        control = self.control
        if isinstance(control, Input):
            try:
                value = self._parse(control.value)
            except ValueError as exc:
                self._refuse(str(exc))
                return False
            self._accept(value)
        return self.valid

    def _accept(self, value: Any) -> None:
        self.reason = None
        # 1 == 1.0: a preset's learning_rate = 1 shown as "1" and read back as 1.0 is no change.
        changed = value != self.value
        self.value = value
        self._show_note()
        if changed:
            self.post_message(self.Changed(self, value))

    def _refuse(self, reason: str) -> None:
        self.reason = reason
        self._show_note()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        try:
            value = self._parse(event.value)
        except ValueError as exc:
            self._refuse(str(exc))
            return
        self._accept(value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Let a form hear Enter; the value was already taken on change.
        if not self.valid:
            event.stop()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._accept(UNSET if event.value is Select.NULL else event.value)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._accept(bool(event.value))

    def set_value(self, value: Any) -> None:
        """Show a value set from outside (no Changed is posted)."""
        self.value = value
        self.reason = None
        control = self.control
        with self.prevent(Input.Changed, Select.Changed, Checkbox.Changed):
            if isinstance(control, Input):
                control.value = format_value(value)
            elif isinstance(control, Select):
                try:
                    control.value = value if value is not UNSET else Select.NULL
                except InvalidSelectValueError:
                    control.value = Select.NULL
            elif isinstance(control, Checkbox):
                control.value = bool(value if value is not UNSET else self.param.default)
        self._show_note()
