"""``nnbench lr-find PRESET``: the learning-rate range test (core/lr_find.py) without a screen —
the curve as a table and the suggested learning rate."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from nnbench.core.format import fmt_lr, fmt_value
from nnbench.core.lr_find import END_LR, START_LR, STEPS, LrFindResult
from nnbench.core.text import printable

if TYPE_CHECKING:
    from nnbench.core.cli_common import Subcommands

TABLE_ROWS = 25
"""Rows the table shows without --all: every k-th point, plus the suggested one and the lowest."""

_ENDED = {
    "diverged": "stopped when the loss diverged",
    "done": "ran every step without the loss diverging: try a larger --end",
    "stopped": "stopped",
}


def table_lines(result: LrFindResult, *, every: bool = False) -> list[str]:
    """The curve as rows of learning rate, loss and smoothed loss; the suggestion marked."""
    points = result.points
    lowest = min(range(len(points)), key=lambda i: points[i].smoothed) if points else None
    step = 1 if every or len(points) <= TABLE_ROWS else -(-len(points) // TABLE_ROWS)
    shown = sorted({*range(0, len(points), step), len(points) - 1,
                    *(i for i in (result.suggested_index, lowest) if i is not None)})
    lines = [f"{'learning rate':>14}  {'loss':>10}  {'smoothed':>10}"]
    for i in shown:
        p = points[i]
        mark = ("  <- suggested: the loss falls fastest here" if i == result.suggested_index
                else "  <- lowest loss" if i == lowest else "")
        lines.append(f"{p.learning_rate:>14.3e}  {fmt_value(p.loss):>10}  "
                     f"{fmt_value(p.smoothed):>10}{mark}")
    return lines


def summary_lines(result: LrFindResult, preset_name: str) -> list[str]:
    """What the test found, in words, with the preset key to set."""
    n = len(result.points)
    first = fmt_lr(result.points[0].learning_rate) if n else "-"
    last = fmt_lr(result.points[-1].learning_rate) if n else "-"
    lines = [f"lr-find {printable(preset_name)}: {n} batches of {result.batch_size}, learning rate "
             f"{first} to {last}; {_ENDED.get(result.ended, result.ended)}"]
    current = f"; the preset has {fmt_lr(result.current_lr)}" if result.current_lr else ""
    if result.suggested is None:
        lines.append("no suggestion: the loss never fell over this range; try a smaller --start "
                     f"or more --steps{current}")
    else:
        lines.append(f"suggested learning rate: {fmt_lr(result.suggested)} (where the loss falls "
                     f"fastest){current}")
        lines.append(f"set it: compile.optimizer.learning_rate = {fmt_lr(result.suggested)}")
    return lines


def cmd_lr_find(args: argparse.Namespace) -> int:
    from nnbench.core.errors import NnbenchError
    from nnbench.core.keras_env import import_keras
    from nnbench.core.lr_find import lr_range_test
    from nnbench.core.preset import load_preset

    if args.steps < 3:
        raise NnbenchError(f"--steps must be 3 or more, not {args.steps}")
    preset = load_preset(args.preset)
    import_keras()
    result = lr_range_test(preset, start=args.start, end=args.end, steps=args.steps)
    for note in result.notes:
        print(printable(note))
    for line in [*table_lines(result, every=args.all), "", *summary_lines(result, preset.name)]:
        print(line)
    return 0


def add_lr_find_command(sub: Subcommands, runs_dir: argparse.ArgumentParser) -> None:
    """``nnbench lr-find``: a learning-rate range test on a fresh model of a preset."""
    find = sub.add_parser("lr-find", help="find a learning rate: a short range test on a fresh "
                                          "model, the loss against the rate, a suggestion")
    find.add_argument("preset", metavar="PRESET|PATH")
    find.add_argument("--steps", type=int, default=STEPS,
                      help=f"batches, one learning rate each (default {STEPS})")
    find.add_argument("--start", type=float, default=START_LR,
                      help=f"the first learning rate (default {START_LR:g})")
    find.add_argument("--end", type=float, default=END_LR,
                      help=f"the last learning rate, unless the loss diverges first "
                           f"(default {END_LR:g})")
    find.add_argument("--all", action="store_true", help="a row for every batch")
    find.set_defaults(func=cmd_lr_find, native_log=True)
