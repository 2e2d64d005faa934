"""How the bench starts nnbench and tells when it is ready: its argv, environment and tab keys."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.figures.model import Config
from bench.ptyrun import PtyProgram, TreeMeter
from bench.workloads import BENCH_DIR

REPO = BENCH_DIR.parent
HELLO_APP = BENCH_DIR / "hello_app.py"
APP_READY = "TensorFlow ready"
"""The status line once the app can train (Ctrl+R)."""
FIRST_FRAME_TEXT = ("Build", "Train", "Runs")
"""On the first usable frame: the tab bar."""


def nnbench_argv(*args: str) -> list[str]:
    """What the ``nnbench`` console script runs (headless commands and the app): ``nnbench.tui``
    where it has a ``__main__`` (the entry point moves there), else ``nnbench.core.cli``."""
    try:
        import nnbench.tui

        # the package's own folder (an import hook could resolve __main__ from another copy)
        has_main = any((Path(p) / "__main__.py").exists() for p in nnbench.tui.__path__)
    except ImportError:
        has_main = False
    return [sys.executable, "-m", "nnbench.tui" if has_main else "nnbench.core.cli", *args]


def app_env(runs_dir: Path) -> dict[str, str]:
    return {"NNBENCH_RUNS_DIR": str(runs_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}


def tab_keys(config: Config) -> dict[str, str]:
    """The app's own tab keys (``show_tab`` bindings in tui/app.py), or the configured ones."""
    if config.tab_keys:
        return dict(config.tab_keys)
    from nnbench.tui.app import NnbenchApp

    keys: dict[str, str] = {}
    for binding in NnbenchApp.BINDINGS:
        action = getattr(binding, "action", "")
        if action.startswith("show_tab("):
            tab = action[len("show_tab("):-1].strip("'\"")
            keys.setdefault(tab, binding.key.split(",")[0].strip())
    return keys


def start_app(preset: Path | None, runs_dir: Path, live: bool = True) -> PtyProgram:
    argv = nnbench_argv(*([str(preset)] if preset else []))
    return PtyProgram(argv, env=app_env(runs_dir), live=live, cwd=runs_dir.parent)


def wait_ready(app: PtyProgram, meter: TreeMeter | None = None, timeout: float = 180) -> float:
    t = app.wait_for(lambda s: APP_READY in s, timeout,
                     also=(lambda: meter.sample()) if meter else None)
    if t is None:
        raise RuntimeError(f"the app did not say {APP_READY!r} within {timeout:.0f}s:\n"
                           + app.text())
    app.drain(0.5)
    return t
