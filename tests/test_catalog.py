"""The catalog is the one home of what nnbench offers (issue 11.2): optimizer, callback and layer
defaults are Keras's own, read from the constructors' signatures; a number's limits are decided
once, and the preset checker and the form both apply them."""

from __future__ import annotations

import inspect
import json
import math
import subprocess
import sys
from typing import Any

import pytest

from nnbench.core import catalog
from nnbench.core.catalog import FRACTION, FRACTION_BELOW_ONE, OPEN_FRACTION, POSITIVE, Limits
from nnbench.core.errors import PresetError
from nnbench.core.keras_signature import keras_defaults, signature_defaults, source_defaults
from nnbench.core.preset import preset_from_dict
from nnbench.tui.fields import parser_for

SHOWN = [(owner, param) for owner, params in (*catalog.OPTIMIZERS.items(), *catalog.CALLBACKS.items())
         for param in params]
NNBENCH_OWN = {("ModelCheckpoint", "save_best_only")}
"""Where nnbench passes its own value, not Keras's (the Trainer keeps the best epoch's model)."""
LAYER_PARAMS = [(kind.name, param) for kind in catalog.LAYERS.values() for param in kind.params]
OPTIONAL_LAYER_PARAMS = [(kind, param) for kind, param in LAYER_PARAMS if not param.required]
"""What a layer form shows with Keras's default beside it."""
KERAS_CLASSES = sorted({param.keras for _, param in SHOWN + OPTIONAL_LAYER_PARAMS}
                       | {f"optimizers.{cls}" for cls in catalog.OPTIMIZER_CLASSES.values()})


@pytest.fixture(scope="module")
def keras() -> Any:
    from nnbench.core.keras_env import import_keras

    return import_keras()


