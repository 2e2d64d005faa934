"""A preset's sections checked before pydantic sees them, and pydantic's own errors in our words.

Pydantic checks the shape of [data] and [fit] (core/preset.py); what it can't phrase well is checked
here, one section at a time: [[model.layers]] (Keras class names, parameters, the names layers are
referenced by), [compile] (loss, optimizer, metrics) and [callbacks.*]. Numbers are held to the
catalog's limits (``catalog.LIMITS``), the same the form applies. The first problem is raised as a
``PresetError`` naming the file, the key path and what is allowed, in the interface's language
(each message one sentence in the catalogue; keys, names and values in placeholders).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from nnbench.core import catalog, names
from nnbench.core.errors import PresetError, did_you_mean, one_of
from nnbench.core.i18n import N_, _


def check_sections(raw: dict[str, Any], file: str | None) -> None:
    """Raise a ``PresetError`` for the first problem in the model, compile and callbacks sections."""
    for section in (_ModelCheck, _CompileCheck, _CallbacksCheck):
        section(raw, file).check()


class _Section:
    def __init__(self, raw: dict[str, Any], file: str | None) -> None:
        self.raw = raw
        self.file = file

    def fail(self, key: str, message: str) -> NoReturn:
        raise PresetError(message, key=key, file=self.file)


def check_value(param: catalog.Param, value: Any) -> str | None:
    """Why ``value`` can't be an optimizer or callback parameter, or None (the layers' rule is
    ``catalog.check_layer_value``)."""
    if param.kind == "int" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        return _("must be a whole number >= 0, not {value}").format(value=repr(value))
    if param.kind == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return _("must be a number, not {value}").format(value=repr(value))
    if isinstance(value, float) and not math.isfinite(value):
        return _("must be a finite number, not {value}").format(value=repr(value))
    if param.kind == "bool" and not isinstance(value, bool):
        return _("must be true or false, not {value}").format(value=repr(value))
    if param.kind == "choice" and value not in param.choices:
        return _("'{value}' is not allowed; use {choices}").format(value=value,
                                                                 choices=one_of(param.choices))
    if param.kind == "str" and not isinstance(value, str):
        return _("must be a string, not {value}").format(value=repr(value))
    return catalog.out_of_limits(param.name, value)


_UNKNOWN = {
    "layer type": N_("unknown layer type '{name}'; use {choices}."),
    "activation": N_("unknown activation '{name}'; use {choices}."),
    "loss": N_("unknown loss '{name}'; use {choices}."),
    "optimizer": N_("unknown optimizer '{name}'; use {choices}."),
    "metric": N_("unknown metric '{name}'; use {choices}."),
    "callback": N_("unknown callback '{name}'; use {choices}."),
}
"""A name the catalog doesn't know, one sentence for each kind of name (a translator sees each)."""


def _unknown(what: str, name: object, choices: Iterable[str]) -> str:
    choices = list(choices)
    return (_(_UNKNOWN[what]).format(name=name, choices=one_of(choices))
            + did_you_mean(str(name), choices))


def _no_parameter(owner: str, key: str, allowed: Mapping[str, Any]) -> str:
    return (_("{owner} has no parameter '{key}'; use {choices}.").format(
        owner=owner, key=key, choices=one_of(allowed)) + did_you_mean(key, allowed))


def _needs(kind: str, spec: catalog.Param) -> str:
    """A required layer parameter is missing: its kind, its help if it has one, what to add."""
    if spec.help:
        return _("{layer} needs '{param}' ({kind}: {help}); add {param} = ... to this layer").format(
            layer=kind, param=spec.name, kind=spec.kind, help=_(spec.help))
    return _("{layer} needs '{param}' ({kind}); add {param} = ... to this layer").format(
        layer=kind, param=spec.name, kind=spec.kind)


# --- [[model.layers]] -----------------------------------------------------------------------------


