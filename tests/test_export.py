"""Exported scripts are plain Keras, safe whatever the preset says, and name what Keras names.

That an exported run redoes the run exactly (its script executed) is tests/test_export_reproduces.py.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_preset

from nnbench.core import cli
from nnbench.core.errors import NnbenchError
from nnbench.core.export import comment, export_script, literal
from nnbench.core.model import build_model
from nnbench.core.preset import bundled_presets, load_preset


def _imports(tree: ast.AST) -> set[str]:
    names = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    return names | {node.module.split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module}


def _ruff_undefined_or_unused(folder: Path) -> str:
    """pyflakes' findings (undefined names, unused imports and variables) on every script."""
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated",
                             "--select", "F", "--output-format", "concise", str(folder)],
                            capture_output=True, text=True, timeout=120)
    return "" if result.returncode == 0 else result.stdout + result.stderr


def _top_level_is_only_definitions(tree: ast.Module) -> list[str]:
    """Statements outside functions other than the docstring, imports, constants and main()."""
    odd = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0]:
            continue
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, ast.If) and ast.unparse(node) == "if __name__ == '__main__':\n    main()":
            continue
        odd.append(ast.unparse(node)[:80])
    return odd


# --- every bundled preset: valid, self-contained, lint-clean -------------------------------------


def test_every_bundled_preset_exports_lint_clean_python_without_nnbench(tmp_path: Path) -> None:
    for name in sorted(bundled_presets()):
        script = export_script(load_preset(name))
        tree = ast.parse(script)
        assert "nnbench" not in _imports(tree), name
        assert _top_level_is_only_definitions(tree) == [], name
        compile(script, name, "exec")
        (tmp_path / f"{name.replace('-', '_')}.py").write_text(script, encoding="utf-8")
    assert _ruff_undefined_or_unused(tmp_path) == ""


# --- hostile text is data ------------------------------------------------------------------------

PAYLOAD = "import pathlib; pathlib.Path('PWNED').write_text('x')"


def test_hostile_preset_text_cannot_execute_anything(tmp_path: Path) -> None:
    preset = tiny_preset(
        name=f"evil\nname\x1b]0;title\x07 {PAYLOAD}",
        description=f'"""\n{PAYLOAD}\n"""\r{PAYLOAD}\u2028{PAYLOAD}\x0c# -*- coding: latin-1 -*-',
        data={"source": f"csv:data\n{PAYLOAD}\n.csv", "target": f"y'\n{PAYLOAD}#",
              "scaling": "none", "test_split": 0.2},
    )
    script = export_script(preset)
    tree = ast.parse(script)
    assert _top_level_is_only_definitions(tree) == []
    # The payload appears only inside string literals and comments, never as code.
    code_only = ast.unparse(tree)
    assert "pathlib.Path('PWNED')" not in code_only.replace(repr(preset.data.target_name), "")\
        .replace(repr(preset.data.target), "")
    for line in script.splitlines():
        assert line.isprintable(), repr(line)
    # Importing it defines functions and constants, nothing else: no file appears.
    path = tmp_path / "evil.py"
    path.write_text(script, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("evil_export", path)
    module = importlib.util.module_from_spec(spec)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        spec.loader.exec_module(module)
    finally:
        os.chdir(cwd)
    assert not (tmp_path / "PWNED").exists()
    assert preset.data.target_name == module.DATA  # the path survives as the same text


def test_comments_split_every_line_break_and_show_control_characters() -> None:
    lines = comment("a\nb\rc\u2028d\x85e\x0bf\x1b[2Jg\tz")
    assert [line[:3] for line in lines] == ["# a", "# b", "# c", "# d", "# e", "# f"]
    assert all(line.isprintable() and line.startswith("# ") for line in lines)
    assert "\\x1b[2J" in lines[-1]


def test_literals_round_trip_and_refuse_what_is_not_data() -> None:
    from datetime import date

    for value in ["x\"\"\"'\n\\", 1, -2.5, True, None, [1, [2, "a"]], (3,), {"k": [1.0]}]:
        assert eval(literal(value)) == value  # noqa: S307 - our own literal of plain data
    assert eval(literal(float("inf"))) == float("inf")  # noqa: S307
    assert eval(literal(float("nan"))) != eval(literal(float("nan")))  # noqa: S307
    with pytest.raises(NnbenchError, match="cannot go into a script"):
        literal(date(2026, 1, 1), "model.layers[1].units")


def _functional(names: list[str | None], last_inputs: list[str]) -> dict[str, Any]:
    layers: list[dict[str, Any]] = [{"type": "Input", "shape": [4]}]
    for name in names:
        layers.append({"type": "Dense", "units": 3, "activation": "relu", **({"name": name} if name else {})})
    layers.append({"type": "Concatenate", "inputs": last_inputs})
    layers.append({"type": "Dense", "units": 3, "activation": "softmax"})
    return {"layers": layers}


def _assigned(script: str, function: str) -> list[str]:
    tree = ast.parse(script)
    body = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function).body
    return [t.id for node in body if isinstance(node, ast.Assign) for t in node.targets
            if isinstance(t, ast.Name)]


