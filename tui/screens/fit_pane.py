"""The Fit view: epochs, batch size, validation, shuffle, seed, and the callbacks with their
parameters; under them the explanation of the focused one (F2 hides it)."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, Static

from nnbench.core import catalog
from nnbench.core.catalog import Param
from nnbench.core.compat import Problem
from nnbench.core.i18n import N_, _
from nnbench.core.preset import FitSpec, Preset
from nnbench.core.strategy import STRATEGIES, fit_problem
from nnbench.tui.fields import UNSET
from nnbench.tui.keys import translate_bindings
from nnbench.tui.messages import PresetChanged
from nnbench.tui.widgets.explain_panel import TOGGLE_KEY, ExplainPanel, topic_of
from nnbench.tui.widgets.param_field import ParamField
from nnbench.tui.widgets.toggle import Toggle

# The help texts of choices are msgids (N_), translated when a field is made (``_help``).
VALIDATION_MODES = {
    "none": N_("no validation: only the training loss is watched"),
    "split": N_("hold out the last fraction of the training data, as Keras's validation_split"),
    "first": N_("hold out the first N training samples (the IMDB tutorial's way)"),
    "test": N_("validate on the test split"),
}
FIRST_N_SHARE = 0.2
"""Choosing "first N" without a preset value holds out this share of the loaded training samples."""
FIRST_N_UNLOADED = 1000
"""... or this many when the data has not been loaded yet."""
FIRST_HELP = N_("number of training samples held out")

CALLBACK_HELP = {
    "EarlyStopping": N_("stop when the monitored value stops improving"),
    "ModelCheckpoint": N_("save the best model (best.keras) in the run folder"),
    "ReduceLROnPlateau": N_("lower the learning rate when the monitored value stalls"),
}


STRATEGY_HELP = {
    "default": N_("TensorFlow's placement: the first GPU, else the CPU"),
    "one_device": N_("the one device named in devices"),
    "mirrored": N_("every GPU of this machine, or the devices listed"),
    "multi_worker": N_("several machines, from TF_CONFIG or a Slurm allocation"),
}


def _help(texts: dict[str, str]) -> dict[str, str]:
    """A choice's help texts in the interface's language."""
    return {key: _(text) for key, text in texts.items()}


def parse_devices(text: str) -> Any:
    """"GPU:0, GPU:1" -> ["GPU:0", "GPU:1"]; each checked as core/strategy.py checks it."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        return UNSET
    problem = fit_problem("mirrored", names)
    if problem:
        raise ValueError(problem)
    return names


def validation_mode(fit: FitSpec) -> str:
    if fit.validation_split is not None:
        return "split"
    if fit.validation_first is not None:
        return "first"
    if fit.validation_data is not None:
        return "test"
    return "none"


