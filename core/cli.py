"""The ``nnbench`` command: the TUI by default, and headless train / summary / presets / runs.

Errors are one line on stderr and exit code 2; no traceback reaches a person.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from nnbench.core.cli_show import add_show_commands
from nnbench.core.describe import describe
from nnbench.core.errors import NnbenchError
from nnbench.core.events import BatchProgress, Event, RunFinished
from nnbench.core.format import fmt_logs, fmt_value
from nnbench.core.text import cell_cut, cell_pad, cell_width, printable

EXIT_USAGE = 2


def format_logs(logs: dict[str, float]) -> str:
    # ReduceLROnPlateau logs learning_rate too; the epoch line shows it once, as lr.
    return fmt_logs(logs)


class ConsolePrinter:
    """A listener that prints the lines core/describe.py gives each event; a live batch line only
    on a terminal. A closed or broken stdout silences it; training goes on."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out if out is not None else sys.stdout
        try:
            self.tty = self.out.isatty()
        except (OSError, ValueError, AttributeError):
            self.tty = False
        self.progress_shown = False
        self.dead = False

    def _write(self, text: str) -> None:
        if self.dead:
            return
        try:
            self.out.write(text)
            self.out.flush()
        except (OSError, ValueError):
            self.dead = True  # the reader went away (a pipe closed, a full disk): stay quiet

    def _line(self, text: str) -> None:
        if self.progress_shown:
            self._write("\r\033[K")
            self.progress_shown = False
        self._write(text + "\n")

    def __call__(self, event: Event) -> None:
        if isinstance(event, BatchProgress):
            if self.tty:
                steps = f"/{event.steps}" if event.steps else ""
                eta = f" eta {event.eta_seconds:.0f}s" if event.eta_seconds is not None else ""
                loss = event.logs.get("loss")
                text = (f"epoch {event.epoch}/{event.epochs} batch {event.batch}{steps}"
                        f"{f' loss {fmt_value(loss)}' if loss is not None else ''}"
                        f" {event.samples_per_second:,.0f} samples/s{eta}")
                self._write("\r\033[K" + text)
                self.progress_shown = True
            return
        if isinstance(event, RunFinished) and not event.run_dir:
            return  # refused before training: main() prints the one-line reason
        for line in describe(event):
            self._line(line.text)
        if isinstance(event, RunFinished) and event.run_dir:
            self._line(f"run folder: {printable(event.run_dir)}")


def _runs_dir(args: argparse.Namespace) -> Path | None:
    return Path(args.runs_dir).expanduser() if getattr(args, "runs_dir", None) else None


def _epochs(args: argparse.Namespace) -> int | None:
    if args.epochs is not None and args.epochs < 1:
        raise NnbenchError(f"--epochs must be 1 or more, not {args.epochs}")
    return args.epochs


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
            print(f"\n{what}: stopping after the current batch ({what} again to abort)",
                  file=sys.stderr)

    state = RunState()
    with stop_on_signals(controls, on_first=say):
        final = Trainer(preset, _runs_dir(args), listeners=[ConsolePrinter(), state.apply],
                        controls=controls, epochs=_epochs(args), resume=resume,
                        note=getattr(args, "note", "")).run()
    if final.run_dir is not None:  # what the run's history says, in the tutorials' terms
        width = shutil.get_terminal_size((80, 24)).columns
        with contextlib.suppress(OSError, ValueError):
            for line in advice_lines(advise(state), width):
                print(line)
    if final.status == "failed":
        print(f"nnbench: {final.error_title or 'error'}: {printable(final.error)}", file=sys.stderr)
        # Refused before training (nothing on disk) is a usage error; failing mid-fit is not.
        return EXIT_USAGE if final.run_dir is None else 1
    return 130 if final.status == "stopped" and controls.stop.is_set() else 0


