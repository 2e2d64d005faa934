"""Hostile presets (issue 9): arbitrary TOML documents and mutations of every bundled preset thrown at
the loader, the model builder and the compatibility check. Only ``NnbenchError`` may come out, and
it names the key (or the layer) to fix; whatever loads saves and reloads to the same text.

A few hundred examples per test by default; 2,000 with ``pytest -m full`` or NNBENCH_FUZZ_FULL=1.
"""

from __future__ import annotations

import copy
import math
import os
import tomllib
from importlib import resources
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnbench.core import catalog
from nnbench.core.compat import problems
from nnbench.core.errors import ModelError, NnbenchError, PresetError
from nnbench.core.model import analyze
from nnbench.core.preset import bundled_presets, loads_preset, preset_from_dict

pytestmark = pytest.mark.full


def _examples(request: pytest.FixtureRequest, default: int) -> int:
    full = os.environ.get("NNBENCH_FUZZ_FULL") == "1" or "full" in (
        request.config.getoption("markexpr", "") or "")
    return 2_000 if full else default


def _settings(n: int) -> settings:
    return settings(max_examples=n, deadline=None, derandomize=False, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- what may come out ---------------------------------------------------------------------------

_KEYLESS = ("not valid TOML", "nested too deeply", "a preset must be a TOML table")


def _assert_names_where(err: NnbenchError) -> None:
    """A person must be told where: a key path, a layer, or (for TOML syntax) the line."""
    if isinstance(err, PresetError):
        assert err.key or any(k in err.reason for k in _KEYLESS), err
        assert "Traceback" not in err.message
        for jargon in ("Value error", "function-", "pydantic", "dict[str"):
            assert jargon not in err.message, err
    elif isinstance(err, ModelError):
        assert err.layer_index is not None or "layer" in err.message or "model" in err.message, err


def _load_build_check(raw: Any) -> None:
    """Everything a preset goes through before training, as the app and the CLI call it."""
    try:
        preset = preset_from_dict(raw)
    except NnbenchError as err:
        _assert_names_where(err)
        return
    text = preset.to_toml()
    assert loads_preset(text).to_toml() == text, "a loaded preset must save and reload unchanged"
    analysis = analyze(preset.model, loss=preset.compile.loss)
    if analysis.error is not None:
        _assert_names_where(analysis.error)
        return
    shape = _output_shape(analysis)
    for problem in problems(preset, None, shape):
        assert problem.key and problem.message


def _output_shape(analysis: Any) -> tuple[Any, ...]:
    text = analysis.rows[-1].output_shape.strip("()").rstrip(",")
    return tuple(None if d.strip() == "None" else int(d) for d in text.split(","))


# --- arbitrary documents -------------------------------------------------------------------------

_NASTY_NUMBERS = [0, -1, 1, 2, 3, -(2**63), 2**63 - 1, 10**12, -10**9, 1.5, -0.0, 1e308,
                  math.inf, -math.inf, math.nan]
_NASTY_TEXT = ["", " ", "Dense", "dense", "input_layer", "relu", "softmax", "은닉층", "(v2) digits",
               "h²", "a/b", "\x1b]0;title\x07", "[/oops]", "false", "true", "None", "-1", "💥" * 50,
               "sklearn:digits", "keras:mnist", "csv:", "x" * 5000]

scalars = st.one_of(
    st.sampled_from(_NASTY_NUMBERS), st.integers(-5, 300), st.booleans(),
    st.floats(allow_nan=True), st.sampled_from(_NASTY_TEXT), st.text(max_size=20))
keys = st.one_of(st.sampled_from(["name", "description", "data", "model", "layers", "compile",
                                  "fit", "callbacks", "type", "units", "loss", "metrics",
                                  "optimizer", "source", "inputs", "shape", "EarlyStopping",
                                  "monitor", "epochs"]), st.text(min_size=1, max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)), max_leaves=25)
documents = st.dictionaries(keys, values, max_size=8)


def test_arbitrary_toml_documents_give_only_preset_errors(request: pytest.FixtureRequest) -> None:
    @_settings(_examples(request, 300))
    @given(documents)
    def run(doc: dict[str, Any]) -> None:
        try:
            text = tomli_w.dumps(doc)
        except (TypeError, ValueError):
            return  # not representable as TOML: nothing a user could write
        try:
            preset = loads_preset(text)
        except PresetError as err:
            _assert_names_where(err)
            return
        analysis = analyze(preset.model)
        if analysis.error is not None:
            _assert_names_where(analysis.error)

    run()


def test_arbitrary_text_gives_only_preset_errors(request: pytest.FixtureRequest) -> None:
    @_settings(_examples(request, 300))
    @given(st.text(max_size=400))
    def run(text: str) -> None:
        try:
            loads_preset(text)
        except PresetError as err:
            _assert_names_where(err)

    run()


# --- mutations of every bundled preset -----------------------------------------------------------

BUNDLED = {name: tomllib.loads(resources.files("nnbench.presets").joinpath(f"{name}.toml")
                               .read_text(encoding="utf-8")) for name in bundled_presets()}

replacements = st.one_of(
    scalars,
    st.sampled_from([[], {}, [1, 2], ["dense"], ["input_layer", "dense"], {"type": "Dense"},
                     {"type": "Dnse", "units": 3}, {"type": "Concatenate", "inputs": ["dense"]},
                     {"type": "Input", "shape": [3]}, [[[]]], {"a": {"b": {}}}]),
    st.sampled_from(sorted(catalog.LAYERS)), st.sampled_from(sorted(catalog.LOSSES)),
    st.sampled_from(sorted(catalog.METRICS)), st.sampled_from(list(catalog.ACTIVATIONS)),
    st.lists(st.sampled_from(sorted(catalog.METRICS)), max_size=4),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    raw = copy.deepcopy(BUNDLED[draw(st.sampled_from(sorted(BUNDLED)))])
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(raw)
        path = draw(st.sampled_from(paths))
        parent: Any = raw
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add", "insert"]))
        last = path[-1]
        if action == "replace":
            parent[last] = copy.deepcopy(draw(replacements))
        elif action == "delete":
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(keys)] = copy.deepcopy(draw(replacements))
        elif action == "insert" and isinstance(parent, list):
            parent.insert(draw(st.integers(0, len(parent))), copy.deepcopy(draw(replacements)))
    return raw


def test_mutated_bundled_presets_give_only_nnbench_errors(request: pytest.FixtureRequest) -> None:
    @_settings(_examples(request, 300))
    @given(mutated())
    def run(raw: dict[str, Any]) -> None:
        _load_build_check(raw)
        # The same document as a person would write it, through the TOML parser.
        try:
            text = tomli_w.dumps(raw)
        except (TypeError, ValueError):
            return
        try:
            loads_preset(text)
        except PresetError as err:
            _assert_names_where(err)

    run()


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_every_bundled_preset_survives_the_checks_unmutated(name: str) -> None:
    _load_build_check(copy.deepcopy(BUNDLED[name]))