class FitPane(Vertical):
    """Edits ``app.preset.fit`` and ``app.preset.callbacks``. The fields scroll; the explanation
    stays under them."""

    BINDINGS = [Binding(TOGGLE_KEY, "toggle_explain", N_("Explain"), id="fit.explain",
                        key_display="F2", tooltip=N_("Hide or show the explanation of the focused "
                                                     "field"))]

    DEFAULT_CSS = """
    FitPane > #fit-form { padding: 0 1; height: 1fr; }
    FitPane .section { text-style: bold; color: $primary; padding: 1 0 0 0; }
    FitPane .callback { height: auto; padding: 1 0 0 0; }
    FitPane .callback > Checkbox { text-style: bold; }
    FitPane .callback-help { color: $text-muted; width: 1fr; padding: 0 0 0 2; }
    FitPane .callback-head { height: auto; }
    FitPane .callback-params { height: auto; padding: 0 0 0 2; }
    FitPane #validation-split.-hidden, FitPane #validation-first.-hidden { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self.fit = FitSpec()
        self.callbacks: dict[str, dict[str, Any]] = {}
        self.training_samples: int | None = None
        """Training samples of the loaded data (before validation is held out), if loaded."""
        self._first_chosen = False

    def compose(self) -> ComposeResult:
        # Built with the preset's values (see CompilePane.compose for why).
        preset: Preset = self.app.preset  # type: ignore[attr-defined]
        self.fit = fit = preset.fit.model_copy(deep=True)
        self.callbacks = {k: dict(v) for k, v in preset.callbacks.items()}
        mode = validation_mode(fit)
        # Not a Tab stop of its own: focus moves between its fields, which scroll it. The panel
        # sits outside the scrolling form (see CompilePane.compose).
        with VerticalScroll(id="fit-form", can_focus=False):
            yield Static(_("Training"), classes="section")
            yield ParamField(Param("epochs", "int", 1, required=True), fit.epochs, id="epochs",
                             help=_("passes over the training data (1 to 100,000)"))
            yield ParamField(Param("batch_size", "int", 32, required=True), fit.batch_size,
                             id="batch_size", help=_("samples per gradient step"))
            yield ParamField(Param("shuffle", "bool", True), fit.shuffle, id="shuffle",
                             help=_("shuffle the training samples before each epoch"))
            yield ParamField(Param("seed", "int"), UNSET if fit.seed is None else fit.seed, id="seed",
                             placeholder=_("none (random)"), help=_("same seed, same history"))
            yield Static(_("Validation"), classes="section")
            yield ParamField(Param("validation", "choice", "none", tuple(VALIDATION_MODES),
                                   required=True), mode, id="validation",
                             choice_help=_help(VALIDATION_MODES))
            yield ParamField(Param("validation_split", "float", required=True),
                             fit.validation_split if fit.validation_split is not None else 0.2,
                             id="validation-split", help=_("fraction held out, between 0 and 1"),
                             classes="-hidden" if mode != "split" else "")
            self._first_chosen = fit.validation_first is not None
            yield ParamField(Param("validation_first", "int", required=True),
                             fit.validation_first if fit.validation_first is not None
                             else self.suggested_first(), id="validation-first",
                             help=self._first_help(), classes="-hidden" if mode != "first" else "")
            yield Static(_("Devices"), classes="section")
            yield ParamField(Param("strategy", "choice", "default", STRATEGIES, required=True),
                             fit.strategy, id="strategy", choice_help=_help(STRATEGY_HELP))
            yield ParamField(Param("devices", "str"), ", ".join(fit.devices) or UNSET,
                             id="devices", parse=parse_devices,
                             placeholder=_("chosen by TensorFlow"),
                             help=_("one_device: one; mirrored: the ones to use, e.g. GPU:0, GPU:1"))
            yield ParamField(Param("mixed_precision", "bool", False), fit.mixed_precision,
                             id="mixed_precision",
                             help=_("mixed_float16 on a GPU, loss scaled by Keras"))
            yield ParamField(Param("jit_compile", "bool", False), fit.jit_compile, id="jit_compile",
                             help=_("compile the train step with XLA (off: Keras decides)"))
            yield Static(_("Callbacks"), classes="section")
            for name, params in catalog.CALLBACKS.items():
                enabled = name in self.callbacks
                values = self.callbacks.get(name, {})
                with Vertical(classes="callback", id=f"callback-{name}"):
                    with Horizontal(classes="callback-head"):
                        yield Toggle(name, enabled, id=f"enable-{name}")
                        yield Static(_(CALLBACK_HELP.get(name, "")), classes="callback-help",
                                     markup=False)
                    with Vertical(classes="callback-params", disabled=not enabled):
                        for param in params:
                            yield ParamField(param, values.get(param.name, UNSET),
                                             classes=f"callback-param cb-{name}")
        yield ExplainPanel(id="fit-explain")

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        panels = self.query(ExplainPanel)
        if panels:
            panels.first().show_topic(topic_of(event.widget))

    def action_toggle_explain(self) -> None:
        ExplainPanel.toggle_all(self.app)

    @staticmethod
    def preset_key(field: ParamField) -> str:
        """The preset key a field edits, as compatibility problems name it."""
        callback = next((c.removeprefix("cb-") for c in field.classes if c.startswith("cb-")), None)
        if callback:
            return f"callbacks.{callback}.{field.param.name}"
        return f"fit.{field.param.name}"

    def show_problems(self, problems: list[Problem]) -> set[str]:
        """Show each compatibility problem at its field; returns the keys shown."""
        by_key = {p.key: p.message for p in problems}
        shown = set()
        for field in self.query(ParamField):
            key = self.preset_key(field)
            field.set_problem(by_key.get(key))
            if key in by_key and field.display and not field.has_class("-hidden"):
                shown.add(key)
        return shown

    def show_preset(self, preset: Preset) -> None:
        """Another preset was opened: rebuild the fields from it."""
        self.refresh(recompose=True)

    def suggested_first(self) -> int:
        """What "first N" starts at: a fifth of the loaded training samples, else 1000."""
        if self.training_samples:
            return max(1, round(self.training_samples * FIRST_N_SHARE))
        return FIRST_N_UNLOADED

    def _first_help(self) -> str:
        if self.training_samples is None:
            return _(FIRST_HELP)
        return _("number of training samples held out, of {count} training samples loaded").format(
            count=f"{self.training_samples:,}")

    def set_training_samples(self, count: int | None) -> None:
        """The data was loaded: show its training-sample count beside "first N"."""
        self.training_samples = count
        first = self.query_one("#validation-first", ParamField)
        first.set_help(self._first_help())
        if not self._first_chosen:  # still the suggestion, never shown nor typed: update it
            first.set_value(self.suggested_first())

    def _show_mode(self, mode: str) -> None:
        self.query_one("#validation-split").set_class(mode != "split", "-hidden")
        self.query_one("#validation-first").set_class(mode != "first", "-hidden")
        if mode == "first" and not self._first_chosen:
            self._first_chosen = True
            self.query_one("#validation-first", ParamField).set_value(self.suggested_first())

    def on_param_field_changed(self, event: ParamField.Changed) -> None:
        event.stop()
        field = event.field
        if field.has_class("callback-param"):
            name = next(c.removeprefix("cb-") for c in field.classes if c.startswith("cb-"))
            if name in self.callbacks:
                self.callbacks[name] = self._callback_values(name)
                self._post(f"{name} {field.param.name}")
            return
        fit = self.fit.model_copy()
        if field.id == "validation":
            self._show_mode(event.value)
        if field.id in ("validation", "validation-split", "validation-first"):
            mode = self.query_one("#validation", ParamField).value
            split = self.query_one("#validation-split", ParamField)
            first = self.query_one("#validation-first", ParamField)
            # A field's value is the last one it accepted: a refused entry changes nothing.
            fit.validation_split = split.value if mode == "split" else None
            fit.validation_first = first.value if mode == "first" else None
            fit.validation_data = "test" if mode == "test" else None
        elif field.id == "seed":
            fit.seed = None if event.value is UNSET else event.value
        elif field.id in ("epochs", "batch_size", "shuffle", "strategy", "mixed_precision",
                          "jit_compile"):
            setattr(fit, field.id, event.value)
        elif field.id == "devices":
            fit.devices = [] if event.value is UNSET else list(event.value)
        if fit != self.fit:
            self.fit = fit
            self._post(field.id or "fit")

    def _callback_values(self, name: str) -> dict[str, Any]:
        box = self.query_one(f"#callback-{name} .callback-params", Vertical)
        return {f.param.name: f.value for f in box.query(ParamField) if f.value is not UNSET}

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        checkbox_id = event.checkbox.id or ""
        if not checkbox_id.startswith("enable-"):
            return
        event.stop()
        name = checkbox_id.removeprefix("enable-")
        box = self.query_one(f"#callback-{name} .callback-params", Vertical)
        box.disabled = not event.value
        if event.value and name not in self.callbacks:
            self.callbacks[name] = self._callback_values(name)
            self._post(_("enable {callback}").format(callback=name))
        elif not event.value and name in self.callbacks:
            del self.callbacks[name]
            self._post(_("disable {callback}").format(callback=name))

    def _post(self, reason: str) -> None:
        preset: Preset = self.app.preset  # type: ignore[attr-defined]
        self.post_message(PresetChanged(
            preset.copy_with(fit=self.fit.model_copy(), callbacks={
                k: dict(v) for k, v in self.callbacks.items()}), reason))