def _detach(args: argparse.Namespace, preset: Any, resume: Path | None = None) -> int:
    from nnbench.core.launch import launch_run
    from nnbench.core.runs import RunStore

    store = RunStore(_runs_dir(args))
    started = launch_run(preset, store.root, epochs=_epochs(args), resume=resume,
                         note=getattr(args, "note", "")).wait_started()
    print(started.run_id)
    print(f"training in process {started.pid}, detached: `nnbench attach {started.run_id}` "
          f"watches it, `nnbench stop {started.run_id}` stops it; output in "
          f"{started.run_dir / 'output.log'}", file=sys.stderr)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from nnbench.core.preset import load_preset

    preset = load_preset(args.preset)
    _epochs(args)
    return _detach(args, preset) if args.detach else _train_here(args, preset)


def cmd_resume(args: argparse.Namespace) -> int:
    from nnbench.core.preset import load_preset
    from nnbench.core.runs import RunStore
    from nnbench.core.training import resumable

    store = RunStore(_runs_dir(args))
    folder = store.resolve(args.run)
    record = store.read(folder)
    if record.unreadable:
        raise NnbenchError(f"run '{folder.name}' can't be resumed: {record.unreadable}")
    if record.status == "running":
        raise NnbenchError(f"run '{folder.name}' is still training (process {record.pid}); "
                           f"`nnbench attach {folder.name}` watches it")
    if record.status == "finished":
        raise NnbenchError(f"run '{folder.name}' already finished all its epochs; to train longer, "
                           f"train its preset again: nnbench train {folder / 'preset.toml'} --epochs N")
    done = resumable(folder, record.epochs_done)
    preset = load_preset(folder / "preset.toml")
    epochs = _epochs(args) or record.epochs or preset.fit.epochs
    if done >= epochs:
        raise NnbenchError(f"run '{folder.name}' has done {done} of {epochs} epochs; pass --epochs "
                           "with more to go on")
    args.epochs = epochs
    print(f"resuming {folder.name} after epoch {done}", file=sys.stderr)
    args.runs_dir = str(folder.parent)
    return _detach(args, preset, folder) if args.detach else _train_here(args, preset, folder)


