"""How much slower is training through nnbench than the same fit in bare Keras?

Each workload trains the SAME model (built by hand in plain Keras for the baseline, from a preset
for nnbench) on the SAME arrays (nnbench's own loader, so both get identical splits) for the same
epochs with the same seed, two ways, interleaved, ``--repeats`` times:

* bare:    ``model.fit(..., verbose=0)``; timed around the ``fit`` call.
* nnbench: ``Trainer(preset, runs_dir, listeners=[...]).run()``, which adds the event adapter,
  CSVLogger, TerminateOnNaN and the run-store writes; the fit part is timed from RunStarted to
  the last EpochEnded, stamped by a listener as each event arrives.

Both are also timed end to end (bare: seed, load, build, compile, fit, evaluate, save; nnbench: the
whole ``run()``). Medians are compared as ratios nnbench / bare; ``--check`` holds them against
``bench/targets.toml`` and exits 1 when one is missed. Timings are never asserted by the tests.

    python bench/bench_overhead.py [--repeats N] [--quick] [--check] [--only KEY,...] [--json PATH]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from nnbench.core.data import load_data  # noqa: E402 - after the TF log level is set
from nnbench.core.events import BatchProgress, EpochEnded, RunStarted  # noqa: E402
from nnbench.core.keras_env import import_keras  # noqa: E402
from nnbench.core.native_log import native_stderr_to  # noqa: E402
from nnbench.core.preset import Preset, load_preset, preset_from_dict  # noqa: E402
from nnbench.core.training import Trainer  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
TARGETS_PATH = BENCH_DIR / "targets.toml"


# --- the workloads: a bundled preset's shape, and the same model by hand in plain Keras ---------


def _mlp(keras: Any) -> Any:
    inputs = keras.Input(shape=(64,))
    x = keras.layers.Dense(64, activation="relu")(inputs)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def _cnn(keras: Any) -> Any:
    inputs = keras.Input(shape=(64,))
    x = keras.layers.Reshape((8, 8, 1))(inputs)
    x = keras.layers.Conv2D(16, 3, activation="relu", padding="same")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


@dataclass(frozen=True)
class Workload:
    key: str
    preset: str
    """The bundled preset it is shaped like (its EarlyStopping is dropped: fixed epochs)."""
    what: str
    epochs: int
    quick_epochs: int
    build: Callable[[Any], Any]
    batch_size: int | None = None
    """None: the preset's own."""

    def make_preset(self, epochs: int) -> Preset:
        raw = load_preset(self.preset).to_toml_dict()
        raw.pop("callbacks", None)  # the same epochs both ways; EarlyStopping is Keras's, not ours
        raw["name"] = f"bench-{self.key}"
        raw["fit"]["epochs"] = epochs
        if self.batch_size is not None:
            raw["fit"]["batch_size"] = self.batch_size
        return preset_from_dict(raw)


WORKLOADS = (
    Workload("digits-mlp", "digits-mlp", "the bundled preset: Dense 64 / Dropout / Dense 10, batch 32",
             epochs=20, quick_epochs=12, build=_mlp),
    Workload("digits-mlp-b8", "digits-mlp", "the same MLP at batch 8: 4x the batches, per-batch "
             "callback cost dominates", epochs=8, quick_epochs=5, build=_mlp, batch_size=8),
    Workload("digits-cnn", "digits-cnn", "the bundled conv preset: Conv2D 16 / MaxPool / Dense 10, "
             "batch 32", epochs=12, quick_epochs=6, build=_cnn),
)


# --- one measurement each way ---------------------------------------------------------------------


@dataclass
class Sample:
    fit_s: float
    total_s: float
    fit_cpu_s: float
    """CPU seconds of the whole process (every thread) in the fit part: steadier on a busy host."""
    epochs: int
    final_loss: float | None
    batch_events: int = 0
    batch_events_per_s: float = 0.0
    batch_events_peak_1s: int = 0


def _seed(keras: Any, seed: int | None) -> None:
    # What Trainer does for a seeded preset; op determinism is process-wide once on, so the
    # baseline turns it on too rather than inherit it from whichever path ran first.
    if seed is not None:
        import tensorflow as tf

        keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()


