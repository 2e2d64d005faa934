"""The model graph drawn in text: a Sequential stack as a column, a functional graph's branches
and merges, the bundled presets, and the --png export saying plainly what it needs."""

from __future__ import annotations

import pytest

from nnbench.core.graph import draw_graph, graph_nodes, graph_text
from nnbench.core.model import analyze
from nnbench.core.preset import ModelSpec, bundled_presets, load_preset


def _spec(*layers: dict) -> ModelSpec:
    return ModelSpec.model_validate({"layers": list(layers)})


def test_a_sequential_stack_is_one_column_of_boxes_with_shape_and_parameters() -> None:
    spec = _spec({"type": "Input", "shape": [4]}, {"type": "Dense", "units": 3},
                 {"type": "Dense", "units": 2, "name": "out"})
    assert graph_text(spec, analyze(spec)) == "\n".join([
        "┌───────────────────────┐",
        "│ input_layer (Input)   │",
        "│ (None, 4) · 0 params  │",
        "└───────────┬───────────┘",
        "            ▼",
        "┌───────────────────────┐",
        "│ dense (Dense)         │",
        "│ (None, 3) · 15 params │",
        "└───────────┬───────────┘",
        "            ▼",
        "┌───────────────────────┐",
        "│ out (Dense)           │",
        "│ (None, 2) · 8 params  │",
        "└───────────────────────┘",
        "",
        "Total params: 23 (trainable 23, non-trainable 0)",
    ])


def test_a_skip_connection_forks_into_a_lane_and_merges_into_the_add() -> None:
    spec = _spec({"type": "Input", "shape": [4], "name": "x"},
                 {"type": "Dense", "units": 4, "name": "h"},
                 {"type": "Add", "inputs": ["x", "h"], "name": "sum"},
                 {"type": "Dense", "units": 1, "name": "y"})
    assert draw_graph(graph_nodes(spec, analyze(spec))) == [
        "┌───────────────────────┐",
        "│ x (Input)             │",
        "│ (None, 4) · 0 params  │",
        "└───────────┬───────────┘",
        "            ├───────────────────────────┐",
        "            ▼                           │",
        "┌───────────────────────┐               │",
        "│ h (Dense)             │               │",
        "│ (None, 4) · 20 params │               │",
        "└───────────┬───────────┘               │",
        "            ├───────────────────────────┘",
        "            ▼",
        "┌───────────────────────┐",
        "│ sum (Add)             │",
        "│ (None, 4) · 0 params  │",
        "└───────────┬───────────┘",
        "            ▼",
        "┌───────────────────────┐",
        "│ y (Dense)             │",
        "│ (None, 1) · 5 params  │",
        "└───────────────────────┘",
    ]


def test_two_branches_concatenate_and_a_broken_layer_says_why_in_its_box() -> None:
    spec = _spec({"type": "Input", "shape": [4]},
                 {"type": "Dense", "units": 2, "name": "a", "inputs": ["input_layer"]},
                 {"type": "Dense", "units": 3, "name": "b", "inputs": ["input_layer"]},
                 {"type": "Concatenate", "inputs": ["a", "b"]},
                 {"type": "Dense", "units": 1, "name": "out", "inputs": ["nowhere"]})
    nodes = graph_nodes(spec, analyze(spec))
    assert [n.inputs for n in nodes] == [(), (0,), (0,), (1, 2), ()]
    text = "\n".join(draw_graph(nodes))
    assert "│ concatenate (Concatenate)" in text and "(None, 5) · 0 params" in text
    assert "├─────" in text and "┘" in text  # b's lane joins a's above the merge
    assert "✗ " in text and "nowhere" in text  # the unknown input, in out's box


def test_a_stack_without_input_draws_its_implicit_input_with_the_data_shape() -> None:
    spec = _spec({"type": "Dense", "units": 2})
    nodes = graph_nodes(spec, analyze(spec, (3,)), (3,))
    assert [(n.name, n.output_shape) for n in nodes] == [("input_layer", "(None, 3)"),
                                                          ("dense", "(None, 2)")]


@pytest.mark.parametrize("name", sorted(bundled_presets()))
def test_every_bundled_preset_draws_every_layer(name: str) -> None:
    preset = load_preset(name)
    analysis = analyze(preset.model)
    text = graph_text(preset.model, analysis)
    for row in analysis.rows:
        assert f"({row.type})" in text and row.output_shape in text


def test_graph_png_without_pydot_says_what_to_install(tmp_path, capsys, monkeypatch) -> None:
    import importlib.util

    from nnbench.core.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda n, *a: None if n == "pydot" else real(n, *a))
    assert main(["graph", "digits-mlp", "--png", str(tmp_path / "m.png")]) != 0
    out, err = capsys.readouterr()
    assert "│ dense (Dense)" in out
    assert "pydot" in err and "Traceback" not in err and not (tmp_path / "m.png").exists()
