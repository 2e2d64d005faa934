"""The ``nnbench`` command: the TUI by default, and headless train / summary / presets / runs.

Errors are one line on stderr and exit code 2; no traceback reaches a person.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from nnbench.core.errors import NnbenchError
from nnbench.core.events import (
    BatchProgress,
    CheckpointSaved,
    EarlyStopped,
    EpochEnded,
    Evaluated,
    LearningRateChanged,
    NonFiniteLoss,
    Notice,
    Paused,
    RunFinished,
    RunStarted,
)
from nnbench.core.format import fmt_lr, fmt_value

EXIT_USAGE = 2


def format_logs(logs: dict[str, float]) -> str:
    # ReduceLROnPlateau logs learning_rate too; the epoch line shows it once, as lr=.
    return "  ".join(f"{k}={fmt_value(v)}" for k, v in logs.items() if k != "learning_rate")


class ConsolePrinter:
    """A listener that prints one line per epoch and per event; progress only on a terminal."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.tty = out.isatty()
        self.progress_shown = False

    def _line(self, text: str) -> None:
        if self.progress_shown:
            self.out.write("\r\033[K")
            self.progress_shown = False
        self.out.write(text + "\n")
        self.out.flush()

    def __call__(self, event: Any) -> None:
        match event:
            case RunStarted():
                d = event.data
                self._line(f"run {event.run_id}  ({event.run_dir})")
                self._line(f"model: {event.summary.total:,} parameters "
                           f"({event.summary.trainable:,} trainable)  data: {d.source} "
                           f"train={d.train_samples:,} val={d.val_samples:,} test={d.test_samples:,}"
                           f" input={tuple(d.input_shape)}")
            case Notice():
                self._line(f"note: {event.text}")
            case BatchProgress() if self.tty:
                steps = f"/{event.steps}" if event.steps else ""
                eta = f" eta {event.eta_seconds:.0f}s" if event.eta_seconds is not None else ""
                loss = event.logs.get("loss")
                text = (f"epoch {event.epoch}/{event.epochs} batch {event.batch}{steps}"
                        f"{f' loss={fmt_value(loss)}' if loss is not None else ''}"
                        f" {event.samples_per_second:,.0f} samples/s{eta}")
                self.out.write("\r\033[K" + text)
                self.out.flush()
                self.progress_shown = True
            case EpochEnded():
                lr = f"  lr={fmt_lr(event.learning_rate)}" if event.learning_rate is not None else ""
                es = event.early_stopping
                patience = (f"  [patience {es.wait}/{es.patience}]" if es is not None else "")
                self._line(f"epoch {event.epoch:>3}/{event.epochs}  {format_logs(event.logs)}{lr}"
                           f"  {event.seconds:.1f}s{patience}")
            case EarlyStopped():
                best = (f"; best epoch {event.best_epoch} {event.monitor}={fmt_value(event.best_value)}"
                        if event.best_epoch and event.best_value is not None else "")
                restored = "; best weights restored" if event.restored_weights else ""
                self._line(f"early stopping: stopped at epoch {event.stopped_epoch}{best}{restored}")
            case LearningRateChanged():
                self._line(f"learning rate: {fmt_lr(event.old)} -> {fmt_lr(event.new)} "
                           f"(epoch {event.epoch})")
            case CheckpointSaved():
                value = f" {event.monitor}={fmt_value(event.value)}" if event.value is not None else ""
                self._line(f"checkpoint saved: epoch {event.epoch}{value} -> {event.path}")
            case NonFiniteLoss():
                self._line(f"non-finite loss ({event.value}) at epoch {event.epoch} batch "
                           f"{event.batch}: training stops; try a lower learning rate")
            case Paused():
                self._line("paused" if event.paused else "resumed")
            case Evaluated():
                self._line(f"test: {format_logs(event.metrics)}")
            case RunFinished() if event.run_dir:
                self._line(f"run {event.status} after {event.epochs_done} epoch(s): {event.run_dir}")


def _runs_dir(args: argparse.Namespace) -> Path | None:
    return Path(args.runs_dir).expanduser() if getattr(args, "runs_dir", None) else None


def cmd_train(args: argparse.Namespace) -> int:
    from nnbench.core.preset import load_preset
    from nnbench.core.training import TrainControls, Trainer

    preset = load_preset(args.preset)
    if args.epochs is not None and args.epochs < 1:
        raise NnbenchError(f"--epochs must be 1 or more, not {args.epochs}")
    controls = TrainControls()
    interrupts = 0

    def on_sigint(signum: int, frame: Any) -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts > 1:
            raise KeyboardInterrupt
        print("\nstopping after the current batch (Ctrl+C again to abort)", file=sys.stderr)
        controls.stop.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        final = Trainer(preset, _runs_dir(args), listeners=[ConsolePrinter()], controls=controls,
                        epochs=args.epochs).run()
    finally:
        signal.signal(signal.SIGINT, previous)
    if final.status == "failed":
        print(f"nnbench: {final.error_title or 'error'}: {final.error}", file=sys.stderr)
        # Refused before training (nothing on disk) is a usage error; failing mid-fit is not.
        return EXIT_USAGE if final.run_dir is None else 1
    return 130 if final.status == "stopped" and controls.stop.is_set() else 0


