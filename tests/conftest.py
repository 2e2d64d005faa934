"""Shared fixtures: tiny presets that train in a second with real Keras."""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# English whatever the machine's locale (the snapshots are English); the Korean tests set it.
os.environ["NNBENCH_LANG"] = "en"

from nnbench.core import analysis_service  # noqa: E402
from nnbench.core.analysis_service import Analyzer  # noqa: E402
from nnbench.core.preset import Preset, preset_from_dict  # noqa: E402

TINY: dict[str, Any] = {
    "name": "tiny-iris",
    "data": {"source": "sklearn:iris", "scaling": "standardize", "test_split": 0.2},
    "model": {"layers": [
        {"type": "Input", "shape": [4]},
        {"type": "Dense", "units": 8, "activation": "relu"},
        {"type": "Dense", "units": 3, "activation": "softmax"},
    ]},
    "compile": {"loss": "sparse_categorical_crossentropy", "optimizer": "adam",
                "metrics": ["accuracy"]},
    "fit": {"epochs": 3, "batch_size": 16, "validation_split": 0.2, "seed": 7},
}


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "callbacks":
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def tiny_preset(**changes: Any) -> Preset:
    """The tiny iris preset with sections deep-merged from ``changes``."""
    return preset_from_dict(merge(TINY, changes))


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    return tmp_path / "runs"


class SharedChecker(Analyzer):
    """The checking helper every app of one test worker uses (issue 10). The app ends its helper
    when a run starts in a process of its own; in the real app the next edit starts it again, in
    the suite that is the next test, which paid a TensorFlow import (~14 s on a loaded 2-core
    machine) for it. Here a release is counted (a test can check the app asked for one) and the
    helper stays for the next app. tests/test_analysis_service.py starts helpers of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.releases = 0

    def release(self) -> None:
        self.releases += 1

    def end(self) -> None:
        super().release()


@pytest.fixture(scope="session", autouse=True)
def shared_checker() -> Iterator[SharedChecker]:
    """Installed as the process's default helper before any app opens; it starts on first use,
    so a worker that opens no app starts none."""
    checker = SharedChecker()
    previous, analysis_service._default = analysis_service._default, checker
    try:
        yield checker
    finally:
        analysis_service._default = previous
        checker.end()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: starts processes that import TensorFlow; part of "
                                       "the default run")


async def settle(app: Any) -> None:
    """Wait for the app's workers to finish — all but the Runs view's folder watcher, which
    lives as long as the view (``app.workers.wait_for_complete()`` would wait forever)."""
    from textual.worker import WorkerCancelled

    for worker in [w for w in app.workers if w.group != "runs"]:
        # Cancelled: superseded by a newer exclusive one (a re-check after a load), in this list
        # too. A worker that failed still raises WorkerFailed here, as it should.
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()


LONGEST_FIRST = ("test_detach.py", "test_export_reproduces.py", "test_tui_runs.py",
                 "test_tui_train.py", "test_data.py", "test_evaluate.py", "test_tui_build.py",
                 "test_tui_newcomer.py", "test_training.py", "test_tui_palette.py",
                 "test_tui_palette_more.py", "test_hostile_app.py")
"""The slowest files (measured with `--durations`), handed out first: xdist gives work in
collection order (``--no-loadscope-reorder``), so a long file collected last would run alone on
one worker at the end while the other waits."""

WIDER_SCOPES = ("class", "module", "package", "session")


def _shares_a_fixture(item: pytest.Item) -> bool:
    """Whether ``item`` uses a fixture its own file defines wider than one test (a module of real
    trained runs, the detach test's fleet of processes): such a file must run on one worker, in
    order, or the fixture is built once per worker and tests that take turns with it break."""
    module = item.nodeid.split("::", 1)[0]
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(fixture.scope in WIDER_SCOPES and fixture.baseid == module
               for fixtures in info.name2fixturedefs.values() for fixture in fixtures)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks (``--dist loadgroup``)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files sharing a fixture run whole on one worker (an ``xdist_group`` of the file); every other
    test is handed out on its own, so one long file of independent tests (tests/test_tui_build.py)
    spreads over both workers instead of being the last thing one of them runs."""
    grouped = {item.path.name for item in items if _shares_a_fixture(item)}
    for item in items:
        if item.path.name in grouped:
            item.add_marker(pytest.mark.xdist_group(item.path.name))
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    # Whole files first (they are the long units), each by its measured rank; a stable sort, so
    # every file keeps its own order and stays in one piece.
    items.sort(key=lambda item: (item.path.name not in grouped,
                                 rank.get(item.path.name, len(rank))))
