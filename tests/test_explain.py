"""Explanations: every catalog entry in English and Korean, found by its Keras name, laid out by
cell width; a layer's parameter arithmetic equals Keras's own count."""

from __future__ import annotations

import re
import string
from importlib import resources

import pytest
from rich.cells import cell_len

from nnbench.core import catalog
from nnbench.core.explain import (
    KINDS,
    LANGS,
    ExplainError,
    catalog_topics,
    current_lang,
    explain,
    explain_lines,
    find,
    layer_arithmetic,
    layer_param_count,
    model_arithmetic,
    texts,
    wrap_cells,
)
from nnbench.core.preset import load_preset, preset_from_dict
from nnbench.tui.screens.fit_pane import FitPane

BUNDLED = sorted(p.name.removesuffix(".toml") for p in resources.files("nnbench.presets").iterdir()
                 if p.name.endswith(".toml"))
FIT_FIELDS = ("epochs", "batch_size", "shuffle", "seed", "validation", "validation_split",
              "validation_first", "strategy", "devices", "mixed_precision", "jit_compile")
"""The Fit view's own fields (tui/screens/fit_pane.py), besides the callbacks' parameters."""


# --- every entry, both languages ------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_every_catalog_entry_is_explained(lang: str) -> None:
    missing = [f"{kind}:{name}" for kind, name in catalog_topics()
               if find(name, kind, lang) is None]
    assert not missing
    # The walk covers every kind the catalog offers.
    assert {kind for kind, _ in catalog_topics()} == set(KINDS) - {"param"}
    assert len(catalog_topics()) == (len(catalog.LAYERS) + len(catalog.LOSSES) + len(catalog.OPTIMIZERS)
                                     + len(catalog.METRICS) + len(catalog.CALLBACKS)
                                     + len(catalog.ACTIVATIONS))


@pytest.mark.parametrize("lang", LANGS)
def test_every_parameter_a_form_shows_is_explained(lang: str) -> None:
    shown = {p.name for params in catalog.OPTIMIZERS.values() for p in params}
    shown |= {p.name for params in catalog.CALLBACKS.values() for p in params}
    shown |= {p.name for kind in catalog.LAYERS.values() for p in kind.params}
    shown |= set(FIT_FIELDS)
    missing = sorted(name for name in shown if find(name, "param", lang) is None)
    assert not missing


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_entries_and_placeholders() -> None:
    en, ko = texts("en"), texts("ko")
    assert en.keys() == ko.keys()
    for table in en:
        assert en[table].keys() == ko[table].keys(), table
        for key in en[table]:
            assert _placeholders(en[table][key]) == _placeholders(ko[table][key]), (table, key)


@pytest.mark.parametrize("lang", LANGS)
def test_explanations_are_a_few_sentences_not_a_label(lang: str) -> None:
    for kind in ("layer", "loss", "optimizer", "metric", "callback"):
        for name, text in texts(lang)[kind].items():
            # Two to five sentences: more than a one-line label, short enough for the panel.
            sentences = len(re.findall(r"[.!?](\s|$)", text))
            assert 2 <= sentences <= 6, (kind, name, sentences)
            assert cell_len(text) <= 480, (kind, name)


def test_the_korean_text_is_korean_and_keeps_keras_names() -> None:
    ko = explain("sparse_categorical_crossentropy", "ko")
    assert "원-핫" in ko.text and "categorical_crossentropy" in ko.text
    assert ko.title == "sparse_categorical_crossentropy · 손실 함수"
    assert explain("EarlyStopping", "ko").text.startswith("조기 종료")


# --- finding one ----------------------------------------------------------------------------------


def test_names_are_found_as_keras_spells_them_and_as_people_type_them() -> None:
    assert explain("dense", "en").name == "Dense"
    assert explain("earlystopping", "en").kind == "callback"
    assert explain("Adam", "en").kind == "optimizer"
    assert explain("mse", "en").kind == "metric"  # a bare name: the metric ...
    loss = explain("loss:mse", "en")  # ... the kind first: the loss, through Keras's alias
    assert (loss.kind, loss.name) == ("loss", "mean_squared_error")
    assert explain("huber_loss", "en", kind="loss").name == "huber"


def test_a_parameter_means_what_it_means_for_its_owner() -> None:
    sgd = explain("momentum", "en", owner="sgd")
    batch_norm = explain("momentum", "en", owner="BatchNormalization")
    assert "rolling downhill" in sgd.text
    assert "running mean" in batch_norm.text and batch_norm.name == "BatchNormalization.momentum"


