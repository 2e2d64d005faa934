"""What looking inside costs: training throughput with layer health + the confusion matrix on, off,
and in bare Keras, side by side in one process (issue 13: on >= 0.95x bare Keras).

Each workload trains the same model on the same arrays with the same seed three ways, interleaved
(the order rotates every repeat), ``--repeats`` times after an untimed one-epoch warm-up of each:

* bare: the model built by hand in plain Keras, ``model.fit(verbose=0)``, timed around ``fit``;
* off:  ``Trainer(preset).run()`` with ``NNBENCH_INSIDE=0`` (the event adapter, CSVLogger, the
  run store; no health callback);
* on:   the same with the health callback (the default).

nnbench's fit span runs from RunStarted to the last event before the test evaluation, so the last
epoch's layer health and confusion matrix are inside it (EpochEnded.seconds alone would miss what
runs after the event adapter). Wall and process CPU seconds (all threads) are both kept: CPU is
steadier on a host other processes share. ``same`` checks the three ended on the same training
loss (the health callback must not change the training).

    python bench/bench_inside.py [--repeats 3] [--only digits-mlp,synthetic-784] [--json PATH]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/bench_inside.py`
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bench.bench_overhead import WORKLOADS as OVERHEAD_WORKLOADS  # noqa: E402
from bench.bench_overhead import Sample, run_bare  # noqa: E402
from bench.workloads import SYNTHETIC, write_synthetic  # noqa: E402
from nnbench.core.events import Evaluated, LayerHealth, RunFinished, RunStarted  # noqa: E402
from nnbench.core.health_callback import INSIDE_ENV  # noqa: E402
from nnbench.core.preset import Preset, preset_from_dict  # noqa: E402
from nnbench.core.training import Trainer  # noqa: E402

SIDES = ("bare", "off", "on")


def _mlp_784(keras: Any) -> Any:
    inputs = keras.Input(shape=(784,))
    x = keras.layers.Dense(300, activation="relu")(inputs)
    x = keras.layers.Dense(100, activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


@dataclass(frozen=True)
class InsideWorkload:
    key: str
    what: str
    epochs: int
    make_preset: Callable[[int], Preset]
    build: Callable[[Any], Any]


def workloads(data_dir: Path) -> list[InsideWorkload]:
    found = [InsideWorkload(w.key, w.what, w.epochs, w.make_preset, w.build)
             for w in OVERHEAD_WORKLOADS if w.key in ("digits-mlp", "digits-cnn")]

    def synthetic(epochs: int) -> Preset:
        path = data_dir / "synthetic.npz"
        if not path.exists():
            write_synthetic(path)
        return preset_from_dict(tomllib.loads(SYNTHETIC.preset_toml(epochs, path)))

    found.append(InsideWorkload(SYNTHETIC.key, SYNTHETIC.what, 4, synthetic, _mlp_784))
    return found


@dataclass
class Side:
    fit_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    loss: list[float | None] = field(default_factory=list)
    health_s: list[float] = field(default_factory=list)
    """on: the callback's own measuring seconds (LayerHealth.seconds), summed over the run."""


def run_trainer(preset: Preset, runs_dir: Path, inside: bool) -> tuple[float, float, float | None,
                                                                          float]:
    stamped: list[tuple[float, float, Any]] = []
    os.environ[INSIDE_ENV] = "1" if inside else "0"
    gc.collect()
    final = Trainer(preset, runs_dir, listeners=[
        lambda e: stamped.append((time.perf_counter(), time.process_time(), e))]).run()
    if final.status != "finished":
        raise RuntimeError(f"nnbench run {final.status}: {final.error}")
    start = next(s for s in stamped if isinstance(s[2], RunStarted))
    before_test = [s for s in stamped if not isinstance(s[2], (Evaluated, RunFinished))]
    evaluated = next((i for i, s in enumerate(stamped) if isinstance(s[2], Evaluated)), None)
    if evaluated is not None:
        before_test = stamped[:evaluated]
    end = before_test[-1]
    losses = [s[2].logs.get("loss") for s in stamped if type(s[2]).__name__ == "EpochEnded"]
    health = sum(s[2].seconds for s in stamped if isinstance(s[2], LayerHealth))
    return end[0] - start[0], end[1] - start[1], losses[-1] if losses else None, health


