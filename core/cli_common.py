"""What every ``nnbench`` command module shares: the exit code of a usage error, the options read
the same way everywhere, and the one way to open the app (core never imports the TUI)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from nnbench.core.errors import NnbenchError
from nnbench.core.i18n import _

if TYPE_CHECKING:
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]  # noqa: SLF001

EXIT_USAGE = 2

AddCommands: TypeAlias = "Callable[[Subcommands, argparse.ArgumentParser], None]"
"""Adds one group of subcommands: called with ``nnbench``'s subparsers and the parent parser that
gives a command ``--runs-dir`` (pass it as ``parents=[runs_dir]``). Each subcommand sets
``func`` (called with the parsed arguments, returns the exit code) and, when it loads TensorFlow,
``native_log=True`` so TensorFlow's C++ chatter goes to a log file instead of the terminal."""

AppOpener = Callable[[str | None, Path | None, Path | None], int]
"""Opens the full-screen app on (preset, runs folder, run to attach). The ``nnbench`` console
script (nnbench.tui.main) passes it in: core never imports the TUI, not even lazily."""

_app_opener: AppOpener | None = None


def set_app_opener(opener: AppOpener | None) -> None:
    """Keep ``opener`` for this process (None keeps the one given before)."""
    global _app_opener
    _app_opener = opener or _app_opener


def open_app(preset: str | None, runs_dir: Path | None, attach: Path | None) -> int:
    if _app_opener is None:
        raise NnbenchError(_("this entry point has no screen; run `nnbench` (or python -m "
                             "nnbench.tui) to open the app, or use a headless command (nnbench "
                             "--help)"))
    return _app_opener(preset, runs_dir, attach)


def runs_dir_of(args: argparse.Namespace) -> Path | None:
    """The ``--runs-dir`` given, or None for the default (RunStore decides it)."""
    return Path(args.runs_dir).expanduser() if getattr(args, "runs_dir", None) else None


def epochs_of(args: argparse.Namespace) -> int | None:
    """The ``--epochs`` given (None: the preset's), refused below 1."""
    if args.epochs is not None and args.epochs < 1:
        raise NnbenchError(_("--epochs must be 1 or more, not {epochs}").format(epochs=args.epochs))
    return int(args.epochs) if args.epochs is not None else None