class _ModelCheck(_Section):
    def check(self) -> None:
        model = self.raw.get("model")
        layers = model.get("layers") if isinstance(model, dict) else None
        if not isinstance(layers, list) or not layers:
            self.fail("model.layers", _("the model has no layers; add at least one [[model.layers]] "
                                        "table with a type, e.g. type = \"Dense\""))
        for i, layer in enumerate(layers):
            self.layer_type(i, layer)
        self.names_unique(layers)
        # Every name the stack shows (automatic ones too) can be referenced by a later layer.
        shown = names.layer_names((layer["type"], layer.get("name") or None) for layer in layers)
        for i, layer in enumerate(layers):
            self.layer_params(i, layer)
            self.layer_inputs(i, layer, shown[:i])
        self.layers_used(layers, shown)

    def layer_type(self, i: int, layer: Any) -> None:
        key = f"model.layers[{i}]"
        if not isinstance(layer, dict):
            self.fail(key, "each layer must be a table like { type = \"Dense\", units = 10 }")
        kind = layer.get("type")
        if kind is None:
            self.fail(f"{key}.type", _("missing layer type; add type = \"Dense\" or {choices}").format(
                choices=one_of(catalog.LAYERS)))
        if not isinstance(kind, str):
            self.fail(f"{key}.type", _("the layer type is a Keras class name in quotes, not {kind}; "
                                       "use {choices}").format(kind=repr(kind),
                                                               choices=one_of(catalog.LAYERS)))
        if kind not in catalog.LAYERS:
            self.fail(f"{key}.type", _unknown("layer type", kind, catalog.LAYERS))
        if kind == "Input" and i > 0:
            self.fail(f"{key}.type", _("Input can only be the first layer; remove this one, or move "
                                       "it to the top of the stack"))
        name = layer.get("name")
        if name is not None and not isinstance(name, str):
            self.fail(f"{key}.name", _("a layer name is text in quotes, not {name}").format(
                name=repr(name)))

    def layer_params(self, i: int, layer: dict[str, Any]) -> None:
        key, kind = f"model.layers[{i}]", layer["type"]
        for akey in ("activation", "recurrent_activation"):
            act = layer.get(akey)
            if act is not None and act not in catalog.ACTIVATIONS:
                self.fail(f"{key}.{akey}", _unknown("activation", act, catalog.ACTIVATIONS))
        for spec in catalog.LAYERS[kind].params:
            if spec.name not in layer:
                if spec.required and kind != "Activation":
                    self.fail(f"{key}.{spec.name}", _needs(kind, spec))
                continue
            problem = catalog.check_layer_value(spec, layer[spec.name])
            if problem:
                self.fail(f"{key}.{spec.name}", _("{layer} {param} {problem}").format(
                    layer=kind, param=spec.name, problem=problem))
        # Limits hold for every keyword the layer is given, listed in the form or not.
        for name, value in layer.items():
            problem = catalog.out_of_limits(name, value)
            if problem:
                self.fail(f"{key}.{name}", _("{layer} {param} {problem}").format(
                    layer=kind, param=name, problem=problem))

    def layer_inputs(self, i: int, layer: dict[str, Any], earlier: list[str]) -> None:
        inputs = layer.get("inputs")
        if inputs is None:
            return
        key = f"model.layers[{i}].inputs"
        if not isinstance(inputs, list) or not all(isinstance(n, str) for n in inputs):
            self.fail(key, _("inputs must be a list of earlier layer names, e.g. [\"a\", \"b\"]"))
        for n in inputs:
            if n not in earlier:
                text = (_("no earlier layer is named '{name}'; name a layer above this one "
                          "({names}).").format(name=n, names=", ".join(earlier)) if earlier else
                        _("no earlier layer is named '{name}'; name a layer above this one.").format(
                            name=n))
                self.fail(key, text + did_you_mean(n, earlier))

    def names_unique(self, layers: list[dict[str, Any]]) -> None:
        own = [layer.get("name") or None for layer in layers]
        for i, name in enumerate(own):
            if name and name in own[:i]:
                self.fail(f"model.layers[{i}].name",
                          _("the name '{name}' is used twice; layer names must be unique").format(
                              name=name))

    def layers_used(self, layers: list[dict[str, Any]], shown: list[str]) -> None:
        for i in names.unused_layers([layer.get("inputs") for layer in layers], shown):
            self.fail(f"model.layers[{i}]", names.unused_message(i, layers[i]["type"], shown[i]))


# --- [compile] ------------------------------------------------------------------------------------


class _CompileCheck(_Section):
    def check(self) -> None:
        comp = self.raw.get("compile", {})
        if not isinstance(comp, dict):
            self.fail("compile", _("compile must be a table with loss, optimizer and metrics"))
        self.loss(comp.get("loss"))
        self.optimizer(comp.get("optimizer"))
        self.metrics(comp.get("metrics", []))

    def loss(self, loss: Any) -> None:
        if loss is not None and (not isinstance(loss, str) or
                                 catalog.LOSS_ALIASES.get(loss, loss) not in catalog.LOSSES):
            self.fail("compile.loss", _unknown("loss", loss, catalog.LOSSES))

    def optimizer(self, opt: Any) -> None:
        if opt is None:
            return
        opt_name = opt.get("type") if isinstance(opt, dict) else opt
        if isinstance(opt, dict) and opt_name is None:
            self.fail("compile.optimizer.type", _("the optimizer table needs a type, e.g. type = "
                                                  "\"adam\"; use {choices}").format(
                choices=one_of(catalog.OPTIMIZERS)))
        if not isinstance(opt_name, str) or opt_name.lower() not in catalog.OPTIMIZERS:
            self.fail("compile.optimizer" + (".type" if isinstance(opt, dict) else ""),
                      _unknown("optimizer", opt_name, catalog.OPTIMIZERS))
        if isinstance(opt, dict):
            self.optimizer_params(opt_name, opt)

    def optimizer_params(self, opt_name: str, opt: dict[str, Any]) -> None:
        allowed = catalog.optimizer_params(opt_name.lower())
        for k, v in opt.items():
            if k == "type":
                continue
            if k not in allowed:
                self.fail(f"compile.optimizer.{k}", _no_parameter(opt_name, k, allowed))
            problem = check_value(allowed[k], v)
            if problem:
                self.fail(f"compile.optimizer.{k}", problem)

    def metrics(self, metrics: Any) -> None:
        if not isinstance(metrics, (str, list)):
            self.fail("compile.metrics", _("metrics must be a list of names like [\"accuracy\"], "
                                           "not {value}").format(value=repr(metrics)))
        listed = [metrics] if isinstance(metrics, str) else metrics
        for i, m in enumerate(listed):
            if not isinstance(m, str) or m.lower() not in catalog.METRICS:
                self.fail(f"compile.metrics[{i}]", _unknown("metric", m, catalog.METRICS))
            if m.lower() in (str(n).lower() for n in listed[:i]):
                self.fail(f"compile.metrics[{i}]", _("{metric} is listed twice; remove one").format(
                    metric=m))