def _keras_class(keras: Any, path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(getattr(keras, module), name)


# --- defaults from Keras's signatures -------------------------------------------------------------


@pytest.mark.parametrize(("owner", "param"), [s for s in SHOWN if (s[0], s[1].name) not in NNBENCH_OWN],
                         ids=[f"{o}.{p.name}" for o, p in SHOWN if (o, p.name) not in NNBENCH_OWN])
def test_each_optimizer_and_callback_default_is_the_keras_signature_default(
        keras: Any, owner: str, param: catalog.Param) -> None:
    assert param.keras, f"{owner} {param.name} names no Keras class to read its default from"
    assert param.own_default is None, f"{owner} {param.name}'s default is copied by hand"
    signature = inspect.signature(_keras_class(keras, param.keras)).parameters
    assert param.name in signature, f"keras.{param.keras} takes no '{param.name}'"
    assert param.default == signature[param.name].default
    assert type(param.default) is type(signature[param.name].default)


def test_model_checkpoint_keeps_the_best_epoch_where_keras_keeps_the_last(keras: Any) -> None:
    save_best = next(p for p in catalog.CALLBACKS["ModelCheckpoint"] if p.name == "save_best_only")
    keras_default = inspect.signature(keras.callbacks.ModelCheckpoint).parameters["save_best_only"]
    assert (save_best.default, keras_default.default) == (True, False)


@pytest.mark.parametrize("path", KERAS_CLASSES)
def test_the_signature_read_from_keras_source_is_the_one_inspect_reads(keras: Any, path: str) -> None:
    from_source = source_defaults(path)
    assert from_source is not None, (
        f"keras.{path} is no longer where core/keras_signature.py reads it: the form would wait for "
        "TensorFlow to show its defaults; update source_defaults for this Keras version")
    assert from_source == signature_defaults(_keras_class(keras, path))


def _keras_default(keras: Any, owner: str, param: catalog.Param) -> Any:
    if (owner, param.name) in NNBENCH_OWN:
        return param.own_default
    default = inspect.signature(_keras_class(keras, param.keras)).parameters[param.name].default
    if param.name in catalog.TUPLE_OR_INT and isinstance(default, tuple) and len(set(default)) == 1:
        return default[0]  # strides=(1, 1) is the 1 Keras also takes, as a 1D layer's
    return default


@pytest.mark.parametrize(("layer", "param"), OPTIONAL_LAYER_PARAMS,
                         ids=[f"{k}.{p.name}" for k, p in OPTIONAL_LAYER_PARAMS])
def test_each_optional_layer_parameter_shows_the_keras_signature_default(
        keras: Any, layer: str, param: catalog.Param) -> None:
    assert param.keras == f"layers.{layer}"
    assert param.own_default is None, f"{layer} {param.name}'s default is copied by hand"
    signature = inspect.signature(_keras_class(keras, param.keras)).parameters
    assert param.name in signature, f"keras.layers.{layer} takes no '{param.name}'"
    assert signature[param.name].default is not inspect.Parameter.empty, (
        f"keras.layers.{layer} needs {param.name}: the catalog must mark it required")
    assert param.default == _keras_default(keras, layer, param)
    assert type(param.default) is type(_keras_default(keras, layer, param))


def test_conv2d_strides_show_as_the_one_number_keras_also_takes(keras: Any) -> None:
    strides = next(p for p in catalog.LAYERS["Conv2D"].params if p.name == "strides")
    assert inspect.signature(keras.layers.Conv2D).parameters["strides"].default == (1, 1)
    assert strides.default == 1


@pytest.mark.parametrize("layer", [k for k in catalog.LAYERS if k != "Input"])
def test_every_layer_argument_keras_needs_is_required_by_the_catalog(keras: Any, layer: str) -> None:
    needed = {name for name, p in inspect.signature(getattr(keras.layers, layer)).parameters.items()
              if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    required = {p.name for p in catalog.LAYERS[layer].params if p.required}
    assert needed <= required, f"{layer}: Keras needs {sorted(needed - required)}"


def test_an_average_pooling_without_pool_size_is_refused_before_keras_sees_it() -> None:
    # Keras's AveragePooling2D has no default pool_size (MaxPooling2D has 2): without this the
    # preset loaded and then failed to build with Keras's own TypeError.
    layers = [{"type": "Input", "shape": [8, 8, 1]}, {"type": "AveragePooling2D"},
              {"type": "Flatten"}, {"type": "Dense", "units": 3, "activation": "softmax"}]
    with pytest.raises(PresetError) as refused:
        preset_from_dict({"data": {"source": "sklearn:digits"}, "model": {"layers": layers}},
                         file="pool.toml")
    assert refused.value.key == "model.layers[1].pool_size"
    assert "AveragePooling2D needs 'pool_size'" in refused.value.reason
    assert next(p for p in catalog.LAYERS["AveragePooling2D"].params).default == 2  # a new one's


@pytest.mark.parametrize("name", sorted(catalog.OPTIMIZERS))
def test_every_optimizer_keyword_a_preset_may_give_has_the_keras_default(keras: Any, name: str) -> None:
    taken = inspect.signature(getattr(keras.optimizers, catalog.OPTIMIZER_CLASSES[name])).parameters
    params = catalog.optimizer_params(name)
    assert {k: p.default for k, p in params.items()} == {k: taken[k].default for k in params}
    if name == "adam":
        assert params["epsilon"].default == 1e-7  # Adam's own, not a generic one


def test_the_form_shows_keras_defaults_without_loading_tensorflow(keras: Any) -> None:
    # A fresh interpreter, as the app starts: the panes compose before TensorFlow has loaded.
    code = ("import json, sys; from nnbench.core import catalog; "
            "shown = {f'{o}.{p.name}': p.default for o, ps in "
            "(*catalog.OPTIMIZERS.items(), *catalog.CALLBACKS.items()) for p in ps}; "
            "shown |= {f'{k.name}.{p.name}': p.default for k in catalog.LAYERS.values() "
            "for p in k.params if not p.required}; "
            "print(json.dumps({'loaded': [m for m in ('keras', 'tensorflow') if m in sys.modules], "
            "'shown': shown}))")
    out = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    check=True, timeout=120).stdout)
    assert out["loaded"] == []
    expected = {f"{o}.{p.name}": _keras_default(keras, o, p) for o, p in SHOWN + OPTIONAL_LAYER_PARAMS}
    assert out["shown"] == expected


