"""``nnbench evaluate RUN``: its options and what it prints.

Pictures (the mistakes of an image data set) are drawn with coloured half-blocks when stdout is a
terminal that shows colour (Rich decides: not for ``TERM=dumb``, not with ``NO_COLOR`` set), and
in shade characters otherwise (a pipe, a file, ``--plain``), with a note saying so; everything else
is the same text either way.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from typing import Any

from nnbench.core.errors import NnbenchError
from nnbench.core.i18n import _


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help=_("a run id (or the start of one) or a run folder"))
    parser.add_argument("--split", choices=("test", "validation"),
                        help=_("the data to predict on (default: test, else validation)"))
    parser.add_argument("--true", metavar="CLASS",
                        help=_("only mistakes whose true class is CLASS (a name or its number)"))
    parser.add_argument("--predicted", metavar="CLASS",
                        help=_("only mistakes predicted as CLASS (a name or its number)"))
    parser.add_argument("--limit", type=int, default=10,
                        help=_("mistakes (or residuals) to show, at most 64 (default 10)"))
    parser.add_argument("--width", type=int, help=_("columns to draw in (default: the terminal's)"))
    parser.add_argument("--plain", action="store_true",
                        help=_("pictures in shade characters even on a colour terminal"))
    parser.set_defaults(func=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from nnbench.core.cli_common import runs_dir_of
    from nnbench.core.evaluate import evaluate_run
    from nnbench.core.evaluate_report import evaluation_report, has_pictures, report_rich
    from nnbench.core.native_log import native_stderr_to
    from nnbench.core.runs import RunStore

    folder = RunStore(runs_dir_of(args)).resolve(args.run)
    if args.limit < 0:
        raise NnbenchError(_("--limit must be 0 or more, not {limit}").format(limit=args.limit))
    width = getattr(args, "width", None) or shutil.get_terminal_size((100, 24)).columns
    if width < 20:
        raise NnbenchError(_("--width must be 20 or more, not {width}").format(width=width))
    with native_stderr_to():
        evaluation = evaluate_run(folder, split=args.split)
    options = {"limit": args.limit, "true": args.true, "predicted": args.predicted, "width": width}
    console = _colour_console(width) if not getattr(args, "plain", False) else None
    if console is not None:
        console.print(report_rich(evaluation, **options))
        return 0
    print(evaluation_report(evaluation, **options))
    if has_pictures(evaluation) and args.limit:
        print(_("note: pictures in shade characters (stdout is not a colour terminal, or --plain); "
                "in a colour terminal they are drawn in half-blocks"))
    return 0


def _colour_console(width: int) -> Any:
    """A Rich console for stdout when it is a terminal that shows colour, else None."""
    if not sys.stdout.isatty():
        return None
    from rich.console import Console

    console = Console(width=width, highlight=False, soft_wrap=False)
    return console if console.color_system is not None else None