def test_layer_variables_are_unique_valid_identifiers_for_any_names() -> None:
    names = ["a-b", "a_b", "h²", "은닉층", "class", "1st", "ﬁ", "fi", "print", "model", "np"]
    preset = tiny_preset(model=_functional(names, ["a-b", "a_b", "h²", "은닉층", "class", "1st",
                                                   "ﬁ", "fi", "print", "model", "np"]))
    script = export_script(preset)
    variables = _assigned(script, "build_model")
    import unicodedata

    normalized = [unicodedata.normalize("NFKC", v) for v in variables]
    assert len(set(normalized)) == len(normalized), variables
    assert all(v.isidentifier() for v in variables)
    assert "a_b" in variables and "은닉층" in variables and "h2" in variables
    compile(script, "names", "exec")


def _keras_names_in(script: str) -> list[str]:
    return [re.search(r"name='([^']+)'\)", line).group(1) for line in script.splitlines()
            if "keras.Input(" in line or "= layers." in line]


def _built_names(preset: Any) -> list[str]:
    return [layer.name for layer in build_model(preset.model, (4,)).layers]


def test_functional_graph_with_automatic_names_exports_the_names_keras_gets() -> None:
    # Concatenate of the unnamed Input and the second unnamed Dense: input_layer, dense_1.
    preset = tiny_preset(model=_functional([None, None], ["input_layer", "dense_1"]))
    script = export_script(preset)  # KeyError 'dense' before
    assert _keras_names_in(script) == _built_names(preset) == [
        "input_layer", "dense", "dense_1", "concatenate", "dense_2"]
    assert "layers.Concatenate(name='concatenate')([input_layer, dense_1])" in script


def test_names_keras_refuses_get_the_names_the_trainer_gives_keras() -> None:
    preset = tiny_preset(model=_functional(["은닉층", "h²"], ["은닉층", "h²"]))
    script = export_script(preset)
    assert _keras_names_in(script) == _built_names(preset)
    assert "은닉층 = layers.Dense(" in script  # the variable keeps the user's name


def test_a_model_that_cannot_be_built_is_an_nnbench_error_not_a_crash() -> None:
    preset = tiny_preset(model={"layers": [{"type": "Input", "shape": [4]},
                                           {"type": "Add", "inputs": ["input_layer"]}]})
    with pytest.raises(NnbenchError, match="merges several layers"):
        export_script(preset)


def test_f1_is_the_trainers_choice_for_the_task() -> None:
    from nnbench.core.export import DataFacts

    preset = tiny_preset(compile={"metrics": ["f1"]})
    unknown = export_script(preset)  # a preset alone: the script decides when it sees the labels
    assert "average='micro', threshold=0.5" in unknown and "average='macro'" in unknown
    assert 'task = "regression" if num_classes is None' in unknown
    binary = export_script(preset, facts=DataFacts(task="binary"))  # a run: its task is known
    assert "average='micro', threshold=0.5, name='f1'" in binary
    assert "average='macro'" not in binary and "task =" not in binary


# --- the command line ----------------------------------------------------------------------------


def test_export_refuses_to_overwrite_without_force(tmp_path: Path, capsys) -> None:
    out = tmp_path / "train.py"
    out.write_text("# my edits\n")
    assert cli.main(["export", "digits-mlp", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err and "--force" in err
    assert out.read_text() == "# my edits\n"
    assert cli.main(["export", "digits-mlp", "-o", str(out), "--force"]) == 0
    assert "def build_model" in out.read_text()
    assert not list(tmp_path.glob(".*.tmp"))


def test_export_of_an_unknown_name_is_one_line(tmp_path: Path, capsys) -> None:
    assert cli.main(["export", "no-such-thing", "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such-thing" in err