def test_an_unknown_name_says_what_is_close_and_shows_control_characters() -> None:
    with pytest.raises(ExplainError) as caught:
        explain("adma", "en")
    assert "Did you mean 'adam'?" in caught.value.message
    with pytest.raises(ExplainError) as caught:
        explain("\x1b[2Jboom", "en")
    assert "\x1b" not in caught.value.message and "\\x1b" in caught.value.message
    with pytest.raises(ExplainError):
        explain("Dense", "en", kind="loss")


@pytest.mark.parametrize(("env", "lang"), [
    ({"LANG": "ko_KR.UTF-8"}, "ko"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({}, "en"),
    ({"LANG": "ko_KR.UTF-8", "LC_ALL": "C.UTF-8"}, "en"),  # LC_ALL decides over LANG
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "ko_KR.UTF-8"}, "ko"),
    ({"LANG": "ko_KR.UTF-8", "NNBENCH_LANG": "en"}, "en"),  # the setting decides over the locale
    ({"LANG": "C", "NNBENCH_LANG": "KO"}, "ko"),
    ({"LANG": "ko_KR.UTF-8", "NNBENCH_LANG": "fr"}, "ko"),  # not one of ours: the locale's
])
def test_the_language_comes_from_the_setting_then_the_locale(env: dict[str, str],
                                                              lang: str) -> None:
    assert current_lang(env) == lang


def test_the_locale_chooses_the_language_when_none_is_passed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NNBENCH_LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert explain("Dropout").lang == "ko"
    monkeypatch.setenv("NNBENCH_LANG", "en")
    assert explain("Dropout").lang == "en"


# --- laid out by cell width -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_every_explanation_wraps_within_80_cells_and_loses_nothing(lang: str) -> None:
    for kind in KINDS:
        for name, text in texts(lang)[kind].items():
            lines = wrap_cells(text, 80)
            assert all(cell_len(line) <= 80 for line in lines), (kind, name)
            assert " ".join(lines) == " ".join(text.split()), (kind, name)


def test_korean_wraps_by_cells_not_characters() -> None:
    text = explain("Dense", "ko").text
    lines = wrap_cells(text, 80)
    # Counting characters, the first line would take up to 80 Korean characters: 160 cells.
    assert max(cell_len(line) for line in lines) <= 80
    assert max(len(line) for line in lines) < 60
    assert len(lines) > len(text) // 80 + 1


def test_a_word_wider_than_the_line_is_cut_by_cells() -> None:
    lines = wrap_cells("짧다 " + "가" * 50, 20)
    assert lines[0] == "짧다"
    assert all(cell_len(line) <= 20 for line in lines)
    assert "".join(lines[1:]) == "가" * 50


def test_explain_lines_is_the_title_then_the_text() -> None:
    lines = explain_lines("EarlyStopping", "ko", width=40)
    assert lines[0] == "EarlyStopping · 콜백"
    assert all(cell_len(line) <= 40 for line in lines)


# --- the arithmetic on the current model ----------------------------------------------------------


def test_the_tutorials_dense_sentence() -> None:
    assert layer_arithmetic("Dense", "(None, 784)", {"units": 300}, "en") == (
        "Dense 300 after 784 inputs: 784 x 300 + 300 = 235,500 parameters.")
    assert layer_arithmetic("Dense", (None, 784), {"units": 300}, "ko") == (
        "입력 784개 뒤의 Dense 300: 784 x 300 + 300 = 파라미터 235,500개.")
    assert layer_arithmetic("Dropout", "(None, 100)", {"rate": 0.3}, "en") == (
        "Dropout learns nothing: 0 parameters.")
    assert layer_arithmetic("Dense", "(None, None)", {"units": 3}, "en") is None


def _rows_with_inputs(preset_name: str) -> list[tuple[str, str, dict, int]]:
    """(type, input shape, kwargs, Keras's count) of each layer of a sequential preset."""
    from nnbench.core.model import analyze

    preset = load_preset(preset_name)
    analysis = analyze(preset.model)
    assert analysis.ok, analysis.error
    out, before = [], "()"
    for row, layer in zip(analysis.rows, preset.model.layers, strict=True):
        out.append((layer.type, before, layer.params, row.params))
        before = row.output_shape
    return out