def run_bare(workload: Workload, preset: Preset, out_dir: Path) -> Sample:
    keras = import_keras()
    fit = preset.fit
    gc.collect()
    started = time.perf_counter()
    _seed(keras, fit.seed)
    data = load_data(preset.data, fit)
    model = workload.build(keras)
    model.compile(optimizer=keras.optimizers.Adam(), loss=preset.compile.loss,
                  metrics=list(preset.compile.metrics))
    validation = (data.x_val, data.y_val) if data.x_val is not None else None
    fit_started, fit_cpu_started = time.perf_counter(), time.process_time()
    history = model.fit(data.x_train, data.y_train, epochs=fit.epochs, batch_size=fit.batch_size,
                        validation_data=validation, shuffle=fit.shuffle, verbose=0)
    fit_s = time.perf_counter() - fit_started
    fit_cpu_s = time.process_time() - fit_cpu_started
    if data.x_test is not None:
        model.evaluate(data.x_test, data.y_test, batch_size=fit.batch_size, verbose=0,
                       return_dict=True)
    model.save(out_dir / "bare.keras")
    total_s = time.perf_counter() - started
    losses = history.history.get("loss") or [None]
    return Sample(fit_s, total_s, fit_cpu_s, len(history.history.get("loss", [])), losses[-1])


def run_nnbench(preset: Preset, runs_dir: Path) -> Sample:
    stamped: list[tuple[float, float, Any]] = []

    def stamp(event: Any) -> None:
        stamped.append((time.perf_counter(), time.process_time(), event))

    gc.collect()
    started = time.perf_counter()
    final = Trainer(preset, runs_dir, listeners=[stamp]).run()
    total_s = time.perf_counter() - started
    if final.status != "finished":
        raise RuntimeError(f"nnbench run {final.status}: {final.error}")
    run_started = next(s for s in stamped if isinstance(s[2], RunStarted))
    ended = [s for s in stamped if isinstance(s[2], EpochEnded)]
    fit_s = ended[-1][0] - run_started[0]
    fit_cpu_s = ended[-1][1] - run_started[1]
    batch_times = [t for t, _, e in stamped if isinstance(e, BatchProgress)]
    return Sample(fit_s, total_s, fit_cpu_s, len(ended), ended[-1][2].logs.get("loss"),
                  batch_events=len(batch_times), batch_events_per_s=len(batch_times) / fit_s,
                  batch_events_peak_1s=_peak_in_window(batch_times, 1.0))


def _peak_in_window(times: list[float], window: float) -> int:
    """The most events in any ``window`` seconds (sliding)."""
    peak, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] >= window:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


# --- repeats, medians, the table ------------------------------------------------------------------


@dataclass
class Result:
    key: str
    what: str
    steps: str
    bare: list[Sample] = field(default_factory=list)
    nnbench: list[Sample] = field(default_factory=list)

    def median(self, side: str, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in getattr(self, side))

    @property
    def fit_ratio(self) -> float:
        return self.median("nnbench", "fit_s") / self.median("bare", "fit_s")

    @property
    def fit_cpu_ratio(self) -> float:
        return self.median("nnbench", "fit_cpu_s") / self.median("bare", "fit_cpu_s")

    @property
    def run_ratio(self) -> float:
        return self.median("nnbench", "total_s") / self.median("bare", "total_s")

    @property
    def paired_fit_ratios(self) -> list[float]:
        return [n.fit_s / b.fit_s for b, n in zip(self.bare, self.nnbench, strict=True)]

    @property
    def batch_events_per_s(self) -> float:
        return max(s.batch_events_per_s for s in self.nnbench)

    @property
    def batch_events_peak_1s(self) -> int:
        return max(s.batch_events_peak_1s for s in self.nnbench)

    @property
    def same_history(self) -> bool:
        """Same epochs, and the same final training loss both ways (the model and data match)."""
        pairs = zip(self.bare, self.nnbench, strict=True)
        return all(b.epochs == n.epochs and b.final_loss is not None and n.final_loss is not None
                   and abs(b.final_loss - n.final_loss) <= 1e-4 * max(1.0, abs(b.final_loss))
                   for b, n in pairs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "what": self.what, "steps": self.steps,
            "bare_fit_s": self.median("bare", "fit_s"),
            "nnbench_fit_s": self.median("nnbench", "fit_s"),
            "fit_ratio": self.fit_ratio,
            "bare_fit_cpu_s": self.median("bare", "fit_cpu_s"),
            "nnbench_fit_cpu_s": self.median("nnbench", "fit_cpu_s"),
            "fit_cpu_ratio": self.fit_cpu_ratio,
            "paired_fit_ratios": self.paired_fit_ratios,
            "bare_total_s": self.median("bare", "total_s"),
            "nnbench_run_s": self.median("nnbench", "total_s"),
            "run_ratio": self.run_ratio,
            "batch_events_per_s": self.batch_events_per_s,
            "batch_events_peak_1s": self.batch_events_peak_1s,
            "same_history": self.same_history,
            "bare": [asdict(s) for s in self.bare], "nnbench": [asdict(s) for s in self.nnbench],
        }


