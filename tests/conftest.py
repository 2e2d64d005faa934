"""Shared fixtures: tiny presets that train in a second with real Keras."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: starts processes that import TensorFlow; part of "
                                       "the default run")


async def settle(app: Any) -> None:
    """Wait for the app's workers to finish — all but the Runs view's folder watcher, which
    lives as long as the view (``app.workers.wait_for_complete()`` would wait forever)."""
    others = [w for w in app.workers if w.group != "runs"]
    if others:  # an empty list means "all of them" to Textual
        await app.workers.wait_for_complete(others)


LONGEST_FIRST = ("test_detach.py", "test_tui_palette.py", "test_tui_palette_more.py",
                 "test_export_reproduces.py", "test_tui_build.py", "test_tui_train.py",
                 "test_training.py")
"""The slowest files (measured one at a time, `--durations`), started first: xdist's
``--dist loadfile`` hands files out in collection order, so a long file collected last would run
alone on one worker at the end while the other waits."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    # A stable sort by file: every file keeps its own order, and stays in one piece.
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
