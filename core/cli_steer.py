"""``nnbench steer RUN --lr 1e-4 --patience 10``: change the learning rate and/or EarlyStopping
patience of a run training in another process (through its control file, core/control.py), and
say what the run did with it."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from nnbench.core.cli_common import runs_dir_of
from nnbench.core.errors import NnbenchError
from nnbench.core.i18n import _

if TYPE_CHECKING:
    from nnbench.core.cli_common import Subcommands
    from nnbench.core.events import Event

WAIT_SECONDS = 10.0
"""How long steer waits for the run to say it applied the change (it does before its next batch)."""


def _answers(folder: Path, seen: int) -> tuple[list[Event], int]:
    """Events after the first ``seen`` that answer a steer: the change, or why it was not made."""
    from nnbench.core.events import LearningRateChanged, Notice, PatienceChanged, RunFinished
    from nnbench.core.runs import read_events

    events = read_events(folder / "events.jsonl")
    new = [e for e in events[seen:] if (isinstance(e, LearningRateChanged) and e.steered)
           or isinstance(e, (PatienceChanged, RunFinished))
           or (isinstance(e, Notice) and e.refused_steer)]
    return new, len(events)


def wait_for_answer(folder: Path, seen: int, wanted: int, timeout: float) -> list[Event]:
    """The run's answers (up to ``wanted`` of them) within ``timeout`` seconds."""
    from nnbench.core.events import RunFinished

    answers: list[Event] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(answers) < wanted:
        new, seen = _answers(folder, seen)
        answers += new
        if any(isinstance(e, RunFinished) for e in new):
            break
        time.sleep(0.2)
    return answers


def _asked(run: str, lr: float | None, patience: int | None) -> str:
    """What was asked of the run, one whole sentence for each combination."""
    if lr is not None and patience is not None:
        return _("asked {run} for learning rate {lr} and patience {patience}").format(
            run=run, lr=f"{lr:g}", patience=patience)
    if lr is not None:
        return _("asked {run} for learning rate {lr}").format(run=run, lr=f"{lr:g}")
    return _("asked {run} for patience {patience}").format(run=run, patience=patience)


def cmd_steer(args: argparse.Namespace) -> int:
    from nnbench.core.control import check_steer, steer
    from nnbench.core.describe import describe
    from nnbench.core.runs import RunStore, read_events

    wish = check_steer(args.lr, args.patience)
    folder = RunStore(runs_dir_of(args)).resolve(args.run)
    record = RunStore(folder.parent).read(folder)
    if record.status != "running":
        raise NnbenchError(_("run '{run}' is not training (it is {status}); only a running run can "
                             "be steered (nnbench runs lists them)").format(
            run=folder.name, status=record.status))
    seen = len(read_events(folder / "events.jsonl"))
    try:
        steer(folder, learning_rate=wish.learning_rate, patience=wish.patience)
    except OSError as exc:
        raise NnbenchError(_("cannot write to {folder}: {reason}").format(
            folder=folder, reason=exc.strerror)) from None
    print(_asked(folder.name, args.lr, args.patience), file=sys.stderr)
    if args.no_wait:
        return 0
    wanted = (args.lr is not None) + (args.patience is not None)
    answers = wait_for_answer(folder, seen, wanted, args.wait)
    for event in answers:
        for line in describe(event):
            print(line.text)
    if not answers:
        print(_("the run has not applied it yet (it does before its next batch; a paused run when "
                "it resumes); `nnbench attach {run} --print` shows when").format(run=folder.name),
              file=sys.stderr)
    return 0


def add_steer_command(sub: Subcommands, runs_dir: argparse.ArgumentParser) -> None:
    """``nnbench steer``: a new learning rate / patience for a run training elsewhere."""
    steer = sub.add_parser("steer", parents=[runs_dir],
                           help=_("change the learning rate or EarlyStopping patience of a run "
                                  "while it trains"))
    steer.add_argument("run", metavar="RUN", help=_("a run id (or the start of one) or a run folder"))
    steer.add_argument("--lr", type=float, metavar="RATE",
                       help=_("the new learning rate, from the next batch on (e.g. 1e-4)"))
    steer.add_argument("--patience", type=int, metavar="EPOCHS",
                       help=_("EarlyStopping's new patience, in epochs"))
    steer.add_argument("--wait", type=float, default=WAIT_SECONDS, metavar="S",
                       help=_("seconds to wait for the run to apply it (default {seconds})").format(
                           seconds=f"{WAIT_SECONDS:g}"))
    steer.add_argument("--no-wait", action="store_true", help=_("ask and return at once"))
    steer.set_defaults(func=cmd_steer)