def measure(chosen: list[InsideWorkload], repeats: int, log: Callable[[str], None]
            ) -> dict[str, dict[str, Side]]:
    results = {w.key: {side: Side() for side in SIDES} for w in chosen}
    with tempfile.TemporaryDirectory(prefix="nnbench-inside-") as tmp:
        tmp_dir = Path(tmp)
        runs = tmp_dir / "runs"
        log("warming up ...")
        for w in chosen:
            short = w.make_preset(1)
            run_bare(w, short, tmp_dir)
            run_trainer(short, runs, inside=False)
            run_trainer(short, runs, inside=True)
        for r in range(repeats):
            for w in chosen:
                preset = w.make_preset(w.epochs)
                order = SIDES[r % 3:] + SIDES[:r % 3]  # rotate who goes first
                for side in order:
                    got = results[w.key][side]
                    if side == "bare":
                        s: Sample = run_bare(w, preset, tmp_dir)  # type: ignore[arg-type]
                        got.fit_s.append(s.fit_s)
                        got.cpu_s.append(s.fit_cpu_s)
                        got.loss.append(s.final_loss)
                    else:
                        fit_s, cpu_s, loss, health = run_trainer(preset, runs, side == "on")
                        got.fit_s.append(fit_s)
                        got.cpu_s.append(cpu_s)
                        got.loss.append(loss)
                        got.health_s.append(health)
                line = "  ".join(f"{side} {results[w.key][side].fit_s[-1]:6.2f}s" for side in SIDES)
                log(f"repeat {r + 1}/{repeats} {w.key:<14} {line}  load {os.getloadavg()[0]:.1f}")
    os.environ.pop(INSIDE_ENV, None)
    return results


def _median(values: list[float]) -> float:
    return statistics.median(values)


def table(chosen: list[InsideWorkload], results: dict[str, dict[str, Side]]) -> tuple[str, list[dict]]:
    head = (f"{'workload':<14} {'bare':>7} {'off':>7} {'on':>7} {'on/bare':>8} {'on/off':>7} "
            f"{'cpu on/bare':>11} {'health s':>9} {'same':>5}")
    lines, rows = [head, "-" * len(head)], []
    for w in chosen:
        r = results[w.key]
        bare, off, on = (_median(r[s].fit_s) for s in SIDES)
        cpu_bare, cpu_on = _median(r["bare"].cpu_s), _median(r["on"].cpu_s)
        losses = [loss for s in SIDES for loss in r[s].loss]
        same = all(x is not None for x in losses) and max(losses) - min(losses) <= 1e-4 * max(  # type: ignore[operator]
            1.0, abs(losses[0] or 0))
        # Throughput is samples per second: bare time / nnbench time (1.0 = free, >= 0.95 the target).
        row = {"key": w.key, "what": w.what, "epochs": w.epochs, "bare_fit_s": bare, "off_fit_s": off,
               "on_fit_s": on, "throughput_on_vs_bare": bare / on, "throughput_on_vs_off": off / on,
               "throughput_off_vs_bare": bare / off, "cpu_throughput_on_vs_bare": cpu_bare / cpu_on,
               "health_s": _median(r["on"].health_s), "same_loss": same,
               "samples": {s: asdict(r[s]) for s in SIDES}}
        rows.append(row)
        lines.append(f"{w.key:<14} {bare:>6.2f}s {off:>6.2f}s {on:>6.2f}s {bare / on:>8.3f} "
                     f"{off / on:>7.3f} {cpu_bare / cpu_on:>11.3f} {row['health_s']:>8.2f}s "
                     f"{'yes' if same else 'NO':>5}")
    return "\n".join(lines), rows


LEGEND = """\
bare/off/on: fit seconds, median of the repeats (on/off: RunStarted .. the last event before the
test evaluation).  on/bare, on/off: throughput ratios (time of the other / time with health on;
1.0 = free; target on/bare >= 0.95).  cpu on/bare: the same in process CPU seconds.  health s: the
callback's own measuring time over the run.  same: all three ended on the same training loss."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated workload keys")
    parser.add_argument("--epochs", type=int, default=0, help="override every workload's epochs")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nnbench-inside-data-") as data_tmp:
        chosen = workloads(Path(data_tmp))
        if args.only:
            keys = set(args.only.split(","))
            chosen = [w for w in chosen if w.key in keys]
        if args.epochs:
            chosen = [InsideWorkload(w.key, w.what, args.epochs, w.make_preset, w.build)
                      for w in chosen]
        load_before = os.getloadavg()
        results = measure(chosen, args.repeats, lambda s: print(s, flush=True))
        text, rows = table(chosen, results)
    print()
    print(text)
    print()
    print(LEGEND)
    print(f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} "
          f"({os.cpu_count()} CPUs)")
    if args.json:
        args.json.write_text(json.dumps({"results": rows, "load_before": load_before,
                                         "load_after": os.getloadavg()}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
