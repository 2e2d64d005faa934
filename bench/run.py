"""nnbench's performance figures (issue 10), measured side by side as a person would meet them.

    python -m bench [--quick | --smoke] [--check] [--only KEY,...] [--json PATH] [--tab-keys ...]

The full run takes ~10-15 minutes on 2 CPUs (the test suite alone ~5), ``--quick`` under 2
minutes, ``--smoke`` (the test suite's check that the harness works: tiny model, 1 repeat) ~30 s.
Prints a table and writes bench/results.json (``--json`` elsewhere); ``--check`` compares with
bench/targets.toml and exits 1 when a target is missed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # python bench/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from bench.figures import (  # noqa: E402
    REPO,
    Config,
    Figure,
    fig_chart_redraw,
    fig_first_frame,
    fig_key_to_screen,
    fig_runs_list,
    fig_test_suite,
    fig_throughput,
    fig_whole_process,
)

BENCH_DIR = Path(__file__).resolve().parent
TARGETS_PATH = BENCH_DIR / "targets.toml"
RESULTS_PATH = BENCH_DIR / "results.json"

FIGURES = ("throughput_app", "epoch_to_chart", "memory", "whole_process", "peers", "first_frame",
           "key_to_screen", "chart_redraw", "runs_list", "test_suite")
"""Every figure's key, in the table's order; results.json always has all of them."""

CONFIGS = {
    "full": Config("full", throughput=(("digits-wide", 30), ("synthetic-784", 4)), repeats=3,
                   whole_epochs=10, whole_workload="digits-wide", whole_repeats=3,
                   whole_outputs=("pipe", "pty"), peers=True,
                   first_frame_repeats=5, key_presses=50, chart_points=10_000, chart_repeats=10,
                   runs_on_disk=1000, runs_list_repeats=3, test_suite=True),
    "quick": Config("quick", throughput=(("digits-wide", 8),), repeats=1,
                    whole_epochs=3, whole_workload="digits-wide", whole_repeats=1,
                    whole_outputs=("pipe",), peers=False,
                    first_frame_repeats=1, key_presses=12, chart_points=10_000, chart_repeats=5,
                    runs_on_disk=1000, runs_list_repeats=1, test_suite=False),
    "smoke": Config("smoke", throughput=(("tiny", 2),), repeats=1,
                    whole_epochs=1, whole_workload="tiny", whole_repeats=1,
                    whole_outputs=("pipe",), peers=False,
                    first_frame_repeats=1, key_presses=4, chart_points=1_000, chart_repeats=1,
                    runs_on_disk=20, runs_list_repeats=1, test_suite=False),
}
SMOKE_FIGURES = ("throughput_app", "epoch_to_chart", "memory", "chart_redraw")
"""What --smoke measures (the rest is written as skipped): one app run, one bare run, a chart."""


# --- targets ----------------------------------------------------------------------------------


def check(figures: dict[str, Figure], targets: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(state, figure.measure, text) per target; state is ok, FAIL or skip."""
    out = []
    for key, spec in targets.get("figures", {}).items():
        fig = figures.get(key)
        for name, rule in spec.items():
            if not isinstance(rule, dict):
                continue
            label = f"{key}.{name}"
            value = fig.headline.get(name) if fig is not None and fig.status == "measured" else None
            if value is None:
                out.append(("skip", label, "not measured"))
                continue
            if "min" in rule:
                ok, bound = value >= rule["min"], f">= {rule['min']}"
                miss = f"{(rule['min'] - value) / rule['min']:.0%} short" if not ok else ""
            else:
                ok, bound = value <= rule["max"], f"<= {rule['max']}"
                miss = f"{(value - rule['max']) / rule['max']:.0%} over" if not ok else ""
            unit = rule.get("unit", "")
            out.append(("ok" if ok else "FAIL", label,
                        f"{value:.3f}{unit} {bound}{unit}{'  (' + miss + ')' if miss else ''}"))
    return out


# --- the table --------------------------------------------------------------------------------


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.0f}ms"
    if unit == "MB":
        return f"{value:.0f}MB"
    if unit == "s":
        return f"{value:.2f}s"
    return f"{value:.3f}"


def _headline_unit(name: str) -> str:
    return "ms" if name.endswith("_ms") else "MB" if name.endswith("_mb") else (
        "s" if name.endswith("_s") else "")