# --- [callbacks.*] --------------------------------------------------------------------------------


class _CallbacksCheck(_Section):
    def check(self) -> None:
        callbacks = self.raw.get("callbacks", {})
        if not isinstance(callbacks, dict):
            self.fail("callbacks", _("callbacks must be tables like [callbacks.EarlyStopping]"))
        for cb_name, cb in callbacks.items():
            self.callback(cb_name, cb)

    def callback(self, cb_name: str, cb: Any) -> None:
        if cb_name not in catalog.CALLBACKS:
            self.fail(f"callbacks.{cb_name}", _unknown("callback", cb_name, catalog.CALLBACKS))
        if not isinstance(cb, dict):
            self.fail(f"callbacks.{cb_name}", _("a callback must be a table of its keyword "
                                                "arguments"))
        allowed = {p.name: p for p in catalog.CALLBACKS[cb_name]}
        for k, v in cb.items():
            if k not in allowed:
                self.fail(f"callbacks.{cb_name}.{k}", _no_parameter(cb_name, k, allowed))
            problem = check_value(allowed[k], v)
            if problem:
                self.fail(f"callbacks.{cb_name}.{k}", problem)


# --- pydantic's errors ([data], [fit], the keys of every table) -----------------------------------


def validation_error(exc: ValidationError, raw: dict[str, Any], file: str | None,
                     keys: Mapping[tuple[str, ...], Iterable[str]]) -> PresetError:
    """Pydantic's first error as a ``PresetError``; ``keys`` are each table's allowed keys."""
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    message = _pydantic_message(err)
    if err["type"] == "extra_forbidden":
        message += _suggest_key(loc, keys)
    return PresetError(message, key=_key_path(loc, raw), file=file)


def _key_path(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    parts: list[str] = []
    node: Any = raw
    for item in loc:
        if isinstance(item, int):
            parts[-1] += f"[{item}]"
        elif item in ("params", "str", "dict[str,any]") or item.startswith("function-"):
            # pydantic's own steps (validators, dict value types), not keys a person wrote
            continue
        else:
            parts.append(str(item))
        node = node[item] if isinstance(node, (dict, list)) and _has(node, item) else None
    return ".".join(parts)


def _has(node: Any, item: Any) -> bool:
    if isinstance(node, dict):
        return item in node
    return isinstance(item, int) and 0 <= item < len(node)


def _pydantic_message(err: ErrorDetails) -> str:
    msg = err["msg"]
    loc = err["loc"]
    if err["type"] == "extra_forbidden":
        if len(loc) > 1:
            return _("unknown key '{key}' in [{table}]; remove it or check its spelling.").format(
                key=loc[-1], table=".".join(map(str, loc[:-1])))
        return _("unknown key '{key}'; remove it or check its spelling.").format(key=loc[-1])
    if err["type"] == "missing":
        return _("this key is required")
    if err["type"] in ("model_type", "dict_type"):
        return _("must be a table like [{table}] with keys, not {value}").format(
            table=".".join(map(str, loc)), value=repr(err["input"]))
    msg = msg.removeprefix("Value error, ")
    if err["type"] == "value_error" or isinstance(err.get("input"), dict):
        return msg
    return _("{message} (got {value})").format(message=msg, value=repr(err["input"]))  # pydantic's words


def _suggest_key(loc: tuple[Any, ...], keys: Mapping[tuple[str, ...], Iterable[str]]) -> str:
    fields = keys.get(tuple(loc[:-1]))
    if not fields or not isinstance(loc[-1], str):
        return ""
    fields = list(fields)
    return " " + _("Allowed keys: {keys}.").format(keys=", ".join(fields)) + did_you_mean(loc[-1],
                                                                                       fields)
