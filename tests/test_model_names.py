"""One naming rule (core/names.py): every name the stack shows can be referenced, saved, reloaded and
built; any name a person picks builds and trains in Keras; layer parameter types and unused layers
are refused before anything reaches Keras."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnbench.core import names
from nnbench.core.errors import ModelError, PresetError
from nnbench.core.model import analyze, build_model, summarize
from nnbench.core.preset import ModelSpec, load_preset, loads_preset, save_preset

HEAD = 'name = "graph"\n\n[data]\nsource = "sklearn:digits"\n'


def _layers(*tables: str) -> str:
    return HEAD + "".join(f"\n[[model.layers]]\n{t.strip()}\n" for t in tables)


SKIP = _layers(
    'type = "Input"\nshape = [64]',
    'type = "Dense"\nunits = 8\nactivation = "relu"',
    'type = "Concatenate"\ninputs = ["input_layer", "dense"]',
    'type = "Dense"\nunits = 10\nactivation = "softmax"',
)


# --- the names the stack shows can be referenced -----------------------------------------------


def test_automatic_names_are_what_a_fresh_keras_session_gives() -> None:
    spec = loads_preset(SKIP).model
    assert names.auto_names(spec) == ["input_layer", "dense", "concatenate", "dense_1"]
    assert names.snake_case("GlobalAveragePooling1D") == "global_average_pooling1d"
    # Automatic names step around names the preset gives other layers.
    assert names.layer_names([("Dense", None), ("Dense", "dense")]) == ["dense_1", "dense"]


def test_a_graph_over_automatic_names_is_accepted_builds_saves_and_reloads(tmp_path: Path) -> None:
    preset = loads_preset(SKIP)
    assert preset.model.layers[2].inputs == ["input_layer", "dense"]

    analysis = analyze(preset.model)
    assert analysis.ok, analysis.error
    assert [row.name for row in analysis.rows] == ["input_layer", "dense", "concatenate", "dense_1"]
    assert analysis.rows[2].output_shape == "(None, 72)"

    assert loads_preset(preset.to_toml()) == preset
    path = save_preset(preset, tmp_path / "graph.toml")
    reloaded = load_preset(path)
    assert reloaded == preset
    assert build_model(reloaded.model).output.shape == (None, 10)


def test_a_renamed_input_and_automatic_names_mix() -> None:
    text = SKIP.replace('shape = [64]', 'shape = [64]\nname = "inp"').replace(
        '["input_layer", "dense"]', '["inp", "dense"]')
    preset = loads_preset(text)
    assert analyze(preset.model).ok
    assert loads_preset(preset.to_toml()) == preset


def test_an_unknown_reference_lists_the_names_the_stack_shows() -> None:
    with pytest.raises(PresetError) as caught:
        loads_preset(SKIP.replace('"dense"]', '"dens"]'))
    assert caught.value.key == "model.layers[2].inputs"
    assert "input_layer, dense" in caught.value.reason
    assert "Did you mean 'dense'?" in caught.value.reason


def test_a_later_layer_cannot_be_referenced() -> None:
    with pytest.raises(PresetError, match="no earlier layer is named 'dense_1'"):
        loads_preset(SKIP.replace('"dense"]', '"dense_1"]'))


# --- names Keras accepts ------------------------------------------------------------------------


def test_keras_names_keep_valid_names_and_map_the_rest_uniquely() -> None:
    shown = ["dense", "은닉층", "(v2) out", "h²", "a b", "ok-1.x"]
    mapped = names.keras_names(shown, ["Dense"] * len(shown))
    assert mapped == ["dense", "dense_1", "v2_out", "h2", "a_b", "ok-1.x"]
    assert all(names.is_keras_name(n) for n in mapped)
    assert len(set(mapped)) == len(mapped)
    assert names.model_name("(v2) digits") == "v2_digits"
    assert names.model_name("은닉") == "model"
    assert names.model_name("digits-mlp") == "digits-mlp"


def test_korean_and_symbol_names_build_and_train_while_the_rows_keep_them() -> None:
    preset = loads_preset(_layers(
        'type = "Input"\nshape = [4]\nname = "입력"',
        'type = "Dense"\nunits = 3\nname = "은닉층"\nactivation = "relu"',
        'type = "Dense"\nunits = 2\nname = "(v2) out"\nactivation = "softmax"',
    ).replace('name = "graph"', 'name = "(v2) 숫자"'))
    rows = analyze(preset.model).rows
    assert [r.name for r in rows] == ["입력", "은닉층", "(v2) out"]

    model = build_model(preset.model, name=preset.name)
    assert [r.name for r in summarize(model).rows] == ["입력", "은닉층", "(v2) out"]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    # Before the mapping this failed inside Keras: "... is not a valid scope name".
    history = model.fit(np.zeros((8, 4), "float32"), np.zeros(8, "int32"), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_the_implicit_input_does_not_clash_with_a_layer_named_input_layer() -> None:
    spec = ModelSpec.model_validate({"layers": [
        {"type": "Dense", "units": 3, "name": "input_layer"}, {"type": "Dense", "units": 2}]})
    model = build_model(spec, (4,))
    assert model.output.shape == (None, 2)


# --- every layer is used ------------------------------------------------------------------------


BRANCH = _layers(
    'type = "Input"\nshape = [64]',
    'type = "Dense"\nunits = 8\nname = "side"',
    'type = "Dense"\nunits = 8\nname = "main"\ninputs = ["input_layer"]',
    'type = "Dense"\nunits = 10\nactivation = "softmax"',
)


def test_a_layer_the_output_does_not_use_is_refused_by_name() -> None:
    with pytest.raises(PresetError) as caught:
        loads_preset(BRANCH)
    assert caught.value.key == "model.layers[1]"
    assert "'side'" in caught.value.reason and "is not used" in caught.value.reason


def test_the_builder_refuses_an_unused_layer_too_and_marks_its_row() -> None:
    spec = ModelSpec.model_validate({"layers": [
        {"type": "Input", "shape": [64]}, {"type": "Dense", "units": 8, "name": "side"},
        {"type": "Dense", "units": 8, "inputs": ["input_layer"]},
        {"type": "Dense", "units": 10}]})
    with pytest.raises(ModelError, match="'side'.*is not used"):
        build_model(spec)
    analysis = analyze(spec)
    assert not analysis.ok
    assert [r.index for r in analysis.rows] == [0, 1, 2, 3]
    assert analysis.rows[1].error and "not used" in analysis.rows[1].error


# --- parameter types against Keras ----------------------------------------------------------------


@pytest.mark.parametrize(("table", "key", "fragment"), [
    ('type = "Dense"\nunits = 8\nuse_bias = "false"', "model.layers[1].use_bias",
     "must be true or false, not 'false' (write false without quotes)"),
    ('type = "Dense"\nunits = true', "model.layers[1].units", "must be a whole number, not True"),
    ('type = "Dense"\nunits = 8.5', "model.layers[1].units", "must be a whole number"),
    ('type = "Dense"\nunits = 1_000_000_000_000', "model.layers[1].units", "between 1 and"),
    ('type = "Dropout"\nrate = true', "model.layers[1].rate", "must be a number"),
    ('type = "Conv1D"\nfilters = 2\nkernel_size = [3, "x"]', "model.layers[1].kernel_size",
     "or a list of them"),
    ('type = "Conv1D"\nfilters = 2\nkernel_size = 3\npadding = "full"', "model.layers[1].padding",
     "'full' is not allowed; use valid, same"),
])
def test_layer_parameter_types_are_checked_when_the_preset_loads(table: str, key: str,
                                                                 fragment: str) -> None:
    with pytest.raises(PresetError) as caught:
        loads_preset(_layers('type = "Input"\nshape = [64]', table))
    assert caught.value.key == key
    assert fragment in caught.value.reason


@pytest.mark.parametrize(("params", "key", "fragment"), [
    ({"kernel_initializer": 5}, "units", None),
    ({"bias_initializer": True}, "bias_initializer", "must be text in quotes"),
    ({"use_bias": 1}, "use_bias", "must be true or false"),
])
def test_parameters_outside_the_catalog_are_checked_against_the_keras_signature(
        params: dict, key: str, fragment: str | None) -> None:
    spec = ModelSpec.model_validate({"layers": [{"type": "Input", "shape": [4]},
                                                {"type": "Dense", "units": 2, **params}]})
    analysis = analyze(spec)
    if fragment is None:  # an int for an initializer: Keras judges it, still one readable error
        assert analysis.error is not None
        return
    assert isinstance(analysis.error, PresetError)
    assert analysis.error.key == f"model.layers[1].{key}"
    assert fragment in analysis.error.reason


def test_a_layer_too_big_to_allocate_is_refused_before_keras_allocates_it() -> None:
    spec = ModelSpec.model_validate({"layers": [{"type": "Input", "shape": [100_000]},
                                                {"type": "Dense", "units": 5_000_000}]})
    with pytest.raises(ModelError, match="would have 500,000,000,000 weights"):
        build_model(spec)


def test_a_deeply_nested_toml_is_a_preset_error_not_a_recursion_error() -> None:
    deep = HEAD + "x = " + "[" * 100_000 + "]" * 100_000 + "\n"
    with pytest.raises(PresetError, match="nested too deeply"):
        loads_preset(deep)