def test_reading_a_default_never_waits_for_keras_to_import(monkeypatch: pytest.MonkeyPatch) -> None:
    # "keras" is in sys.modules from the moment the app's loader thread starts importing it: a
    # default read then (a pane composing) must not wait on that import, on the UI thread.
    def no_import() -> None:
        raise AssertionError("reading a default imported Keras")

    monkeypatch.setattr("nnbench.core.keras_signature.import_keras", no_import)
    monkeypatch.setitem(sys.modules, "keras", sys.modules.get("keras", object()))
    keras_defaults.cache_clear()
    try:
        assert {p.name: p.default for p in catalog.OPTIMIZERS["sgd"]}["learning_rate"] == 0.01
        for _, param in SHOWN + OPTIONAL_LAYER_PARAMS:
            param.default  # noqa: B018 - the read is what is tested
    finally:
        keras_defaults.cache_clear()


@pytest.mark.parametrize("name", sorted(catalog.OPTIMIZERS))
def test_every_keyword_a_preset_may_give_an_optimizer_is_one_keras_takes(keras: Any, name: str) -> None:
    taken = inspect.signature(getattr(keras.optimizers, catalog.OPTIMIZER_CLASSES[name])).parameters
    assert set(catalog.optimizer_params(name)) <= set(taken)


@pytest.mark.parametrize("name", sorted(catalog.CALLBACKS))
def test_every_callback_keyword_the_form_shows_is_one_keras_takes(keras: Any, name: str) -> None:
    taken = inspect.signature(getattr(keras.callbacks, name)).parameters
    assert {p.name for p in catalog.CALLBACKS[name]} <= set(taken)


# --- limits -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("limits", "name", "value", "problem", "allowed"), [
    (FRACTION, "momentum", 1.5, "must be at most 1, not 1.5", "0 <= momentum <= 1"),
    (FRACTION, "momentum", -0.5, "must be at least 0, not -0.5", "0 <= momentum <= 1"),
    (FRACTION_BELOW_ONE, "rate", 1.0, "must be less than 1, not 1", "0 <= rate < 1"),
    (OPEN_FRACTION, "factor", 0, "must be greater than 0, not 0", "0 < factor < 1"),
    (POSITIVE, "learning_rate", -0.001, "must be greater than 0, not -0.001", "learning_rate > 0"),
    (Limits(1, 100_000), "epochs", 100_001, "must be at most 100000, not 100001",
     "1 <= epochs <= 100000"),
])
def test_limits_say_the_bound_broken_and_the_range(limits: Limits, name: str, value: float,
                                                   problem: str, allowed: str) -> None:
    assert limits.problem(value) == problem
    assert limits.allowed(name) == allowed
    assert catalog.LIMITS[name] == limits
    assert catalog.out_of_limits(name, value) == f"{problem} (allowed: {allowed})"


def test_values_within_limits_and_values_that_are_no_numbers_pass() -> None:
    assert catalog.out_of_limits("momentum", 0) is None
    assert catalog.out_of_limits("momentum", 1) is None
    assert catalog.out_of_limits("rate", 0.999) is None
    # A bool or a string is the type check's to refuse, with its own message.
    assert catalog.out_of_limits("momentum", True) is None
    assert catalog.out_of_limits("momentum", "high") is None
    assert catalog.out_of_limits("not_a_limited_name", -5) is None


def _outside(limits: Limits) -> float:
    """A value just past the first bound, as a person might type it."""
    if limits.low is not None:
        return limits.low if limits.low_open else limits.low - 0.5
    assert limits.high is not None
    return limits.high if limits.high_open else limits.high + 0.5


SMALL_MODEL = [{"type": "Input", "shape": [4]}, {"type": "Dense", "units": 3, "activation": "softmax"}]


def _preset(**sections: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"data": {"source": "sklearn:iris"}, "model": {"layers": SMALL_MODEL}}
    raw.update(sections)
    return raw


