"""The form of one layer: its name, the common parameters from the catalog (choices as selects,
booleans as checkboxes, numbers validated while typing), and the rest of the Keras signature as
``key = value`` pairs."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical

from nnbench.core import catalog
from nnbench.core.catalog import Param
from nnbench.core.i18n import _
from nnbench.core.preset import LayerSpec
from nnbench.tui.fields import UNSET, format_kwargs, parse_kwargs
from nnbench.tui.widgets.param_field import ParamField

# Keys a LayerSpec holds beside its params: they have their own fields.
_OWN_FIELDS = ("type", "name", "inputs")


class LayerForm(Vertical):
    """Edits a copy of a ``LayerSpec``; ``result()`` gives the edited spec or says what is wrong."""

    DEFAULT_CSS = """
    LayerForm { height: auto; }
    """

    def __init__(self, layer: LayerSpec, *, other_names: set[str] | None = None,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.layer_spec = layer
        self.kind = catalog.LAYERS[layer.type]
        self.other_names = other_names or set()

    def compose(self) -> ComposeResult:
        params = self.layer_spec.params
        yield ParamField(Param("name", "str"), self.layer_spec.name or UNSET, id="field-name",
                         help=_("optional; if empty, Keras names it (dense, dense_1 …)"),
                         placeholder=_("automatic"), parse=self._parse_name)
        for param in self.kind.params:
            value = params.get(param.name, UNSET)
            if value is UNSET and param.required and param.default is not None:
                value = param.default  # a new layer starts from a working value
            yield ParamField(param, value, id=f"field-{param.name}")
        if self.kind.merges or self.layer_spec.inputs:
            yield ParamField(Param("inputs", "str", required=self.kind.merges),
                             ", ".join(self.layer_spec.inputs or []) or UNSET, id="field-inputs",
                             help=_("names of earlier layers, separated by commas"),
                             placeholder=_("the layer above"), parse=self._parse_inputs)
        common = {p.name for p in self.kind.params}
        others = {k: v for k, v in params.items() if k not in common}
        yield ParamField(Param("other", "str"), format_kwargs(others) or UNSET, id="field-other",
                         label=_("other arguments"),
                         help=_("more keyword arguments of the Keras layer, e.g. "
                                "kernel_initializer = \"he_normal\""),
                         placeholder=_("key = value, …"), parse=self._parse_other)

    def _parse_name(self, text: str) -> Any:
        text = text.strip()
        if not text:
            return UNSET
        if "/" in text or " " in text:
            raise ValueError(_("a layer name cannot contain '/' or spaces"))
        if text in self.other_names:
            raise ValueError(_("another layer is already named '{name}'; names must be "
                               "unique").format(name=text))
        return text

    def _parse_inputs(self, text: str) -> Any:
        names = [n for n in text.replace(",", " ").split() if n]
        if not names:
            if self.kind.merges:
                raise ValueError(self._merges_text())
            return UNSET
        if self.kind.merges and len(names) < 2:
            raise ValueError(self._merges_text())
        return names

    def _merges_text(self) -> str:
        return _("{type} merges layers: name two or more earlier layers").format(
            type=self.kind.name)

    def _parse_other(self, text: str) -> Any:
        values = parse_kwargs(text)
        common = {p.name for p in self.kind.params}
        for key in values:
            if key in common:
                raise ValueError(_("'{key}' has its own field above; set it there").format(key=key))
            if key in _OWN_FIELDS:
                raise ValueError(_("'{key}' has its own field; set it there").format(key=key))
        return values or UNSET

    def first_invalid(self) -> ParamField | None:
        fields = list(self.query(ParamField))
        bad = [field for field in fields if not field.check()]  # check every one: show all
        return bad[0] if bad else None

    def result(self) -> LayerSpec:
        """The edited layer. Raises ValueError naming the first field that still holds a bad value."""
        bad = self.first_invalid()
        if bad is not None:
            raise ValueError(f"{bad.param.name}: {bad.reason}")
        params: dict[str, Any] = {}
        name: str | None = None
        inputs: list[str] | None = None
        for field in self.query(ParamField):
            key, value = field.param.name, field.value
            if value is UNSET:
                continue
            if field.id == "field-name":
                name = value
            elif field.id == "field-inputs":
                inputs = value
            elif field.id == "field-other":
                params.update(value)
            else:
                params[key] = value
        return LayerSpec(type=self.layer_spec.type, name=name, inputs=inputs, params=params)
