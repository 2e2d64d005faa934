"""``nnbench`` commands that show a preset without training it: summary, graph, data, explain."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nnbench.core.i18n import _
from nnbench.core.text import cell_pad, cell_width, printable

if TYPE_CHECKING:
    from nnbench.core.cli_common import Subcommands


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
    labels = [printable(f"{row.name} ({row.type})") for row in s.rows]
    first = max(40, *(cell_width(label) + 2 for label in labels))
    second = max(28, *(len(row.output_shape) + 2 for row in s.rows))
    width = first + second + 12
    # Keras's own model.summary() layout and words, which Keras prints in English everywhere.
    print(f'Model: "{printable(preset.name)}"')
    print(f"{'Layer (type)':<{first}}{'Output Shape':<{second}}{'Param #':>12}")
    print("=" * width)
    for label, row in zip(labels, s.rows, strict=True):
        print(f"{cell_pad(label, first)}{row.output_shape:<{second}}{row.params:>12,}")
    print("=" * width)
    print(f"Total params: {s.total:,}")
    print(f"Trainable params: {s.trainable:,}")
    print(f"Non-trainable params: {s.non_trainable:,}")
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    from nnbench.core.graph import graph_text, write_plot_model
    from nnbench.core.keras_env import import_keras
    from nnbench.core.model import analyze, build_model
    from nnbench.core.preset import load_preset

    preset = load_preset(args.preset)
    import_keras()
    analysis = analyze(preset.model)
    print(graph_text(preset.model, analysis))
    if args.png:
        if analysis.error is not None:
            raise analysis.error
        written = write_plot_model(build_model(preset.model), Path(args.png))
        print(_("wrote {path}").format(path=written), file=sys.stderr)
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from nnbench.core.data import load_data
    from nnbench.core.preset import load_preset
    from nnbench.core.preview import build_preview
    from nnbench.core.preview_draw import preview_plain, preview_rich

    preset = load_preset(args.preset)
    loaded = load_data(preset.data, preset.fit)
    width = args.width or shutil.get_terminal_size((100, 40)).columns
    preview = build_preview(loaded, preset.data)
    if sys.stdout.isatty():
        from rich.console import Console

        Console(width=width).print(preview_rich(preview, width))
    else:  # a pipe or a file: shade characters, no colour codes
        print(preview_plain(preview, width))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from nnbench.core.explain import explain_lines, listing

    width = shutil.get_terminal_size((80, 24)).columns
    lines = listing(args.lang, width) if args.list or not args.name else explain_lines(
        args.name, args.lang, width)
    print("\n".join(lines))
    return 0


def add_show_commands(sub: Subcommands, runs_dir: argparse.ArgumentParser) -> None:
    """summary, data, graph and explain, under ``nnbench``'s subcommands (none reads runs, so none
    takes ``runs_dir``)."""
    summary = sub.add_parser("summary", help=_("print the model summary of a preset"))
    summary.add_argument("preset", metavar="PRESET|PATH")
    summary.set_defaults(func=cmd_summary, native_log=True)
    data = sub.add_parser("data", help=_("show a preset's data: class balance and samples"))
    data.add_argument("preset", metavar="PRESET|PATH")
    data.add_argument("--width", type=int, help=_("columns to draw in (default: the terminal's)"))
    data.set_defaults(func=cmd_data, native_log=True)
    graph = sub.add_parser("graph", help=_("draw a preset's model as boxes and arrows"))
    graph.add_argument("preset", metavar="PRESET|PATH")
    graph.add_argument("--png", metavar="FILE",
                       help=_("also write keras.utils.plot_model's image (needs pydot and graphviz)"))
    graph.set_defaults(func=cmd_graph, native_log=True)
    explain = sub.add_parser("explain", help=_("what a loss, optimizer, metric, layer, callback or "
                                               "parameter does (English or Korean)"))
    explain.add_argument("name", nargs="?", metavar="NAME",
                         help=_("e.g. Dense, adam, sparse_categorical_crossentropy, f1, EarlyStopping"))
    explain.add_argument("--list", action="store_true", help=_("list every name that is explained"))
    explain.add_argument("--lang", choices=("en", "ko"),
                         help=_("the language (default: NNBENCH_LANG, else the locale)"))
    explain.set_defaults(func=cmd_explain)
