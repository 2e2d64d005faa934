"""The ``nnbench`` command: the TUI by default, and headless train / summary / presets / runs.

Errors are one line on stderr and exit code 2; no traceback reaches a person.

The commands live in a module a group: core/cli_run.py (train, resume, attach, stop),
core/cli_show.py (summary, data, graph, explain), core/cli_inspect.py (export, presets, runs,
evaluate, compare); the console printer in core/cli_print.py and what they share in
core/cli_common.py. To add a command, write its ``add_*_commands(sub, runs_dir)`` in a module of
its own (see ``AddCommands`` in core/cli_common.py) and add that function to ``COMMAND_GROUPS``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nnbench.core.cli_common import (
    EXIT_USAGE,
    AddCommands,
    AppOpener,
    runs_dir_of,
    set_app_opener,
)
from nnbench.core.cli_common import open_app as open_the_app
from nnbench.core.cli_devices import add_devices_command
from nnbench.core.cli_inspect import (
    add_inspect_commands,
    cmd_compare,
    cmd_evaluate,
    cmd_export,
    cmd_presets,
    cmd_runs,
)
from nnbench.core.cli_lr_find import add_lr_find_command
from nnbench.core.cli_print import ConsolePrinter, format_logs
from nnbench.core.cli_run import add_run_commands, cmd_attach, cmd_resume, cmd_stop, cmd_train
from nnbench.core.cli_show import add_show_commands
from nnbench.core.cli_steer import add_steer_command
from nnbench.core.errors import NnbenchError
from nnbench.core.explain import wrap_cells
from nnbench.core.i18n import _
from nnbench.core.text import cell_width, printable

if TYPE_CHECKING:
    from nnbench.core.cli_common import Subcommands

__all__ = [
    "COMMAND_GROUPS", "EXIT_USAGE", "AppOpener", "ConsolePrinter", "build_parser", "cmd_attach",
    "cmd_compare", "cmd_evaluate", "cmd_export", "cmd_presets", "cmd_resume", "cmd_runs", "cmd_stop",
    "cmd_train", "cmd_tui", "format_logs", "main",
]


class _CellWidthHelp(argparse.HelpFormatter):
    """argparse's help wrapped by terminal cells: a Korean character takes two, and textwrap,
    counting characters, lets a translated help run past the edge. Text of one cell a character
    (English) is wrapped by argparse itself, exactly as before."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        if cell_width(text) == len(text):
            return super()._split_lines(text, width)
        return wrap_cells(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if cell_width(text) == len(text):
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in wrap_cells(text, width - len(indent)))


class _Parser(argparse.ArgumentParser):
    """nnbench's parser; its subcommands' parsers are of this class too (argparse makes them with
    the parent's class), so every help is wrapped by cell width."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _CellWidthHelp)
        super().__init__(*args, **kwargs)


def cmd_tui(args: argparse.Namespace) -> int:
    return open_the_app(args.preset, runs_dir_of(args), None)


def add_open_command(sub: Subcommands, runs_dir: argparse.ArgumentParser) -> None:
    """``nnbench open``: what ``nnbench`` and ``nnbench PRESET`` are routed to."""
    tui = sub.add_parser("open", parents=[runs_dir], help=_("open the full-screen app (the default)"))
    tui.add_argument("preset", nargs="?", metavar="PRESET|PATH")
    tui.set_defaults(func=cmd_tui)


COMMAND_GROUPS: tuple[AddCommands, ...] = (
    add_run_commands,
    add_show_commands,
    add_inspect_commands,
    add_steer_command,
    add_lr_find_command,
    add_devices_command,
    # A new command group: one line here, e.g. ``add_devices_command,`` (its module imported above).
    # ``--help`` lists the commands in this order.
    add_open_command,
)
"""Every ``nnbench`` subcommand, a group a function (see ``AddCommands`` in core/cli_common.py)."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="nnbench",
        usage="nnbench [-h] [PRESET|PATH]\n       nnbench COMMAND ...",
        description=_("A terminal workbench for training Keras models. With no command, opens the "
                      "full-screen app on PRESET (a bundled or saved preset's name, or a .toml "
                      "file; default: digits-mlp)."),
    )
    runs_dir = argparse.ArgumentParser(add_help=False)
    runs_dir.add_argument("--runs-dir", metavar="D",
                          help=_("where runs are stored (default: $NNBENCH_RUNS_DIR or "
                                 "~/.local/share/nnbench/runs)"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add_commands in COMMAND_GROUPS:
        add_commands(sub, runs_dir)
    return parser


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._subparsers._actions if parser._subparsers else ():  # noqa: SLF001
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return {*action.choices, "-h", "--help"}
    return {"-h", "--help"}


def _run(args: argparse.Namespace) -> int:
    if getattr(args, "native_log", False):  # the command loads TensorFlow: its C++ log to a file
        from nnbench.core.native_log import native_stderr_to

        with native_stderr_to():
            return int(args.func(args) or 0)
    return int(args.func(args) or 0)


def main(argv: Sequence[str] | None = None, *, open_app: AppOpener | None = None) -> int:
    set_app_opener(open_app)
    # Started with stdout or stderr closed (`nnbench train P >&-`, some schedulers): Python
    # leaves them None. Train quietly rather than fail on the first line printed.
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # `nnbench` and `nnbench PRESET` open the app: route them to the `open` command.
    if not argv or argv[0] not in _commands(parser):
        argv = ["open", *argv]
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    started = time.monotonic()
    try:
        return _run(args)
    except NnbenchError as exc:
        print(f"nnbench: {printable(exc.message, newlines=True)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`nnbench runs | head`): not an error. Point stdout at devnull so
        # Python's final flush doesn't complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        seconds = f"{time.monotonic() - started:.0f}"
        print("\nnnbench: " + _("interrupted after {seconds}s").format(seconds=seconds),
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
