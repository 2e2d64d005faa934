"""Every event type is handled where events are dispatched: a new one can't be silently dropped.

core/run_state.py (the run model) and core/describe.py (the words of the event log and the CLI)
``match`` on the ``Event`` union and end with ``assert_never``; mypy then names any event type
without a case. These tests prove both halves: the union is the registry events are read back
with, and mypy really does object to a new event the dispatchers don't know.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from nnbench.core import events as ev
from nnbench.core.describe import describe
from nnbench.core.run_state import RunState

CORE = Path(__file__).resolve().parents[1] / "core"
PYPROJECT = CORE.parent / "pyproject.toml"


def test_the_event_union_is_the_registry_events_are_read_back_with() -> None:
    assert set(typing.get_args(ev.Event)) == set(ev.EVENT_TYPES.values())


def test_something_that_is_not_an_event_is_refused_not_ignored() -> None:
    with pytest.raises(AssertionError):
        describe(object())  # type: ignore[arg-type]
    with pytest.raises(AssertionError):
        RunState().apply(object())  # type: ignore[arg-type]


def test_mypy_names_a_new_event_type_the_dispatchers_do_not_handle(tmp_path: Path) -> None:
    """core/ copied with one more event in the union: mypy must flag both dispatchers."""
    package = tmp_path / "nnbench"
    shutil.copytree(CORE, package / "core", ignore=shutil.ignore_patterns("__pycache__"))
    (package / "__init__.py").write_text("", encoding="utf-8")
    events = package / "core" / "events.py"
    source = events.read_text(encoding="utf-8")
    assert "\nEvent = (\n    RunStarted\n" in source, "the Event union moved: update this test"
    source = source.replace("\nEvent = (\n    RunStarted\n",
                            "\n@dataclass(frozen=True)\nclass Brand_New:\n    x: int\n\n\n"
                            "Event = (\n    Brand_New\n    | RunStarted\n")
    events.write_text(source, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(PYPROJECT), "--cache-dir",
         str(tmp_path / "cache"), "--follow-imports", "silent",
         "-p", "nnbench.core.run_state", "-p", "nnbench.core.describe"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={"MYPYPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    flagged = {line.split(":")[0].replace("\\", "/") for line in proc.stdout.splitlines()
               if "assert_never" in line and "Brand_New" in line}
    assert flagged == {"nnbench/core/run_state.py", "nnbench/core/describe.py"}, proc.stdout