def _places() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(parameter, kind, key path, a preset breaking its limit) for every limited parameter a
    preset can give an optimizer, a callback or a layer."""
    places = []
    for opt in catalog.OPTIMIZERS:
        for param in catalog.optimizer_params(opt).values():
            if param.name in catalog.LIMITS:
                bad = _outside(catalog.LIMITS[param.name])
                places.append((param.name, param.kind, f"compile.optimizer.{param.name}",
                               _preset(compile={"optimizer": {"type": opt, param.name: bad}})))
    for cb, params in catalog.CALLBACKS.items():
        for param in params:
            if param.name in catalog.LIMITS:
                bad = _outside(catalog.LIMITS[param.name])
                places.append((param.name, param.kind, f"callbacks.{cb}.{param.name}",
                               _preset(callbacks={cb: {param.name: bad}})))
    for kind in catalog.LAYERS.values():
        for param in kind.params:
            if param.name in catalog.LIMITS and param.kind == "float":
                required = {p.name: 4 if p.default is None else p.default
                            for p in kind.params if p.required}
                layer = {"type": kind.name, **required,
                         param.name: _outside(catalog.LIMITS[param.name])}
                places.append((param.name, param.kind, f"model.layers[1].{param.name}",
                               _preset(model={"layers": [SMALL_MODEL[0], layer, SMALL_MODEL[1]]})))
    return places


PLACES = _places()


@pytest.mark.parametrize(("name", "kind", "key", "raw"), PLACES,
                         ids=[f"{place[2]}" for place in PLACES])
def test_the_preset_checker_refuses_what_the_form_refuses_in_the_same_words(
        name: str, kind: str, key: str, raw: dict[str, Any]) -> None:
    value = next(v for k, v in _leaves(raw) if k == key)
    with pytest.raises(ValueError) as typed:
        parser_for(kind, name)(repr(value))
    with pytest.raises(PresetError) as loaded:
        preset_from_dict(raw, file="bad.toml")
    assert loaded.value.key == key
    assert loaded.value.file == "bad.toml"
    assert str(typed.value) in loaded.value.reason
    assert f"(allowed: {catalog.LIMITS[name].allowed(name)})" in loaded.value.reason


def test_every_limited_optimizer_callback_and_layer_number_is_checked_somewhere() -> None:
    checked = {place[0] for place in PLACES}
    assert {"learning_rate", "momentum", "rho", "beta_1", "beta_2", "epsilon", "rate", "dropout",
            "recurrent_dropout", "factor", "min_delta", "min_lr", "clipnorm"} <= checked


@pytest.mark.parametrize(("section", "name"), [
    ("fit", "epochs"), ("fit", "batch_size"), ("fit", "validation_split"),
    ("fit", "validation_first"), ("data", "test_split"), ("data", "num_words"), ("data", "maxlen"),
    ("data", "max_samples")])
def test_fit_and_data_numbers_are_held_to_the_limits_the_form_applies(section: str, name: str) -> None:
    limits = catalog.LIMITS[name]
    bad = _outside(limits)
    kind = "float" if name.endswith("split") else "int"
    bad = bad if kind == "float" else math.floor(bad)
    raw = _preset(**{section: {"source": "sklearn:iris", name: bad} if section == "data"
                     else {name: bad}})
    with pytest.raises(ValueError):
        parser_for(kind, name)(str(bad))
    with pytest.raises(PresetError) as loaded:
        preset_from_dict(raw)
    assert loaded.value.key == f"{section}.{name}"
    # Inside the limits, both take it.
    good = limits.low + 1 if kind == "int" and limits.low is not None else 0.5
    parser_for(kind, name)(str(good))
    ok = _preset(**{section: {"source": "sklearn:iris", name: good} if section == "data"
                    else {name: good}})
    assert preset_from_dict(ok) is not None


def test_a_preset_scales_its_data_the_ways_the_catalog_offers() -> None:
    for scaling in catalog.SCALINGS:
        assert preset_from_dict(_preset(data={"source": "sklearn:iris", "scaling": scaling}))
    with pytest.raises(PresetError) as refused:
        preset_from_dict(_preset(data={"source": "sklearn:iris", "scaling": "normalize"}))
    assert refused.value.key == "data.scaling"
    assert all(f"'{scaling}'" in refused.value.reason for scaling in catalog.SCALINGS)


def _leaves(node: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in _leaves(v, f"{path}.{k}" if path else k)]
    if isinstance(node, list) and node and isinstance(node[0], dict):
        return [leaf for i, v in enumerate(node) for leaf in _leaves(v, f"{path}[{i}]")]
    return [(path, node)]
