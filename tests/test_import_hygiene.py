"""core/ never imports textual, and TensorFlow/Keras load only when training needs them.

Each check runs in a fresh interpreter: this test process may already have imported anything.
"""

from __future__ import annotations

import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nnbench.core

FORBIDDEN = ("textual", "tensorflow", "keras")

AFTER_KERAS = {"nnbench.core.keras_callbacks", "nnbench.core.health_callback"}
"""Modules that are Keras code (callback classes): only the Trainer imports them, after Keras."""
ALL_CORE_MODULES = tuple(sorted(
    {m.name for m in pkgutil.walk_packages(nnbench.core.__path__, "nnbench.core.")} - AFTER_KERAS))
"""Every module in core/, the data/ and export/ packages' own modules included."""
KNOWN = ("nnbench.core.preset", "nnbench.core.catalog", "nnbench.core.errors",
         "nnbench.core.events", "nnbench.core.cli", "nnbench.core.runs", "nnbench.core.training",
         "nnbench.core.model", "nnbench.core.data", "nnbench.core.data.files",
         "nnbench.core.export.script")
"""A few that must be found: a walk that found nothing would check nothing."""

REPORT_FORBIDDEN = f"""
import json, sys
loaded = sorted({{m.partition(".")[0] for m in sys.modules}} & set({FORBIDDEN!r}))
print("\\n" + json.dumps(loaded))
"""


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
    loaded, _ = _forbidden_after(f"import {module}")
    assert loaded == [], f"importing {module} loaded {', '.join(loaded)}"


def test_every_core_module_is_checked() -> None:
    assert set(KNOWN) <= set(ALL_CORE_MODULES)


def test_all_core_modules_together_import_without_textual_or_tensorflow() -> None:
    loaded, _ = _forbidden_after("\n".join(f"import {m}" for m in ALL_CORE_MODULES))
    assert loaded == [], f"importing {', '.join(ALL_CORE_MODULES)} loaded {', '.join(loaded)}"


def test_cli_listing_presets_does_not_load_tensorflow() -> None:
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
    files = list(core.rglob("*.py"))  # the data/ and export/ packages too
    assert any(p.parent.name == "data" for p in files)
    offenders = [str(p.relative_to(core)) for p in files
                 if pattern.search(p.read_text(encoding="utf-8"))]
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