@pytest.mark.parametrize("preset_name", BUNDLED)
def test_the_arithmetic_equals_keras_on_every_bundled_preset(preset_name: str) -> None:
    for layer_type, shape, kwargs, keras_count in _rows_with_inputs(preset_name):
        assert layer_param_count(layer_type, shape, kwargs) == keras_count, (layer_type, shape)
        sentence = layer_arithmetic(layer_type, shape, kwargs, "en")
        assert sentence is not None and sentence.endswith(f" {keras_count:,} parameters."), sentence
        if keras_count:  # the arithmetic itself, not only the total
            assert f"= {keras_count:,} parameters" in sentence


def test_the_arithmetic_equals_keras_on_layers_no_preset_uses() -> None:
    from nnbench.core.model import analyze

    layers = [
        {"type": "Input", "shape": [12, 6]},
        {"type": "Conv1D", "filters": 5, "kernel_size": 3, "padding": "same"},
        {"type": "BatchNormalization"},
        {"type": "LSTM", "units": 7, "return_sequences": True},
        {"type": "GRU", "units": 4, "return_sequences": True},
        {"type": "SimpleRNN", "units": 3, "return_sequences": True},
        {"type": "Reshape", "target_shape": [12, 3, 1]},
        {"type": "Conv2D", "filters": 2, "kernel_size": [3, 2], "use_bias": False},
        {"type": "Flatten"},
        {"type": "Dense", "units": 2, "use_bias": False},
    ]
    spec = preset_from_dict({
        "name": "every-count", "data": {"source": "sklearn:iris"},
        "model": {"layers": layers},
        "compile": {"loss": "mean_squared_error", "optimizer": "adam"}}).model
    analysis = analyze(spec)
    assert analysis.ok, analysis.error
    before = "()"
    for row, layer in zip(analysis.rows, spec.layers, strict=True):
        assert layer_param_count(layer.type, before, layer.params) == row.params, layer.type
        before = row.output_shape
    assert sum(row.params for row in analysis.rows) > 0


def test_fit_view_fields_are_the_ones_checked_here() -> None:
    # Guards FIT_FIELDS above: a field added to the Fit view must be explained too.
    source = resources.files("nnbench.tui.screens").joinpath("fit_pane.py").read_text()
    params = set(re.findall(r'Param\("(\w+)"', source))
    assert params == set(FIT_FIELDS), params
    assert FitPane is not None


def test_model_arithmetic_reads_each_layers_input_off_the_analysis() -> None:
    from nnbench.core.model import analyze

    spec = preset_from_dict({
        "name": "graph", "data": {"source": "sklearn:iris"},
        "model": {"layers": [
            {"type": "Input", "shape": [4], "name": "x"},
            {"type": "Dense", "units": 6, "name": "h"},
            {"type": "Dense", "units": 3, "inputs": ["x"], "name": "side"},  # from x, not h
            {"type": "Concatenate", "inputs": ["h", "side"]},
            {"type": "Dense", "units": 2},
        ]},
        "compile": {"loss": "mean_squared_error", "optimizer": "adam"}}).model
    analysis = analyze(spec)
    assert analysis.ok, analysis.error
    sentences = [model_arithmetic(spec, analysis.rows, i, "en") for i in range(len(spec.layers))]
    assert sentences[2] == "Dense 3 after 4 inputs: 4 x 3 + 3 = 15 parameters."
    assert sentences[3] == "Concatenate learns nothing: 0 parameters."
    assert sentences[4] == "Dense 2 after 9 inputs: 9 x 2 + 2 = 20 parameters."
    for row, sentence in zip(analysis.rows, sentences, strict=True):
        assert sentence is not None and sentence.endswith(f" {row.params:,} parameters.")
    assert model_arithmetic(spec, analysis.rows[:1], 2, "en") is not None  # x is built
    assert model_arithmetic(spec, [], 1, "en") is None  # its input not built yet
    assert model_arithmetic(spec, analysis.rows, 9, "en") is None


def test_the_listing_names_every_kind_and_fits_the_width() -> None:
    from nnbench.core.explain import listing

    lines = listing("ko", width=60)
    assert lines[0] == "층" and "손실 함수" in lines
    assert all(cell_len(line) <= 60 for line in lines)
    assert "sparse_categorical_crossentropy" in " ".join(lines)
    assert "BatchNormalization.momentum" not in " ".join(lines)
