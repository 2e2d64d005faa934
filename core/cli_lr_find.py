"""``nnbench lr-find PRESET``: the learning-rate range test (core/lr_find.py) without a screen —
the curve as a table and the suggested learning rate."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from nnbench.core.format import fmt_lr, fmt_value
from nnbench.core.i18n import N_, _
from nnbench.core.lr_find import END_LR, START_LR, STEPS, LrFindResult
from nnbench.core.text import cell_pad, printable

if TYPE_CHECKING:
    from nnbench.core.cli_common import Subcommands

TABLE_ROWS = 25
"""Rows the table shows without --all: every k-th point, plus the suggested one and the lowest."""

_ENDED = {
    "diverged": N_("stopped when the loss diverged"),
    "done": N_("ran every step without the loss diverging: try a larger --end"),
    "stopped": N_("stopped"),
}
"""How the test ended, in words (translated where shown: the dict is built at import)."""


def table_lines(result: LrFindResult, *, every: bool = False) -> list[str]:
    """The curve as rows of learning rate, loss and smoothed loss; the suggestion marked."""
    points = result.points
    lowest = min(range(len(points)), key=lambda i: points[i].smoothed) if points else None
    step = 1 if every or len(points) <= TABLE_ROWS else -(-len(points) // TABLE_ROWS)
    shown = sorted({*range(0, len(points), step), len(points) - 1,
                    *(i for i in (result.suggested_index, lowest) if i is not None)})
    # Padded by cell width: a translated heading may hold wide characters.
    lines = ["  ".join([cell_pad(_("learning rate"), 14, ">"), cell_pad(_("loss"), 10, ">"),
                        cell_pad(_("smoothed"), 10, ">")])]
    for i in shown:
        p = points[i]
        mark = ("  <- " + _("suggested: the loss falls fastest here") if i == result.suggested_index
                else "  <- " + _("lowest loss") if i == lowest else "")
        lines.append(f"{p.learning_rate:>14.3e}  {fmt_value(p.loss):>10}  "
                     f"{fmt_value(p.smoothed):>10}{mark}")
    return lines


def summary_lines(result: LrFindResult, preset_name: str) -> list[str]:
    """What the test found, in words, with the preset key to set."""
    n = len(result.points)
    first = fmt_lr(result.points[0].learning_rate) if n else "-"
    last = fmt_lr(result.points[-1].learning_rate) if n else "-"
    ended = _(_ENDED.get(result.ended, result.ended))
    lines = [_("lr-find {preset}: {n} batches of {batch_size}, learning rate {first} to {last}; "
               "{ended}").format(preset=printable(preset_name), n=n, batch_size=result.batch_size,
                                 first=first, last=last, ended=ended)]
    current = (_("; the preset has {lr}").format(lr=fmt_lr(result.current_lr))
               if result.current_lr else "")
    if result.suggested is None:
        lines.append(_("no suggestion: the loss never fell over this range; try a smaller --start "
                       "or more --steps{current}").format(current=current))
    else:
        suggested = fmt_lr(result.suggested)
        lines.append(_("suggested learning rate: {lr} (where the loss falls fastest){current}").format(
            lr=suggested, current=current))
        lines.append(_("set it: compile.optimizer.learning_rate = {lr}").format(lr=suggested))
    return lines


def cmd_lr_find(args: argparse.Namespace) -> int:
    from nnbench.core.errors import NnbenchError
    from nnbench.core.keras_env import import_keras
    from nnbench.core.lr_find import lr_range_test
    from nnbench.core.preset import load_preset

    if args.steps < 3:
        raise NnbenchError(_("--steps must be 3 or more, not {steps}").format(steps=args.steps))
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
    find = sub.add_parser("lr-find", help=_("find a learning rate: a short range test on a fresh "
                                            "model, the loss against the rate, a suggestion"))
    find.add_argument("preset", metavar="PRESET|PATH")
    find.add_argument("--steps", type=int, default=STEPS,
                      help=_("batches, one learning rate each (default {steps})").format(
                          steps=STEPS))
    find.add_argument("--start", type=float, default=START_LR,
                      help=_("the first learning rate (default {lr})").format(lr=f"{START_LR:g}"))
    find.add_argument("--end", type=float, default=END_LR,
                      help=_("the last learning rate, unless the loss diverges first (default "
                             "{lr})").format(lr=f"{END_LR:g}"))
    find.add_argument("--all", action="store_true", help=_("a row for every batch"))
    find.set_defaults(func=cmd_lr_find, native_log=True)
