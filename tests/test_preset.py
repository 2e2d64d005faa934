"""Presets load, round-trip through TOML unchanged, and fail with messages a person can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnbench.core.errors import PresetError
from nnbench.core.preset import (
    DEFAULT_PRESET,
    Preset,
    bundled_presets,
    load_preset,
    loads_preset,
    save_preset,
)

BAD_PRESETS = Path(__file__).parent / "bad_presets"

SMALL_MODEL = """
[[model.layers]]
type = "Input"
shape = [4]

[[model.layers]]
type = "Dense"
units = 3
activation = "softmax"
"""


# --- bundled presets ------------------------------------------------------------------------------


def test_bundled_presets_include_the_default() -> None:
    assert DEFAULT_PRESET in bundled_presets()
    assert len(bundled_presets()) >= 2


@pytest.mark.parametrize("name", sorted(bundled_presets()))
def test_bundled_preset_round_trips_through_toml_text(name: str) -> None:
    preset = load_preset(name)
    assert preset.name == name
    assert preset.model.layers, "a bundled preset without layers cannot train"
    assert loads_preset(preset.to_toml()) == preset


@pytest.mark.parametrize("name", sorted(bundled_presets()))
def test_bundled_preset_round_trips_through_a_saved_file(name: str, tmp_path: Path) -> None:
    preset = load_preset(name)
    path = save_preset(preset, tmp_path / "nested" / f"{name}.toml")
    assert path.is_file()
    assert list(path.parent.iterdir()) == [path], "save_preset left a temporary file behind"
    assert load_preset(path) == preset
    assert load_preset(str(path)) == preset


# --- relative data paths --------------------------------------------------------------------------


def _csv_preset(source: str) -> str:
    return f'name = "tabular"\n\n[data]\nsource = "{source}"\ntarget = "label"\n' + SMALL_MODEL


def test_load_preset_resolves_a_relative_csv_path_against_the_preset_folder(tmp_path: Path) -> None:
    folder = tmp_path / "experiments"
    folder.mkdir()
    path = folder / "tabular.toml"
    path.write_text(_csv_preset("csv:data/train.csv"), encoding="utf-8")

    loaded = load_preset(path)

    assert loaded.data.source == f"csv:{(folder / 'data' / 'train.csv').resolve()}"
    assert loaded.data.target == "label"
    # Parsing text has no folder to resolve against, so the path stays as written.
    assert loads_preset(path.read_text()).data.source == "csv:data/train.csv"
    # Once resolved, the preset survives save and load anywhere else unchanged.
    elsewhere = save_preset(loaded, tmp_path / "copies" / "tabular.toml")
    assert load_preset(elsewhere) == loaded


def test_load_preset_keeps_an_absolute_csv_path(tmp_path: Path) -> None:
    data = (tmp_path / "abs" / "train.csv").resolve()
    path = tmp_path / "tabular.toml"
    path.write_text(_csv_preset(f"csv:{data}"), encoding="utf-8")
    assert load_preset(path).data.source == f"csv:{data}"


def test_load_preset_does_not_touch_named_data_sets(tmp_path: Path) -> None:
    path = save_preset(load_preset(DEFAULT_PRESET), tmp_path / "p.toml")
    assert load_preset(path).data.source == load_preset(DEFAULT_PRESET).data.source


# --- optimizers -----------------------------------------------------------------------------------


def _with_compile(compile_toml: str) -> str:
    return 'name = "opt"\n\n[data]\nsource = "sklearn:iris"\n' + SMALL_MODEL + compile_toml


def test_optimizer_given_by_name_validates_and_round_trips() -> None:
    preset = loads_preset(_with_compile('[compile]\noptimizer = "adam"\n'))
    assert preset.compile.optimizer.type == "adam"
    assert preset.compile.optimizer.params == {}
    assert 'optimizer = "adam"' in preset.to_toml()
    assert loads_preset(preset.to_toml()) == preset


def test_optimizer_given_as_a_table_validates_and_round_trips(tmp_path: Path) -> None:
    preset = loads_preset(_with_compile(
        "[compile.optimizer]\n"
        'type = "sgd"\nlearning_rate = 0.1\nmomentum = 0.9\nnesterov = true\n'))
    assert preset.compile.optimizer.type == "sgd"
    assert preset.compile.optimizer.params == {
        "learning_rate": 0.1, "momentum": 0.9, "nesterov": True}
    assert loads_preset(preset.to_toml()) == preset
    assert load_preset(save_preset(preset, tmp_path / "sgd.toml")) == preset


# --- bad presets ----------------------------------------------------------------------------------

# file stem in tests/bad_presets -> (key path, fragments the message must contain)
BAD_CASES: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("layer_type_misspelt", "model.layers[1].type",
     ("unknown layer type 'Dence'", "Conv2D", "Did you mean 'Dense'?")),
    ("activation_misspelt", "model.layers[2].activation",
     ("unknown activation 'rleu'", "sigmoid", "Did you mean 'relu'?")),
    ("activation_not_offered", "model.layers[2].activation",
     ("unknown activation 'relu6'", "Did you mean 'relu'?")),
    ("loss_unknown", "compile.loss",
     ("unknown loss 'sparse_categorical_crossentrophy'", "mean_squared_error",
      "Did you mean 'sparse_categorical_crossentropy'?")),
    ("optimizer_unknown", "compile.optimizer",
     ("unknown optimizer 'lbfgs'", "adam, adamw")),
    ("optimizer_table_unknown_param", "compile.optimizer.momentun",
     ("sgd has no parameter 'momentun'", "nesterov", "Did you mean 'momentum'?")),
    ("optimizer_table_without_type", "compile.optimizer.type",
     ("needs a type", "sgd")),
    ("optimizer_learning_rate_string", "compile.optimizer.learning_rate",
     ("must be a number, not 'fast'",)),
    ("metric_unknown", "compile.metrics[1]",
     ("unknown metric 'acuracy'", "precision", "Did you mean 'accuracy'?")),
    ("metrics_not_a_list", "compile.metrics",
     ('metrics must be a list of names like ["accuracy"]',)),
    ("callback_unknown", "callbacks.EarlyStoping",
     ("unknown callback 'EarlyStoping'", "ReduceLROnPlateau", "Did you mean 'EarlyStopping'?")),
    ("callback_param_unknown", "callbacks.EarlyStopping.patiense",
     ("EarlyStopping has no parameter 'patiense'", "restore_best_weights",
      "Did you mean 'patience'?")),
    ("callback_value_type", "callbacks.EarlyStopping.patience",
     ("must be a whole number", "'two'")),
    ("epochs_zero", "fit.epochs", ("greater than or equal to 1", "got 0")),
    ("batch_size_negative", "fit.batch_size", ("greater than or equal to 1", "got -8")),
    ("validation_split_too_big", "fit.validation_split", ("less than 1", "got 1.5")),
    ("two_validation_modes", "fit",
     ("choose one way to validate", "validation_split and validation_data")),
    ("top_level_key_unknown", "trainig",
     ("unknown key 'trainig'", "Allowed keys: name, description, data, model, compile, fit")),
    ("fit_key_misspelt", "fit.epoch",
     ("unknown key 'epoch' in [fit]", "batch_size", "Did you mean 'epochs'?")),
    ("data_set_misspelt", "data.source",
     ("unknown sklearn data set 'digit'", "breast_cancer", "Did you mean 'digits'?")),
    ("data_scheme_unknown", "data.source",
     ("unknown data scheme 's3'", "csv, images, keras, npz, sklearn, text")),
    ("data_scaling_unknown", "data.scaling", ("'divide255'", "got 'divide256'")),
    ("data_missing", "data", ("missing [data] section", "source")),
    ("model_without_layers", "model.layers", ("the model has no layers", "[[model.layers]]")),
    ("dense_without_units", "model.layers[1].units", ("Dense needs 'units'",)),
    ("inputs_unknown_layer", "model.layers[2].inputs",
     ("no earlier layer is named 'hiden'", "Did you mean 'hidden'?")),
    ("layer_names_duplicated", "model.layers[2].name",
     ("the name 'hidden' is used twice", "unique")),
    ("toml_syntax", None, ("not valid TOML", "line 5")),
    # issue 7.1 / 9.6: names, graphs and parameter types, refused before anything reaches Keras
    ("inputs_automatic_name_misspelt", "model.layers[2].inputs",
     ("no earlier layer is named 'input_layr'", "(input_layer, dense)",
      "Did you mean 'input_layer'?")),
    ("layer_unused", "model.layers[1]", ("layer 2 (Dense 'side') is not used", "remove it")),
    ("use_bias_quoted", "model.layers[1].use_bias",
     ("Dense use_bias must be true or false, not 'false'", "without quotes")),
    ("units_bool", "model.layers[1].units", ("Dense units must be a whole number, not True",)),
    ("units_huge", "model.layers[1].units", ("between 1 and 10,000,000", "1000000000000")),
    ("input_not_first", "model.layers[2].type", ("Input can only be the first layer",)),
    ("layer_name_not_text", "model.layers[1].name", ("a layer name is text in quotes, not 5",)),
    ("metric_twice", "compile.metrics[1]", ("accuracy is listed twice",)),
    ("kernel_size_text", "model.layers[2].kernel_size",
     ("must be a whole number or a list of them, e.g. [3, 3], not '3'",)),
    ("padding_unknown", "model.layers[2].padding", ("'full' is not allowed; use valid, same",)),
    ("input_shape_text", "model.layers[0].shape",
     ("must be a list of sizes like [28, 28]", "'sixty-four'")),
    ("dropout_rate_bool", "model.layers[1].rate", ("Dropout rate must be a number, not True",)),
    ("learning_rate_negative", "compile.optimizer.learning_rate",
     ("must be greater than 0, not -0.001",)),
    ("layers_not_tables", "model.layers[0]", ("each layer must be a table",)),
    ("callbacks_not_a_table", "callbacks", ("callbacks must be tables like [callbacks.EarlyStopping]",)),
    ("data_source_without_scheme", "data.source", ("'digits' is not scheme:name", "sklearn:digits")),
    ("nested_100000_deep", None, ("nested too deeply",)),
    # issue 11.2: the catalog's limits (the form's) hold for a TOML preset too, with the range
    ("dropout_rate_one", "model.layers[1].rate",
     ("Dropout rate must be less than 1, not 1", "(allowed: 0 <= rate < 1)")),
    ("recurrent_dropout_above_one", "model.layers[2].recurrent_dropout",
     ("SimpleRNN recurrent_dropout must be at most 1, not 2",
      "(allowed: 0 <= recurrent_dropout <= 1)")),
    ("optimizer_momentum_above_one", "compile.optimizer.momentum",
     ("must be at most 1, not 1.5", "(allowed: 0 <= momentum <= 1)")),
    ("optimizer_learning_rate_nan", "compile.optimizer.learning_rate",
     ("must be a finite number, not nan",)),
    ("optimizer_epsilon_on_sgd", "compile.optimizer.epsilon",
     ("sgd has no parameter 'epsilon'", "momentum, nesterov")),
    ("callback_factor_above_one", "callbacks.ReduceLROnPlateau.factor",
     ("must be less than 1, not 1.5", "(allowed: 0 < factor < 1)")),
    ("callback_min_delta_negative", "callbacks.EarlyStopping.min_delta",
     ("must be at least 0, not -0.01", "(allowed: min_delta >= 0)")),
]


@pytest.mark.parametrize(("stem", "key", "fragments"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_preset_names_the_file_the_key_and_the_fix(
    stem: str, key: str | None, fragments: tuple[str, ...]
) -> None:
    path = BAD_PRESETS / f"{stem}.toml"

    with pytest.raises(PresetError) as caught:
        load_preset(path)

    err = caught.value
    assert err.key == key
    assert err.file == str(path)
    assert path.name in str(err)
    if key is not None:
        assert key in str(err)
    for fragment in fragments:
        assert fragment in err.reason
    # Pydantic's internals must not leak into what a person reads.
    for jargon in ("dict[str", "instance of", "Value error", "function-", "type=", "pydantic"):
        assert jargon not in str(err)
    assert ".params" not in (err.key or "")


def test_every_bad_preset_file_is_checked() -> None:
    on_disk = {p.stem for p in BAD_PRESETS.glob("*.toml")}
    assert on_disk == {case[0] for case in BAD_CASES}
    assert len(on_disk) >= 40


def test_bad_preset_text_reports_the_same_error_without_a_file() -> None:
    text = (BAD_PRESETS / "layer_type_misspelt.toml").read_text()
    with pytest.raises(PresetError) as caught:
        loads_preset(text)
    assert caught.value.key == "model.layers[1].type"
    assert caught.value.file is None
    assert str(caught.value).startswith("model.layers[1].type: unknown layer type 'Dence'")


# --- finding presets ------------------------------------------------------------------------------


def test_unknown_bundled_name_lists_the_bundled_presets() -> None:
    with pytest.raises(PresetError) as caught:
        load_preset("no-such-preset")
    message = str(caught.value)
    assert "no bundled or saved preset named 'no-such-preset'" in message
    for name in bundled_presets():
        assert name in message
    assert "path to a .toml file" in message


def test_misspelt_bundled_name_suggests_the_close_one() -> None:
    with pytest.raises(PresetError, match=r"Did you mean 'digits-mlp'\?"):
        load_preset("digits-mpl")


def test_missing_preset_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "gone.toml"
    with pytest.raises(PresetError) as caught:
        load_preset(missing)
    assert caught.value.file == str(missing)
    assert "no preset file" in str(caught.value)


def test_copy_with_leaves_the_original_alone() -> None:
    preset = load_preset(DEFAULT_PRESET)
    changed = preset.copy_with(name="mine")
    assert isinstance(changed, Preset)
    assert (changed.name, preset.name) == ("mine", DEFAULT_PRESET)
    changed.model.layers[1].params["units"] = 1
    assert preset.model.layers[1].params["units"] != 1


# --- the user's saved presets resolve by name (issue 7.5) -----------------------------------------


@pytest.fixture
def my_presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "my-presets"
    monkeypatch.setenv("NNBENCH_PRESETS_DIR", str(folder))
    return folder


def test_a_saved_preset_loads_by_name(my_presets: Path) -> None:
    mine = load_preset(DEFAULT_PRESET).copy_with(name="my-fashion", description="mine")
    save_preset(mine, my_presets / "my-fashion.toml")
    assert load_preset("my-fashion") == mine


def test_the_users_preset_wins_over_a_bundled_one_of_the_same_name(my_presets: Path) -> None:
    edited = load_preset(DEFAULT_PRESET).copy_with(description="my own digits-mlp")
    save_preset(edited, my_presets / f"{DEFAULT_PRESET}.toml")
    assert load_preset(DEFAULT_PRESET).description == "my own digits-mlp"


def test_an_unknown_name_lists_the_users_presets_too(my_presets: Path) -> None:
    save_preset(load_preset(DEFAULT_PRESET), my_presets / "my-fashion.toml")
    with pytest.raises(PresetError) as caught:
        load_preset("my-fashon")
    assert "one of yours (my-fashion)" in caught.value.reason
    assert "Did you mean 'my-fashion'?" in caught.value.reason
