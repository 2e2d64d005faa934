"""The Data view: where the samples come from, how they are prepared, and what was loaded.

What it shows as loaded is always the data of the settings on screen: the app keeps the loaded
info in its session and calls ``show_loaded`` whenever the settings change; a load that finishes
after they changed, or that fails, leaves the pane saying plainly that nothing is loaded for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Static

from nnbench.core import catalog
from nnbench.core.catalog import Param
from nnbench.core.compat import Problem
from nnbench.core.data.notes import said
from nnbench.core.errors import NnbenchError
from nnbench.core.events import DataInfo
from nnbench.core.i18n import N_, _
from nnbench.core.preset import KERAS_SETS, SKLEARN_SETS, DataSpec, FitSpec, Preset
from nnbench.core.text import printable
from nnbench.tui.fields import UNSET
from nnbench.tui.keys import translate_bindings
from nnbench.tui.messages import PresetChanged
from nnbench.tui.widgets.data_preview import DataPreviewView
from nnbench.tui.widgets.param_field import ParamField

if TYPE_CHECKING:
    from nnbench.core.preview import DataPreview

# Help texts are msgids (N_), translated where they are shown.
KINDS = {
    "sklearn": N_("bundled with scikit-learn (offline)"),
    "keras": N_("a keras.datasets set (downloaded once, then cached)"),
    "csv": N_("a CSV file: one row per sample, the target in a column"),
    "npz": N_("an NPZ file with x_train, y_train (and x_test, y_test)"),
    "images": N_("a folder of images, one sub-folder per class"),
    "text": N_("a folder of text files, one sub-folder per class"),
}
PATH_KINDS = ("csv", "npz", "images", "text")
# Which options each kind of source uses; the others stay hidden.
OPTIONS = {
    "sklearn": ("scaling", "test_split", "max_samples"),
    "keras": ("scaling", "num_words", "maxlen", "test_split", "max_samples"),
    "csv": ("target", "scaling", "test_split", "max_samples"),
    "npz": ("scaling", "test_split", "max_samples"),
    "images": ("image_size", "color_mode", "scaling", "test_split", "max_samples"),
    "text": ("num_words", "maxlen", "test_split", "max_samples"),
}
OPTION_PARAMS = (
    Param("scaling", "choice", "none", catalog.SCALINGS, help=N_("divide255 for pixels 0..255; "
          "standardize: zero mean, unit variance per feature")),
    Param("target", "str", help=N_("the target column (default: the last)")),
    Param("num_words", "int", help=N_("keep the most frequent words (imdb, reuters, text)")),
    Param("maxlen", "int", help=N_("pad or cut every sequence to this length")),
    Param("image_size", "shape", help=N_("resize to height, width, e.g. 64, 64")),
    Param("color_mode", "choice", None, ("rgb", "grayscale", "rgba")),
    Param("test_split", "float", help=N_("test fraction when the source has no test split")),
    Param("max_samples", "int", help=N_("use only the first N training samples")),
)


def describe(info: DataInfo) -> str:
    """The loaded data in a few lines (class names and notes came from the data set)."""
    lines = [_("{source}: train {train} · validation {validation} · test {test} samples").format(
                 source=info.source, train=f"{info.train_samples:,}",
                 validation=f"{info.val_samples:,}", test=f"{info.test_samples:,}"),
             "  " + _("input shape ({shape})").format(shape=", ".join(
                 "None" if d is None else str(d) for d in info.input_shape))]
    if info.num_classes:
        names = info.class_names or []
        shown = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
        lines.append("  " + _("{count} classes").format(count=info.num_classes)
                     + (f": {shown}" if shown else ""))
    else:
        lines.append("  " + _("regression target (no classes)"))
    lines.extend("  " + _("note: {note}").format(note=said(note)) for note in info.notes)
    return printable("\n".join(lines), newlines=True)


def _preview_of(loaded: Any, data: DataSpec) -> DataPreview | None:
    """The preview of a load (in the loading thread); a preview bug never fails the load."""
    from nnbench.core.preview import build_preview

    try:
        return build_preview(loaded, data)
    except Exception:  # the load itself worked: show its counts without samples
        return None


def _hidden(hidden: bool) -> str:
    return "-hidden" if hidden else ""


class DataPane(VerticalScroll):
    """Edits ``app.preset.data``; Load runs ``load_data`` in a thread and shows what came back."""

    can_focus = False  # not a Tab stop of its own: focus moves between its fields, which scroll it

    BINDINGS = [Binding("l", "load", N_("Load data"), id="data.load",
                        tooltip=N_("Load the data set to see its samples, shape and classes"))]

    DEFAULT_CSS = """
    DataPane { padding: 0 1; }
    DataPane .section { text-style: bold; color: $primary; padding: 1 0 0 0; }
    DataPane ParamField.-hidden { display: none; }
    DataPane #load-row { height: auto; padding: 1 0 0 0; }
    DataPane #load-row Button { margin: 0 2 0 0; }
    DataPane #load-state { color: $text-muted; width: 1fr; }
    DataPane #data-result { height: auto; padding: 0 0 0 0; color: $success; }
    DataPane #data-result.-empty { display: none; }
    DataPane #data-result.-error { color: $error; text-style: bold; }
    """

    class Loaded(Message):
        """Data loaded with ``data`` and ``fit``: the build check can use its input shape and
        classes, if those are still the settings."""

        def __init__(self, data: DataSpec, fit: FitSpec, info: DataInfo,
                     training_samples: int | None = None,
                     preview: DataPreview | None = None) -> None:
            super().__init__()
            self.data = data
            self.fit = fit
            self.info = info
            self.training_samples = training_samples
            """Samples validation can be held out from (training + validation as loaded)."""
            self.preview = preview
            """Its class balance and samples, built in the loading thread (None if it failed)."""

    class LoadFailed(Message):
        def __init__(self, data: DataSpec, title: str, message: str) -> None:
            super().__init__()
            self.data = data
            self.title = title
            self.message = message

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self.data = DataSpec(source="sklearn:digits")
        self.problem: str | None = None
        """Why the fields, each valid, do not make a data source together (shown in red)."""
        self.loaded_info: DataInfo | None = None
        """The loaded data of the settings on screen, as the app's session says."""
        self.split_as_loaded = True
        self._loading: DataSpec | None = None
        self._failed: tuple[DataSpec, str] | None = None
        self._preview: DataPreview | None = None
        """The preview of the last load; shown while its info is the one loaded for the settings."""

    def compose(self) -> ComposeResult:
        # Built with the preset's values (see CompilePane.compose for why).
        preset: Preset = self.app.preset  # type: ignore[attr-defined]
        self.data = data = preset.data.model_copy(deep=True)
        self.problem = None
        kind, rest = data.scheme, data.target_name
        state, result, error = self._state_texts()
        with Horizontal(id="load-row"):
            # Never disabled while loading: disabling the focused button would drop the focus,
            # and with it `l`, Tab's place and every key of this view.
            yield Button(_("Load"), id="load", variant="primary", compact=True)
            yield Static(state, id="load-state", markup=False)
        yield Static(result, id="data-result", markup=False,
                     classes=("-error " if error else "") + ("-empty" if not result else ""))
        yield DataPreviewView(id="data-preview")
        yield Static(_("Source"), classes="section")
        yield ParamField(Param("kind", "choice", choices=tuple(KINDS), required=True), kind,
                         id="kind", choice_help={k: _(text) for k, text in KINDS.items()})
        yield ParamField(Param("set", "choice", choices=SKLEARN_SETS, required=True),
                         rest if kind == "sklearn" else SKLEARN_SETS[0], id="set-sklearn",
                         label=_("data set"), classes=_hidden(kind != "sklearn"))
        yield ParamField(Param("set", "choice", choices=KERAS_SETS, required=True),
                         rest if kind == "keras" else KERAS_SETS[0], id="set-keras",
                         label=_("data set"), classes=_hidden(kind != "keras"))
        yield ParamField(Param("path", "str", required=True),
                         rest if kind in PATH_KINDS else UNSET, id="path", label=_("path"),
                         classes=_hidden(kind not in PATH_KINDS), placeholder="path/to/file.csv",
                         help=_("a file or folder; ~ and relative paths work"))
        yield Static(_("Options"), classes="section")
        for param in OPTION_PARAMS:
            value = getattr(data, param.name)
            if isinstance(value, tuple):
                value = list(value)
            yield ParamField(param, UNSET if value is None else value, id=f"opt-{param.name}",
                             help=_(param.help) if param.help else None,
                             classes=_hidden(param.name not in OPTIONS[kind]))

    def show_preset(self, preset: Preset) -> None:
        """Another preset was opened (or a change undone): rebuild the fields from it."""
        self.refresh(recompose=True)

    def show_loaded(self, info: DataInfo | None, *, split_as_loaded: bool = True,
                    dropped: str | None = None) -> None:
        """Show the data loaded for the current settings (``None``: nothing is loaded for
        them). ``dropped`` names a load that finished after the settings changed."""
        self.loaded_info = info
        self.split_as_loaded = split_as_loaded
        if dropped is not None:
            self.notify(_("{dropped} was loaded, but the data settings changed meanwhile: l loads "
                          "the data of these settings.").format(dropped=dropped),
                        title=_("Load dropped"),
                        severity="warning", timeout=6, markup=False)
        self._show_state()

    def _current(self) -> DataSpec:
        return self.app.preset.data  # type: ignore[attr-defined,no-any-return]

    def _state_texts(self) -> tuple[str, str, bool]:
        """(load state, result, result is an error) for the settings now."""
        current = self._current()
        if self.problem:
            return ("", "✗ " + self.problem, True)
        if self._loading is not None:
            return (_("loading {source} …").format(source=printable(self._loading.source)), "",
                    False)
        if self._failed is not None and self._failed[0] == current:
            return ("✗ " + _("failed"), printable(self._failed[1], newlines=True), True)
        info = self.loaded_info
        if info is None:
            return (_("not loaded for these settings: l loads {source} to see its samples, shape "
                      "and classes").format(source=printable(current.source)), "", False)
        text = describe(info)
        if not self.split_as_loaded:
            text += "\n  " + _("the validation settings in Fit changed since: l loads again to "
                               "update these counts")
        return ("✓ " + _("loaded for these settings"), text, False)

    def _show_state(self) -> None:
        if not self.is_mounted or not self.query("#load-state"):
            return  # composing: compose shows the state
        state, result, error = self._state_texts()
        self.query_one("#load-state", Static).update(state)
        self.show_result(result, error=error)
        preview = self._preview
        shown = preview if preview is not None and preview.info is self.loaded_info else None
        self.query_one("#data-preview", DataPreviewView).show(shown)

    def show_problems(self, problems: list[Problem]) -> set[str]:
        """Show each compatibility problem at its field; returns the keys shown."""
        by_key = {p.key: printable(p.message) for p in problems}
        shown = set()
        for field in self.query(ParamField):
            key = ("data.source" if field.id in ("set-sklearn", "set-keras", "path")
                   else f"data.{field.param.name}" if (field.id or "").startswith("opt-") else None)
            if key is None:
                continue
            field.set_problem(by_key.get(key))
            if key in by_key and not field.has_class("-hidden"):
                shown.add(key)
        return shown

    def _show_kind(self, kind: str) -> None:
        self.query_one("#set-sklearn").set_class(kind != "sklearn", "-hidden")
        self.query_one("#set-keras").set_class(kind != "keras", "-hidden")
        self.query_one("#path").set_class(kind not in PATH_KINDS, "-hidden")
        for param in OPTION_PARAMS:
            self.query_one(f"#opt-{param.name}").set_class(param.name not in OPTIONS[kind],
                                                           "-hidden")

    def _source(self, kind: str) -> str | None:
        if kind in ("sklearn", "keras"):
            return f"{kind}:{self.query_one(f'#set-{kind}', ParamField).value}"
        path = self.query_one("#path", ParamField)
        if path.value is UNSET or not path.valid:
            return None
        return f"{kind}:{path.value}"

    def on_param_field_changed(self, event: ParamField.Changed) -> None:
        event.stop()
        kind = self.query_one("#kind", ParamField).value
        if event.field.id == "kind":
            self._show_kind(kind)
        source = self._source(kind)
        if source is None:
            return  # a file source without its path yet: keep the old source until one is typed
        values: dict[str, Any] = {"source": source}
        for name in OPTIONS[kind]:
            value = self.query_one(f"#opt-{name}", ParamField).value
            if value is not UNSET:
                values[name] = value
        try:
            data = DataSpec.model_validate(values)
        except ValidationError as exc:
            self.problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
            self._show_state()
            return
        if self.problem:
            self.problem = None
            self._show_state()
        if data != self.data:
            self.data = data
            preset: Preset = self.app.preset  # type: ignore[attr-defined]
            self.post_message(PresetChanged(preset.copy_with(data=data.model_copy(deep=True)),
                                            f"data {event.field.param.name}"))

    def show_result(self, text: str, *, error: bool) -> None:
        result = self.query_one("#data-result", Static)
        result.update(text)
        result.set_class(error, "-error")
        result.set_class(not text, "-empty")

    # --- loading -----------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "load":
            event.stop()
            self.load()

    def action_load(self) -> None:
        self.load()

    def load(self) -> None:
        preset: Preset = self.app.preset  # type: ignore[attr-defined]
        if self._loading == preset.data:
            return  # these settings are being loaded already
        self._loading = preset.data.model_copy(deep=True)
        self._failed = None
        self._show_state()
        self._load(preset.data.model_copy(deep=True), preset.fit.model_copy())

    @work(thread=True, exclusive=True, exit_on_error=False, group="data",
          description=N_("Loading data"))
    def _load(self, data: DataSpec, fit: FitSpec) -> None:
        try:
            from nnbench.core.data import load_data

            loaded = load_data(data, fit)
            info = loaded.info
            preview = _preview_of(loaded, data)
        except NnbenchError as exc:
            self.post_message(self.LoadFailed(data, exc.title, exc.message))
        except ImportError as exc:
            self.post_message(self.LoadFailed(data, _("Data loading unavailable"), str(exc)))
        except Exception as exc:  # a bug in a loader must not take the app down
            self.post_message(self.LoadFailed(data, _("Data could not be loaded"),
                                              f"{type(exc).__name__}: {exc}"))
        else:
            held_out_of_training = fit.validation_data is None
            self.post_message(self.Loaded(data, fit, info, info.train_samples + (
                info.val_samples if held_out_of_training else 0), preview))

    # Both bubble on to the app, which keeps (or drops) the result and calls ``show_loaded``.

    def on_data_pane_loaded(self, event: DataPane.Loaded) -> None:
        self._loading = None
        self._failed = None
        self._preview = event.preview

    def on_data_pane_load_failed(self, event: DataPane.LoadFailed) -> None:
        self._loading = None
        self._failed = (event.data, f"✗ {_(event.title)}: {event.message}")
        self.notify(printable(event.message, newlines=True), title=printable(_(event.title)),
                    severity="error", timeout=8, markup=False)
