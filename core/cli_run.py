"""``nnbench`` commands that run training: train, resume, attach, stop."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnbench.core.cli_common import EXIT_USAGE, epochs_of, open_app, runs_dir_of
from nnbench.core.cli_print import ConsolePrinter
from nnbench.core.errors import NnbenchError
from nnbench.core.i18n import _
from nnbench.core.text import printable

if TYPE_CHECKING:
    from nnbench.core.cli_common import Subcommands


def _train_here(args: argparse.Namespace, preset: Any, resume: Path | None = None) -> int:
    """Train in this process, printing as it goes; signals stop after the current batch."""
    from nnbench.core.advice import advice_lines, advise
    from nnbench.core.control import TrainControls, stop_on_signals
    from nnbench.core.run_state import RunState
    from nnbench.core.training import Trainer

    controls = TrainControls()

    def say(name: str) -> None:
        what = "Ctrl+C" if name == "SIGINT" else name
        with contextlib.suppress(OSError, ValueError):
            print("\n" + _("{key}: stopping after the current batch ({key} again to abort)").format(
                key=what), file=sys.stderr)

    state = RunState()
    with stop_on_signals(controls, on_first=say):
        final = Trainer(preset, runs_dir_of(args), listeners=[ConsolePrinter(), state.apply],
                        controls=controls, epochs=epochs_of(args), resume=resume,
                        note=getattr(args, "note", "")).run()
    if final.run_dir is not None:  # what the run's history says, in the tutorials' terms
        width = shutil.get_terminal_size((80, 24)).columns
        with contextlib.suppress(OSError, ValueError):
            for line in advice_lines(advise(state), width):
                print(line)
    if final.status == "failed":
        title = _(final.error_title) if final.error_title else _("error")  # stored English
        print(f"nnbench: {title}: {printable(final.error)}", file=sys.stderr)
        # Refused before training (nothing on disk) is a usage error; failing mid-fit is not.
        return EXIT_USAGE if final.run_dir is None else 1
    return 130 if final.status == "stopped" and controls.stop.is_set() else 0


def _detach(args: argparse.Namespace, preset: Any, resume: Path | None = None) -> int:
    from nnbench.core.launch import launch_run
    from nnbench.core.runs import RunStore

    store = RunStore(runs_dir_of(args))
    started = launch_run(preset, store.root, epochs=epochs_of(args), resume=resume,
                         note=getattr(args, "note", "")).wait_started()
    print(started.run_id)
    print(_("training in process {pid}, detached: `nnbench attach {run}` watches it, `nnbench "
            "stop {run}` stops it; output in {log}").format(
        pid=started.pid, run=started.run_id, log=started.run_dir / "output.log"), file=sys.stderr)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from nnbench.core.preset import load_preset

    preset = load_preset(args.preset)
    epochs_of(args)
    return _detach(args, preset) if args.detach else _train_here(args, preset)


def cmd_resume(args: argparse.Namespace) -> int:
    from nnbench.core.preset import load_preset
    from nnbench.core.runs import RunStore
    from nnbench.core.training import resumable

    store = RunStore(runs_dir_of(args))
    folder = store.resolve(args.run)
    record = store.read(folder)
    if record.unreadable:
        raise NnbenchError(_("run '{run}' can't be resumed: {reason}").format(
            run=folder.name, reason=record.unreadable))
    if record.status == "running":
        raise NnbenchError(_("run '{run}' is still training (process {pid}); `nnbench attach {run}` "
                             "watches it").format(run=folder.name, pid=record.pid))
    if record.status == "finished":
        raise NnbenchError(_("run '{run}' already finished all its epochs; to train longer, train "
                             "its preset again: nnbench train {preset} --epochs N").format(
            run=folder.name, preset=folder / "preset.toml"))
    done = resumable(folder, record.epochs_done)
    preset = load_preset(folder / "preset.toml")
    epochs = epochs_of(args) or record.epochs or preset.fit.epochs
    if done >= epochs:
        raise NnbenchError(_("run '{run}' has done {done} of {epochs} epochs; pass --epochs with "
                             "more to go on").format(run=folder.name, done=done, epochs=epochs))
    args.epochs = epochs
    print(_("resuming {run} after epoch {epoch}").format(run=folder.name, epoch=done),
          file=sys.stderr)
    args.runs_dir = str(folder.parent)
    return _detach(args, preset, folder) if args.detach else _train_here(args, preset, folder)


def cmd_attach(args: argparse.Namespace) -> int:
    from nnbench.core.runs import RunStore

    folder = RunStore(runs_dir_of(args)).resolve(args.run)
    if not args.print:
        return open_app(None, folder.parent, folder)
    from nnbench.core.follow import RunFollower

    printer = ConsolePrinter()
    follower = RunFollower(folder)
    try:
        for events in follower.follow():
            for event in events:
                printer(event)
    except KeyboardInterrupt:
        print("\n" + _("detached; {run} goes on training").format(run=folder.name),
              file=sys.stderr)
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    from nnbench.core.control import request
    from nnbench.core.runs import RunStore

    folder = RunStore(runs_dir_of(args)).resolve(args.run)
    record = RunStore(folder.parent).read(folder)
    if record.status != "running":
        # The status stays as `nnbench runs` lists it (finished, stopped ...).
        raise NnbenchError(_("run '{run}' is not training (it is {status})").format(
            run=folder.name, status=record.status))
    action = "stop_after_epoch" if args.after_epoch else "stop"
    try:
        request(folder, action)
    except OSError as exc:
        raise NnbenchError(_("cannot write to {folder}: {reason}").format(
            folder=folder, reason=exc.strerror)) from None
    asked = (_("asked {run} to stop after this epoch") if args.after_epoch
             else _("asked {run} to stop now"))
    print(asked.format(run=folder.name), file=sys.stderr)
    return 0


def add_run_commands(sub: Subcommands, runs_dir: argparse.ArgumentParser) -> None:
    """train, resume, attach and stop, under ``nnbench``'s subcommands."""
    train = sub.add_parser("train", parents=[runs_dir], help=_("train a preset without a screen"))
    train.add_argument("preset", metavar="PRESET|PATH")
    train.add_argument("--epochs", type=int, help=_("override the preset's epochs"))
    train.add_argument("--note", default="", metavar="TEXT",
                       help=_("a few words kept with the run and shown in the runs list"))
    train.add_argument("--detach", action="store_true",
                       help=_("train in a process of its own that outlives this terminal; prints "
                              "the run id once the run's checks pass"))
    train.set_defaults(func=cmd_train, native_log=True)
    resume = sub.add_parser("resume", parents=[runs_dir],
                            help=_("go on with an interrupted or stopped run from its last epoch"))
    resume.add_argument("run", metavar="RUN", help=_("a run id (or the start of one) or a run folder"))
    resume.add_argument("--epochs", type=int, help=_("train up to this many epochs in all"))
    resume.add_argument("--detach", action="store_true", help=_("resume in a process of its own"))
    resume.set_defaults(func=cmd_resume, native_log=True)
    attach = sub.add_parser("attach", parents=[runs_dir],
                            help=_("watch a run (live or finished) in the app's Train view"))
    attach.add_argument("run", metavar="RUN")
    attach.add_argument("--print", action="store_true",
                        help=_("print its epochs and events here instead of opening the app"))
    attach.set_defaults(func=cmd_attach)
    stop = sub.add_parser("stop", parents=[runs_dir], help=_("stop a run training in another process"))
    stop.add_argument("run", metavar="RUN")
    stop.add_argument("--after-epoch", action="store_true", help=_("finish the epoch in flight first"))
    stop.set_defaults(func=cmd_stop)