def cmd_summary(args: argparse.Namespace) -> int:
    from nnbench.core.keras_env import import_keras
    from nnbench.core.model import analyze
    from nnbench.core.preset import load_preset

    preset = load_preset(args.preset)
    import_keras()
    analysis = analyze(preset.model)
    if analysis.error is not None:
        raise analysis.error
    s = analysis.summary
    assert s is not None
    labels = [f"{row.name} ({row.type})" for row in s.rows]
    first = max(40, *(len(label) + 2 for label in labels))
    second = max(28, *(len(row.output_shape) + 2 for row in s.rows))
    width = first + second + 12
    print(f'Model: "{preset.name}"')
    print(f"{'Layer (type)':<{first}}{'Output Shape':<{second}}{'Param #':>12}")
    print("=" * width)
    for label, row in zip(labels, s.rows, strict=True):
        print(f"{label:<{first}}{row.output_shape:<{second}}{row.params:>12,}")
    print("=" * width)
    print(f"Total params: {s.total:,}")
    print(f"Trainable params: {s.trainable:,}")
    print(f"Non-trainable params: {s.non_trainable:,}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from nnbench.core.export import export_script
    from nnbench.core.preset import load_preset

    script = export_script(load_preset(args.preset), epochs=args.epochs)
    if args.output:
        try:
            Path(args.output).write_text(script, encoding="utf-8")
        except OSError as exc:
            raise NnbenchError(f"cannot write {args.output}: {exc.strerror}; choose another path "
                               "with -o") from None
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(script)
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from nnbench.core.preset import DEFAULT_PRESET, bundled_presets

    for name, description in bundled_presets().items():
        mark = " (default)" if name == DEFAULT_PRESET else ""
        print(f"{name:<22}{description}{mark}")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from nnbench.core.runs import RunStore

    store = RunStore(_runs_dir(args))
    runs = store.list()
    if not runs:
        print(f"no runs yet in {store.root}")
        return 0
    print(f"{'run':<40}{'status':<13}{'epochs':>7}  {'best':<24}test")
    for r in runs:
        best = (f"{r.monitor}={fmt_value(r.best_value)} @{r.best_epoch}"
                if r.best_value is not None and r.monitor else "")
        print(f"{r.run_id:<40}{r.status:<13}{r.epochs_done:>7}  {best:<24}"
              f"{format_logs({k: v for k, v in r.test_metrics.items() if v is not None})}")
    print(f"({store.root})")
    return 0


def cmd_tui(args: argparse.Namespace) -> int:
    from nnbench.tui.app import run_app

    return run_app(args.preset, _runs_dir(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnbench",
        description="A terminal workbench for training Keras models. With no command, opens the "
                    "full-screen app on PRESET (default: digits-mlp).",
    )
    runs_dir = argparse.ArgumentParser(add_help=False)
    runs_dir.add_argument("--runs-dir", metavar="D",
                          help="where runs are stored (default: $NNBENCH_RUNS_DIR or "
                               "~/.local/share/nnbench/runs)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    train = sub.add_parser("train", parents=[runs_dir], help="train a preset without a screen")
    train.add_argument("preset", metavar="PRESET|PATH")
    train.add_argument("--epochs", type=int, help="override the preset's epochs")
    train.set_defaults(func=cmd_train)
    summary = sub.add_parser("summary", help="print the model summary of a preset")
    summary.add_argument("preset", metavar="PRESET|PATH")
    summary.set_defaults(func=cmd_summary)
    export = sub.add_parser("export", help="print a preset as a plain Keras script")
    export.add_argument("preset", metavar="PRESET|PATH")
    export.add_argument("-o", "--output", metavar="FILE", help="write the script to FILE")
    export.add_argument("--epochs", type=int, help="override the preset's epochs")
    export.set_defaults(func=cmd_export)
    sub.add_parser("presets", help="list the bundled presets").set_defaults(func=cmd_presets)
    sub.add_parser("runs", parents=[runs_dir], help="list runs").set_defaults(func=cmd_runs)
    tui = sub.add_parser("open", parents=[runs_dir], help="open the full-screen app (the default)")
    tui.add_argument("preset", nargs="?", metavar="PRESET|PATH")
    tui.set_defaults(func=cmd_tui)
    return parser


COMMANDS = ("train", "summary", "export", "presets", "runs", "open", "-h", "--help")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `nnbench` and `nnbench PRESET` open the app: route them to the `open` command.
    if not argv or argv[0] not in COMMANDS:
        argv = ["open", *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    started = time.monotonic()
    try:
        if args.command in ("train", "summary"):
            from nnbench.core.native_log import native_stderr_to

            with native_stderr_to():
                return int(args.func(args) or 0)
        return int(args.func(args) or 0)
    except NnbenchError as exc:
        print(f"nnbench: {exc.message}", file=sys.stderr)
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