def measure(workloads: list[Workload], repeats: int, quick: bool, log: Callable[[str], None]
            ) -> list[Result]:
    presets = {w.key: w.make_preset(w.quick_epochs if quick else w.epochs) for w in workloads}
    results = {}
    for w in workloads:
        p = presets[w.key]
        data = load_data(p.data, p.fit)
        steps = -(-data.info.train_samples // p.fit.batch_size)
        results[w.key] = Result(w.key, w.what, f"{steps}x{p.fit.epochs}")
    with tempfile.TemporaryDirectory(prefix="nnbench-bench-") as tmp:
        tmp_dir = Path(tmp)
        runs_dir = tmp_dir / "runs"
        # Warm-up, untimed: TensorFlow's start-up and first traces, once per workload and path.
        log("warming up ...")
        for w in workloads:
            short = w.make_preset(epochs=1)
            run_bare(w, short, tmp_dir)
            run_nnbench(short, runs_dir)
        for r in range(repeats):
            for w in workloads:
                p = presets[w.key]
                # Interleaved, alternating which goes first, so drift and warm caches even out.
                order = ("bare", "nnbench") if r % 2 == 0 else ("nnbench", "bare")
                for side in order:
                    sample = run_bare(w, p, tmp_dir) if side == "bare" else run_nnbench(p, runs_dir)
                    getattr(results[w.key], side).append(sample)
                b, n = results[w.key].bare[-1], results[w.key].nnbench[-1]
                log(f"repeat {r + 1}/{repeats} {w.key:<14} fit bare {b.fit_s:6.3f}s  nnbench "
                    f"{n.fit_s:6.3f}s  ({n.fit_s / b.fit_s:.3f})   cpu bare {b.fit_cpu_s:6.3f}s  "
                    f"nnbench {n.fit_cpu_s:6.3f}s  ({n.fit_cpu_s / b.fit_cpu_s:.3f})")
    return [results[w.key] for w in workloads]


def format_table(results: list[Result]) -> str:
    head = (f"{'workload':<14} {'steps':>7} {'bare fit':>9} {'nnb fit':>9} {'ratio':>6} "
            f"{'paired':>11} {'cpu ratio':>9} {'bare e2e':>9} {'run()':>8} {'ratio':>6} "
            f"{'batch ev/s':>11} {'same':>4}")
    lines = [head, "-" * len(head)]
    for r in results:
        paired = r.paired_fit_ratios
        lines.append(
            f"{r.key:<14} {r.steps:>7} {r.median('bare', 'fit_s'):>8.3f}s "
            f"{r.median('nnbench', 'fit_s'):>8.3f}s {r.fit_ratio:>6.3f} "
            f"{min(paired):>5.2f}-{max(paired):<5.2f} {r.fit_cpu_ratio:>9.3f} "
            f"{r.median('bare', 'total_s'):>8.3f}s {r.median('nnbench', 'total_s'):>7.3f}s "
            f"{r.run_ratio:>6.3f} {r.batch_events_per_s:>5.1f} pk{r.batch_events_peak_1s:<3d} "
            f"{'yes' if r.same_history else 'NO':>4}")
    return "\n".join(lines)


LEGEND = """\
fit: bare = model.fit(); nnbench = RunStarted .. last EpochEnded (wall, median).  paired: min-max of
the per-repeat fit ratios.  cpu ratio: the same span in process CPU seconds (all threads), steadier
when other processes share the host.  e2e / run(): seed, load, build, compile, fit, evaluate, save.
batch ev/s: BatchProgress events per fit second in the worst repeat; pk: most in any 1 s window.
same: both paths ended every repeat on the same training loss (same model, data, seed)."""


# --- targets ---------------------------------------------------------------------------------------


def check(results: list[Result], targets: dict[str, Any]) -> list[str]:
    """One line per target; a line starting with FAIL is a missed target."""
    lines = []
    default = targets.get("default", {})
    for r in results:
        t = {**default, **targets.get("workload", {}).get(r.key, {})}
        measured = {"max_fit_ratio": r.fit_ratio, "max_fit_cpu_ratio": r.fit_cpu_ratio,
                    "max_run_ratio": r.run_ratio,
                    "max_batch_events_in_1s": float(r.batch_events_peak_1s)}
        for name, value in measured.items():
            if name in t:
                ok = value <= t[name]
                lines.append(f"{'ok  ' if ok else 'FAIL'} {r.key:<14} {name:<28} {value:7.3f} <= "
                             f"{t[name]}")
        if t.get("same_history", False):
            lines.append(f"{'ok  ' if r.same_history else 'FAIL'} {r.key:<14} same_history")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved pairs per workload (default 5, --quick 3)")
    parser.add_argument("--quick", action="store_true", help="fewer epochs and repeats (~1 minute)")
    parser.add_argument("--check", action="store_true",
                        help=f"compare with {TARGETS_PATH.name}; exit 1 when a target is missed")
    parser.add_argument("--only", default="",
                        help="comma-separated workload keys: " + ", ".join(w.key for w in WORKLOADS))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 5)
    if repeats < 1:
        parser.error("--repeats must be at least 1")
    workloads = list(WORKLOADS)
    if args.only:
        keys = [k.strip() for k in args.only.split(",") if k.strip()]
        unknown = sorted(set(keys) - {w.key for w in WORKLOADS})
        if unknown:
            parser.error(f"unknown workload(s) {', '.join(unknown)}")
        workloads = [w for w in WORKLOADS if w.key in keys]

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    # TensorFlow's C++ chatter goes to a file, as `nnbench train` does it.
    with tempfile.TemporaryDirectory(prefix="nnbench-bench-log-") as log_dir, \
            native_stderr_to(Path(log_dir) / "tensorflow.log"):
        results = measure(workloads, repeats, args.quick, log)
    elapsed = time.perf_counter() - started
    keras = import_keras()
    import tensorflow as tf

    print(f"\nnnbench overhead, medians of {repeats} interleaved repeats"
          f"{' (--quick)' if args.quick else ''}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, TensorFlow {tf.__version__}, "
          f"Keras {keras.__version__}; load {load_before:.2f} before; took {elapsed:.0f}s")
    print(format_table(results))
    print(LEGEND)
    busy = max(load_before, os.getloadavg()[0] - 1.0)  # minus about one CPU: this benchmark
    if busy > 0.5:
        print(f"note: other processes kept the host busy (load {load_before:.2f} before the start, "
              f"{os.cpu_count()} CPUs); wall ratios are noisy, the cpu ratios less so.")
    if args.json:
        args.json.write_text(json.dumps({"repeats": repeats, "quick": args.quick,
                                         "results": [r.as_dict() for r in results]}, indent=2))
    if not args.check:
        return 0
    targets = tomllib.loads(TARGETS_PATH.read_text(encoding="utf-8"))
    lines = check(results, targets)
    print(f"\ntargets ({TARGETS_PATH.name}):")
    print("\n".join(lines))
    failed = [line for line in lines if line.startswith("FAIL")]
    print(f"{len(failed)} of {len(lines)} targets missed" if failed else "all targets met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
