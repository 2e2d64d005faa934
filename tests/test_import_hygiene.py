"""core/ never imports textual, and TensorFlow/Keras load only when training needs them.

Each check runs in a fresh interpreter: this test process may already have imported anything.
"""

from __future__ import annotations

import importlib.util
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nnbench.core

FORBIDDEN = ("textual", "tensorflow", "keras")

HEADLESS_MODULES = ("nnbench.core.preset", "nnbench.core.catalog", "nnbench.core.errors",
                    "nnbench.core.events")
# Being written now; checked as soon as they exist.
LATER_MODULES = ("nnbench.core.cli", "nnbench.core.runs", "nnbench.core.training",
                 "nnbench.core.model", "nnbench.core.data")
# Whatever else lives in core/ obeys the same rule.
AFTER_KERAS = {"nnbench.core.keras_callbacks"}
"""Modules that are Keras code (callback classes): only the Trainer imports them, after Keras."""
ALL_CORE_MODULES = tuple(sorted(
    (set(HEADLESS_MODULES + LATER_MODULES)
     | {f"nnbench.core.{m.name}" for m in pkgutil.iter_modules(nnbench.core.__path__)})
    - AFTER_KERAS))

REPORT_FORBIDDEN = f"""
import json, sys
loaded = sorted({{m.partition(".")[0] for m in sys.modules}} & set({FORBIDDEN!r}))
print("\\n" + json.dumps(loaded))
"""


def _exists(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _forbidden_after(code: str) -> tuple[list[str], str]:
    """Run code in a fresh interpreter; return the forbidden packages it loaded, and its stdout."""
    proc = subprocess.run([sys.executable, "-c", code + REPORT_FORBIDDEN],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    *out, last = proc.stdout.rstrip("\n").split("\n")
    return json.loads(last), "\n".join(out)


def test_the_report_sees_a_forbidden_import() -> None:
    # Guards the check itself: if it could not see textual, the tests below could not fail.
    loaded, _ = _forbidden_after("import textual")
    assert loaded == ["textual"]


@pytest.mark.parametrize("module", ALL_CORE_MODULES)
def test_core_module_imports_without_textual_or_tensorflow(module: str) -> None:
    if not _exists(module):
        pytest.skip(f"{module} does not exist yet")
    loaded, _ = _forbidden_after(f"import {module}")
    assert loaded == [], f"importing {module} loaded {', '.join(loaded)}"


def test_all_core_modules_together_import_without_textual_or_tensorflow() -> None:
    present = [m for m in ALL_CORE_MODULES if _exists(m)]
    loaded, _ = _forbidden_after("\n".join(f"import {m}" for m in present))
    assert loaded == [], f"importing {', '.join(present)} loaded {', '.join(loaded)}"


def test_cli_listing_presets_does_not_load_tensorflow() -> None:
    if not _exists("nnbench.core.cli"):
        pytest.skip("nnbench.core.cli does not exist yet")
    code = """
from nnbench.core.cli import main
try:
    code = main(["presets"])
except SystemExit as exit:
    code = exit.code
assert code in (None, 0), f"main(['presets']) returned {code!r}"
"""
    loaded, stdout = _forbidden_after(code)
    assert "digits-mlp" in stdout, "the presets listing does not name the bundled presets"
    assert "tensorflow" not in loaded
    assert "keras" not in loaded


def test_core_never_names_the_tui() -> None:
    """core must not depend on tui, not even lazily: the console script hands core the opener."""
    core = Path(__file__).resolve().parents[1] / "core"
    pattern = re.compile(r"^\s*(from|import)\s+nnbench\.tui", re.MULTILINE)
    offenders = [p.name for p in core.glob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_console_script_runs_headless_commands_without_textual() -> None:
    code = """
from nnbench.tui.main import main
try:
    code = main(["presets"])
except SystemExit as exit:
    code = exit.code
assert code in (None, 0), code
"""
    loaded, stdout = _forbidden_after(code)
    assert "digits-mlp" in stdout
    assert loaded == [], f"`nnbench presets` loaded {', '.join(loaded)}"