def cmd_attach(args: argparse.Namespace) -> int:
    from nnbench.core.runs import RunStore

    folder = RunStore(_runs_dir(args)).resolve(args.run)
    if not args.print:
        return _open_app(None, folder.parent, folder)
    from nnbench.core.follow import RunFollower

    printer = ConsolePrinter()
    follower = RunFollower(folder)
    try:
        for events in follower.follow():
            for event in events:
                printer(event)
    except KeyboardInterrupt:
        print(f"\ndetached; {folder.name} goes on training", file=sys.stderr)
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    from nnbench.core.control import request
    from nnbench.core.runs import RunStore

    folder = RunStore(_runs_dir(args)).resolve(args.run)
    record = RunStore(folder.parent).read(folder)
    if record.status != "running":
        raise NnbenchError(f"run '{folder.name}' is not training (it is {record.status})")
    action = "stop_after_epoch" if args.after_epoch else "stop"
    try:
        request(folder, action)
    except OSError as exc:
        raise NnbenchError(f"cannot write to {folder}: {exc.strerror}") from None
    print(f"asked {folder.name} to stop {'after this epoch' if args.after_epoch else 'now'}",
          file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from nnbench.core.export import export_target, refuse_overwrite, write_script
    from nnbench.core.native_log import native_stderr_to

    if args.output:
        refuse_overwrite(args.output, force=args.force)  # before the slow part, not after it
    with native_stderr_to():  # exporting builds the model once to check it: TensorFlow talks
        script = export_target(args.preset, _runs_dir(args), epochs=args.epochs)
    if args.output:
        path = write_script(script, args.output, force=args.force)
        print(f"wrote {path}", file=sys.stderr)
    else:
        sys.stdout.write(script)
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from nnbench.core.preset import DEFAULT_PRESET, bundled_presets
    from nnbench.core.text import printable
    from nnbench.core.user_presets import user_presets, user_presets_dir

    mine = user_presets()
    yours = {path.stem for path, _ in mine}
    print("bundled (inside nnbench):")
    for name, description in bundled_presets().items():
        mark = " (default)" if name == DEFAULT_PRESET else ""
        hidden = "  [yours of this name wins]" if name in yours else ""
        print(f"  {name:<22}{printable(description)}{mark}{hidden}")
    print(f"yours ({printable(str(user_presets_dir()))}):")
    if not mine:
        print("  none yet: save one in the app with Ctrl+S")
    for path, description in mine:
        print(f"  {printable(path.stem):<22}{printable(description)}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from nnbench.core.evaluate import evaluate_run, evaluation_report
    from nnbench.core.native_log import native_stderr_to
    from nnbench.core.runs import RunStore

    folder = RunStore(_runs_dir(args)).resolve(args.run)
    if args.limit < 0:
        raise NnbenchError(f"--limit must be 0 or more, not {args.limit}")
    with native_stderr_to():
        evaluation = evaluate_run(folder, split=args.split)

    width = shutil.get_terminal_size((100, 24)).columns
    print(evaluation_report(evaluation, limit=args.limit, true=args.true, predicted=args.predicted,
                            width=width))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from nnbench.core.compare import compare, comparison_report
    from nnbench.core.runs import RunStore

    store = RunStore(_runs_dir(args))
    print(comparison_report(compare([store.resolve(run) for run in args.runs])))
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from nnbench.core.runs import RunStore

    store = RunStore(_runs_dir(args))
    runs = store.list()
    if not runs:
        print(f"no runs yet in {printable(store.root)}")
        return 0
    rows = [("run", "status", "epochs", "best", "test")]
    for r in runs:
        if r.unreadable:
            rows.append((printable(r.run_id), "unreadable", "", "", printable(r.unreadable)))
            continue
        best = (f"{printable(r.monitor)} {fmt_value(r.best_value)} @{r.best_epoch}"
                if r.best_value is not None and r.monitor else "")
        epochs = f"{r.epochs_done}/{r.epochs}" if r.epochs else str(r.epochs_done)
        run = printable(r.run_id) + (f" ({printable(r.note)})" if r.note else "")
        rows.append((cell_cut(run, 64), r.status, epochs, best,
                     printable(fmt_logs({k: v for k, v in r.test_metrics.items() if v is not None}))))
    widths = [max(_width(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join([cell_pad(row[0], widths[0]), cell_pad(row[1], widths[1]),
                         cell_pad(row[2], widths[2], ">"), cell_pad(row[3], widths[3]), row[4]]
                        ).rstrip())
    print(f"({printable(store.root)})")
    return 0


def _width(text: str) -> int:

    return cell_width(text)


AppOpener = Callable[[str | None, Path | None, Path | None], int]
"""Opens the full-screen app on (preset, runs folder, run to attach). The ``nnbench`` console
script (nnbench.tui.main) passes it in: core never imports the TUI, not even lazily."""

_app_opener: AppOpener | None = None


def _open_app(preset: str | None, runs_dir: Path | None, attach: Path | None) -> int:
    if _app_opener is None:
        raise NnbenchError("this entry point has no screen; run `nnbench` (or python -m nnbench.tui) "
                           "to open the app, or use a headless command (nnbench --help)")
    return _app_opener(preset, runs_dir, attach)


def cmd_tui(args: argparse.Namespace) -> int:
    return _open_app(args.preset, _runs_dir(args), None)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnbench",
        usage="nnbench [-h] [PRESET|PATH]\n       nnbench COMMAND ...",
        description="A terminal workbench for training Keras models. With no command, opens the "
                    "full-screen app on PRESET (a bundled or saved preset's name, or a .toml "
                    "file; default: digits-mlp).",
    )
    runs_dir = argparse.ArgumentParser(add_help=False)
    runs_dir.add_argument("--runs-dir", metavar="D",
                          help="where runs are stored (default: $NNBENCH_RUNS_DIR or "
                               "~/.local/share/nnbench/runs)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    train = sub.add_parser("train", parents=[runs_dir], help="train a preset without a screen")
    train.add_argument("preset", metavar="PRESET|PATH")
    train.add_argument("--epochs", type=int, help="override the preset's epochs")
    train.add_argument("--note", default="", metavar="TEXT",
                       help="a few words kept with the run and shown in the runs list")
    train.add_argument("--detach", action="store_true",
                       help="train in a process of its own that outlives this terminal; prints the "
                            "run id once the run's checks pass")
    train.set_defaults(func=cmd_train)
    resume = sub.add_parser("resume", parents=[runs_dir],
                            help="go on with an interrupted or stopped run from its last epoch")
    resume.add_argument("run", metavar="RUN", help="a run id (or the start of one) or a run folder")
    resume.add_argument("--epochs", type=int, help="train up to this many epochs in all")
    resume.add_argument("--detach", action="store_true", help="resume in a process of its own")
    resume.set_defaults(func=cmd_resume)
    attach = sub.add_parser("attach", parents=[runs_dir],
                            help="watch a run (live or finished) in the app's Train view")
    attach.add_argument("run", metavar="RUN")
    attach.add_argument("--print", action="store_true",
                        help="print its epochs and events here instead of opening the app")
    attach.set_defaults(func=cmd_attach)
    stop = sub.add_parser("stop", parents=[runs_dir], help="stop a run training in another process")
    stop.add_argument("run", metavar="RUN")
    stop.add_argument("--after-epoch", action="store_true", help="finish the epoch in flight first")
    stop.set_defaults(func=cmd_stop)
    add_show_commands(sub)
    export = sub.add_parser("export", parents=[runs_dir],
                            help="print a preset, or a run, as a plain Keras script")
    export.add_argument("preset", metavar="PRESET|PATH|RUN",
                        help="a preset, or a run id or folder: the script redoes that run")
    export.add_argument("-o", "--output", metavar="FILE", help="write the script to FILE")
    export.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    export.add_argument("--epochs", type=int, help="override the preset's epochs")
    export.set_defaults(func=cmd_export)
    sub.add_parser("presets", help="list the bundled presets and yours, with where each lives"
                   ).set_defaults(func=cmd_presets)
    sub.add_parser("runs", parents=[runs_dir], help="list runs").set_defaults(func=cmd_runs)
    evaluate = sub.add_parser("evaluate", parents=[runs_dir],
                              help="confusion matrix, per-class scores and mistakes of a run")
    evaluate.add_argument("run", metavar="RUN", help="a run id (or the start of one) or a run folder")
    evaluate.add_argument("--split", choices=("test", "validation"),
                          help="the data to predict on (default: test, else validation)")
    evaluate.add_argument("--true", metavar="CLASS", help="only mistakes whose true class is CLASS")
    evaluate.add_argument("--predicted", metavar="CLASS", help="only mistakes predicted as CLASS")
    evaluate.add_argument("--limit", type=int, default=10, help="mistakes to show (default 10)")
    evaluate.set_defaults(func=cmd_evaluate)
    compare = sub.add_parser("compare", parents=[runs_dir],
                             help="the preset keys that differ between runs, and their results")
    compare.add_argument("runs", nargs="+", metavar="RUN")
    compare.set_defaults(func=cmd_compare)
    tui = sub.add_parser("open", parents=[runs_dir], help="open the full-screen app (the default)")
    tui.add_argument("preset", nargs="?", metavar="PRESET|PATH")
    tui.set_defaults(func=cmd_tui)
    return parser


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._subparsers._actions if parser._subparsers else ():  # noqa: SLF001
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return {*action.choices, "-h", "--help"}
    return {"-h", "--help"}


def main(argv: Sequence[str] | None = None, *, open_app: AppOpener | None = None) -> int:
    global _app_opener
    _app_opener = open_app or _app_opener
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
        if args.command in ("train", "summary", "resume", "data", "graph"):
            from nnbench.core.native_log import native_stderr_to

            with native_stderr_to():
                return int(args.func(args) or 0)
        return int(args.func(args) or 0)
    except NnbenchError as exc:
        print(f"nnbench: {printable(exc.message, newlines=True)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`nnbench runs | head`): not an error. Point stdout at devnull so
        # Python's final flush doesn't complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"\nnnbench: interrupted after {time.monotonic() - started:.0f}s", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