def format_table(figures: dict[str, Figure]) -> str:
    head = f"{'figure':<16} {'measure':<34} {'median':>9} {'spread':>19} {'p95':>8} {'n':>4}"
    lines = [head, "-" * len(head)]
    for key in FIGURES:
        fig = figures[key]
        if fig.status != "measured":
            lines.append(f"{key:<16} ({fig.status}{': ' + fig.notes[0] if fig.notes else ''})")
            continue
        first = True
        for m in fig.measures.values():
            spread = (f"{_num(m.spread[0], m.unit)}-{_num(m.spread[1], m.unit)}"
                      if m.spread and len(m.samples) > 1 else "")
            p95 = _num(m.p95(), m.unit) if m.unit == "ms" else ""
            lines.append(f"{key if first else '':<16} {m.name:<34} {_num(m.median, m.unit):>9} "
                         f"{spread:>19} {p95:>8} {len(m.samples):>4}")
            first = False
        for name, value in fig.headline.items():
            lines.append(f"{'':<16} {'= ' + name:<34} {_num(value, _headline_unit(name)):>9}")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                            "platform": platform.platform()}
    try:
        model = next(line.split(":", 1)[1].strip() for line in
                     Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
        info["cpu"] = model
    except (OSError, StopIteration):
        pass
    try:
        mem = next(line for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        info["memory_gb"] = round(int(mem.split()[1]) / 2**20, 1)
    except (OSError, StopIteration):
        pass
    from importlib.metadata import PackageNotFoundError, version

    for name in ("tensorflow", "keras", "textual", "plotext", "numpy"):
        with contextlib.suppress(PackageNotFoundError):
            info[name] = version(name)
    import nnbench.core

    info["nnbench_source"] = str(Path(nnbench.core.__file__).resolve().parent.parent)
    try:
        info["git"] = subprocess.run(["git", "-C", info["nnbench_source"], "describe", "--always",
                                      "--dirty"], capture_output=True, text=True,
                                     timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        info["git"] = None
    return info


# --- main -------------------------------------------------------------------------------------


FigureFunction = Callable[[Config, Path, Callable[[str], None]], "Figure | tuple[Figure, ...]"]
"""A figure function: (config, scratch folder, log) -> its figure(s)."""


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="fewer repeats and epochs (< 2 minutes)")
    mode.add_argument("--smoke", action="store_true",
                      help="the smallest configuration (tests/test_bench.py): does it all work?")
    parser.add_argument("--check", action="store_true",
                        help=f"compare with {TARGETS_PATH.name}; exit 1 when a target is missed")
    parser.add_argument("--only", default="", help="comma-separated figures: " + ", ".join(FIGURES))
    parser.add_argument("--skip", default="", help="comma-separated figures to leave out")
    parser.add_argument("--json", type=Path, default=RESULTS_PATH,
                        help=f"where to write the results (default {RESULTS_PATH})")
    parser.add_argument("--tab-keys", default="",
                        help="tab=key,... to override the app's own tab keys, e.g. "
                             "build=alt+1,train=alt+5,runs=alt+6")
    parser.add_argument("--suite-root", type=Path, default=REPO,
                        help="where `pytest -q` runs for the test_suite figure")
    return parser


def _config(args: argparse.Namespace) -> Config:
    config = CONFIGS["smoke" if args.smoke else "quick" if args.quick else "full"]
    if args.tab_keys:
        pairs = dict(p.split("=", 1) for p in args.tab_keys.split(",") if "=" in p)
        config = Config(**{**config.__dict__, "tab_keys": pairs})
    return config


def _wanted(args: argparse.Namespace, config: Config, parser: argparse.ArgumentParser) -> list[str]:
    """The figures to measure: --only (or the mode's own), less --skip; exits on an unknown key."""
    wanted = [k.strip() for k in args.only.split(",") if k.strip()] or list(
        SMOKE_FIGURES if args.smoke else FIGURES)
    wanted = [k for k in wanted if k not in {s.strip() for s in args.skip.split(",")}]
    unknown = sorted(set(wanted) - set(FIGURES))
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; use {', '.join(FIGURES)}")
    if not config.test_suite and "test_suite" in wanted and not args.only:
        wanted.remove("test_suite")
    return wanted


def _steps(suite_root: Path) -> list[tuple[tuple[str, ...], FigureFunction]]:
    """Each figure function with the keys of the figures it returns, in the order they run."""
    return [
        (("throughput_app", "epoch_to_chart", "memory"), fig_throughput),
        (("whole_process", "peers"), fig_whole_process),
        (("first_frame",), fig_first_frame),
        (("key_to_screen",), fig_key_to_screen),
        (("chart_redraw",), fig_chart_redraw),
        (("runs_list",), fig_runs_list),
        (("test_suite",), lambda c, s, lg: fig_test_suite(c, s, lg, suite_root)),
    ]


@dataclass
class _Results:
    """The figures measured so far and how to write them as results.json."""

    path: Path
    config: Config
    targets: dict[str, Any]
    machine: dict[str, Any]
    started: float
    """time.monotonic() at the start"""
    load_before: tuple[float, float, float]
    figures: dict[str, Figure] = field(default_factory=dict)

    def write(self, partial: bool) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
        # After every figure, so a run cut short still leaves what it measured.
        every = {k: self.figures.get(k) or Figure(k, k, status="pending" if partial else "skipped")
                 for k in FIGURES}
        checks = check(every, self.targets)
        meta = {"mode": self.config.name, "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "seconds": round(time.monotonic() - self.started, 1), "complete": not partial,
                "load_before": self.load_before, "load_after": os.getloadavg(),
                "machine": self.machine, "config": dict(self.config.__dict__)}
        results = {"meta": meta, "figures": {k: every[k].as_dict() for k in FIGURES},
                   "checks": [{"state": s, "target": t, "text": x} for s, t, x in checks]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
        return meta, checks


def _measure(steps: list[tuple[tuple[str, ...], FigureFunction]], wanted: list[str],
             results: _Results) -> None:
    """Every wanted step in a scratch folder of its own; a step that raises is a failed figure."""
    # ignore_cleanup_errors: a run process may still be writing its last lines into the folder.
    with tempfile.TemporaryDirectory(prefix="nnbench-bench-", ignore_cleanup_errors=True) as tmp:
        for keys, measure in steps:
            if not any(k in wanted for k in keys):
                continue
            _log(f"{', '.join(keys)} ({time.monotonic() - results.started:.0f}s) ...")
            scratch = Path(tmp) / keys[0]
            scratch.mkdir()
            try:
                out = measure(results.config, scratch, _log)
            except Exception as exc:  # one broken figure must not lose the others
                _log(traceback.format_exc())
                for k in keys:
                    results.figures[k] = Figure(k, k, status="failed",
                                                notes=[f"{type(exc).__name__}: {str(exc)[:2000]}"])
                results.write(partial=True)
                continue
            for fig in out if isinstance(out, tuple) else (out,):
                results.figures[fig.key] = fig
            results.write(partial=True)


def _report(results: _Results, meta: dict[str, Any], checks: list[tuple[str, str, str]],
            elapsed: float) -> bool:
    """Print the machine, the table, the notes and the targets; True when a target was missed
    or a figure failed to measure."""
    figures = results.figures
    load_after = meta["load_after"]
    m = meta["machine"]
    print(f"\nnnbench bench ({results.config.name}), {meta['when']}, {elapsed:.0f}s; "
          f"{m.get('cpus')} CPUs {m.get('cpu', '')}, Python {m['python']}, TensorFlow "
          f"{m.get('tensorflow')}, Keras {m.get('keras')}, Textual {m.get('textual')}; nnbench "
          f"{m.get('git')}; load {results.load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print(format_table(figures))
    for key in FIGURES:
        for note in figures[key].notes:
            print(f"note: {key}: {note}")
    print(f"\ntargets ({TARGETS_PATH.name}):")
    for state, target, text in checks:
        print(f"{state:<5}{target:<36}{text}")
    failed = [c for c in checks if c[0] == "FAIL"]
    broken = [k for k in FIGURES if figures[k].status == "failed"]
    print(f"{len(failed)} of {len(checks)} targets missed" if failed else "no target missed")
    if broken:
        print(f"figures that failed to measure: {', '.join(broken)}")
    print(f"results: {results.path}")
    return bool(failed or broken)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    config = _config(args)
    wanted = _wanted(args, config, parser)
    load_before = os.getloadavg()
    started = time.monotonic()
    targets = tomllib.loads(TARGETS_PATH.read_text(encoding="utf-8"))
    results = _Results(args.json, config, targets, machine(), started, load_before)
    _measure(_steps(args.suite_root), wanted, results)
    elapsed = time.monotonic() - started
    for key in FIGURES:
        if key not in results.figures:
            results.figures[key] = Figure(key, key, status="skipped")
    meta, checks = results.write(partial=False)
    missed = _report(results, meta, checks, elapsed)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
