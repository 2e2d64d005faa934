"""``nnbench`` commands that read what is stored: runs, evaluate, compare, export, presets."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from nnbench.core.cli_common import runs_dir_of
from nnbench.core.format import fmt_logs, fmt_value
from nnbench.core.i18n import _
from nnbench.core.text import cell_cut, cell_pad, cell_width, printable

if TYPE_CHECKING:
    from nnbench.core.cli_common import Subcommands


def cmd_export(args: argparse.Namespace) -> int:
    from nnbench.core.export import export_target, refuse_overwrite, write_script
    from nnbench.core.native_log import native_stderr_to

    if args.output:
        refuse_overwrite(args.output, force=args.force)  # before the slow part, not after it
    with native_stderr_to():  # exporting builds the model once to check it: TensorFlow talks
        script = export_target(args.preset, runs_dir_of(args), epochs=args.epochs)
    if args.output:
        path = write_script(script, args.output, force=args.force)
        print(_("wrote {path}").format(path=path), file=sys.stderr)
    else:
        sys.stdout.write(script)
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from nnbench.core.preset import DEFAULT_PRESET, bundled_presets
    from nnbench.core.user_presets import user_presets, user_presets_dir

    mine = user_presets()
    yours = {path.stem for path, _description in mine}
    print(_("bundled (inside nnbench):"))
    for name, description in bundled_presets().items():
        mark = " " + _("(default)") if name == DEFAULT_PRESET else ""
        hidden = "  " + _("[yours of this name wins]") if name in yours else ""
        print(f"  {name:<22}{printable(description)}{mark}{hidden}")
    print(_("yours ({folder}):").format(folder=printable(str(user_presets_dir()))))
    if not mine:
        print("  " + _("none yet: save one in the app with Ctrl+S"))
    for path, description in mine:
        print(f"  {printable(path.stem):<22}{printable(description)}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from nnbench.core.evaluate_cli import cmd_evaluate as evaluate  # its options live there too

    return evaluate(args)


def cmd_compare(args: argparse.Namespace) -> int:
    from nnbench.core.compare import compare, comparison_report
    from nnbench.core.runs import RunStore

    store = RunStore(runs_dir_of(args))
    print(comparison_report(compare([store.resolve(run) for run in args.runs])))
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from nnbench.core.runs import RunStore

    store = RunStore(runs_dir_of(args))
    runs = store.list()
    if not runs:
        print(_("no runs yet in {folder}").format(folder=printable(store.root)))
        return 0
    # The statuses stay as stored (finished, stopped ...): a script may grep for them.
    rows = [(_("run"), _("status"), _("epochs"), _("best"), _("test"))]
    for r in runs:
        if r.unreadable:
            rows.append((printable(r.run_id), _("unreadable"), "", "", printable(r.unreadable)))
            continue
        best = (f"{printable(r.monitor)} {fmt_value(r.best_value)} @{r.best_epoch}"
                if r.best_value is not None and r.monitor else "")
        epochs = f"{r.epochs_done}/{r.epochs}" if r.epochs else str(r.epochs_done)
        run = printable(r.run_id) + (f" ({printable(r.note)})" if r.note else "")
        rows.append((cell_cut(run, 64), r.status, epochs, best,
                     printable(fmt_logs({k: v for k, v in r.test_metrics.items() if v is not None}))))
    widths = [max(cell_width(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join([cell_pad(row[0], widths[0]), cell_pad(row[1], widths[1]),
                         cell_pad(row[2], widths[2], ">"), cell_pad(row[3], widths[3]), row[4]]
                        ).rstrip())
    print(f"({printable(store.root)})")
    return 0


def add_inspect_commands(sub: Subcommands, runs_dir: argparse.ArgumentParser) -> None:
    """export, presets, runs, evaluate and compare, under ``nnbench``'s subcommands."""
    export = sub.add_parser("export", parents=[runs_dir],
                            help=_("print a preset, or a run, as a plain Keras script"))
    export.add_argument("preset", metavar="PRESET|PATH|RUN",
                        help=_("a preset, or a run id or folder: the script redoes that run"))
    export.add_argument("-o", "--output", metavar="FILE", help=_("write the script to FILE"))
    export.add_argument("--force", action="store_true", help=_("overwrite FILE if it exists"))
    export.add_argument("--epochs", type=int, help=_("override the preset's epochs"))
    export.set_defaults(func=cmd_export)
    sub.add_parser("presets", help=_("list the bundled presets and yours, with where each lives")
                   ).set_defaults(func=cmd_presets)
    sub.add_parser("runs", parents=[runs_dir], help=_("list runs")).set_defaults(func=cmd_runs)
    evaluate = sub.add_parser("evaluate", parents=[runs_dir],
                              help=_("confusion matrix, per-class scores and mistakes of a run"))
    from nnbench.core.evaluate_cli import add_evaluate_arguments

    add_evaluate_arguments(evaluate)
    evaluate.set_defaults(func=cmd_evaluate)
    compare = sub.add_parser("compare", parents=[runs_dir],
                             help=_("the preset keys that differ between runs, and their results"))
    compare.add_argument("runs", nargs="+", metavar="RUN")
    compare.set_defaults(func=cmd_compare)
