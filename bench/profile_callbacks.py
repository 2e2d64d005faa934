"""Where does nnbench's per-batch overhead go? Times every callback hook in a real fit.

Runs one workload of ``bench_overhead.py`` (default: the batch-8 one) once in bare Keras and once
through ``Trainer.run()``, with timers wrapped around, for this process only:

* ``CallbackList``'s hooks (what ``fit`` calls per batch and per epoch), and within them
  ``pythonify_logs`` (Keras 3 on TensorFlow dispatches batch hooks synchronously and converts the
  step's logs to Python floats on every batch, whatever the callbacks are);
* each callback's own hooks (History, TerminateOnNaN, CSVLogger, the event adapter, ...).

Prints microseconds per call and the total as a share of the fit, per path, so the difference is
nnbench's cost. ``--cprofile`` also prints the top functions of the nnbench fit under cProfile
(which inflates Python-heavy code; read it for *where*, not *how much*).

    python bench/profile_callbacks.py [--workload digits-mlp-b8] [--epochs N] [--cprofile]
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_overhead import WORKLOADS, run_bare, run_nnbench  # noqa: E402

from nnbench.core.keras_env import import_keras  # noqa: E402
from nnbench.core.native_log import native_stderr_to  # noqa: E402

LIST_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
              "on_test_batch_end", "on_epoch_begin", "on_epoch_end", "on_train_begin",
              "on_train_end", "on_test_begin", "on_test_end")


class Timers:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        seconds, calls, clock = self.seconds, self.calls, time.perf_counter

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds[name] += clock() - began
                calls[name] += 1

        return timed


@contextmanager
def instrumented(timers: Timers) -> Iterator[None]:
    """Timers on CallbackList's hooks, pythonify_logs, and every callback's hooks."""
    import_keras()
    from keras.src.callbacks import callback_list
    from keras.src.utils import python_utils

    from nnbench.core.runs import RunRecorder
    from nnbench.core.training import Trainer

    cls = callback_list.CallbackList
    saved = {name: cls.__dict__[name] for name in (*LIST_HOOKS, "__init__")}
    saved_pythonify = python_utils.pythonify_logs
    saved_emit, saved_record = Trainer.emit, RunRecorder.__call__
    original_init = saved["__init__"]
    timed_with_tensors = timers.wrap("pythonify_logs (a batch's tensors)", saved_pythonify)
    timed_otherwise = timers.wrap("pythonify_logs (None or floats)", saved_pythonify)

    def pythonify(logs: Any) -> Any:
        if logs and any(type(v).__name__ == "EagerTensor" for v in logs.values()):
            return timed_with_tensors(logs)
        return timed_otherwise(logs)

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        for cb in self.callbacks:
            if getattr(cb, "_bench_timed", False):
                continue
            cb._bench_timed = True
            for hook in LIST_HOOKS:
                setattr(cb, hook, timers.wrap(f"{type(cb).__name__}.{hook}", getattr(cb, hook)))
            if hasattr(cb, "_learning_rate"):  # the event adapter reads it every epoch
                cb._learning_rate = timers.wrap(f"{type(cb).__name__}._learning_rate",
                                                cb._learning_rate)

    try:
        cls.__init__ = init
        for name in LIST_HOOKS:
            setattr(cls, name, timers.wrap(f"CallbackList.{name}", saved[name]))
        python_utils.pythonify_logs = pythonify
        Trainer.emit = timers.wrap("Trainer.emit (all listeners)", saved_emit)
        RunRecorder.__call__ = timers.wrap("RunRecorder.__call__", saved_record)
        yield
    finally:
        for name, fn in saved.items():
            setattr(cls, name, fn)
        python_utils.pythonify_logs = saved_pythonify
        Trainer.emit, RunRecorder.__call__ = saved_emit, saved_record


def report(title: str, timers: Timers, fit_s: float, batches: int) -> None:
    print(f"\n{title}: fit {fit_s:.3f}s, {batches} training batches "
          f"({fit_s / batches * 1e6:.0f} us a batch, validation included)")
    print(f"  {'hook':<48} {'calls':>7} {'us/call':>9} {'total ms':>9} {'% fit':>6}")
    rows = sorted(timers.seconds.items(), key=lambda kv: -kv[1])
    for name, seconds in rows:
        calls = timers.calls[name]
        print(f"  {name:<48} {calls:>7} {seconds / calls * 1e6:>9.1f} {seconds * 1e3:>9.1f} "
              f"{seconds / fit_s * 100:>5.1f}%")


def batch_cost(timers: Timers) -> float:
    """Seconds in CallbackList's train-batch hooks, pythonify included."""
    return sum(timers.seconds[f"CallbackList.on_train_batch_{e}"] for e in ("begin", "end"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", default="digits-mlp-b8", choices=[w.key for w in WORKLOADS])
    parser.add_argument("--epochs", type=int, default=None, help="default: the workload's own")
    parser.add_argument("--cprofile", action="store_true", help="also cProfile the nnbench fit")
    args = parser.parse_args(argv)
    workload = next(w for w in WORKLOADS if w.key == args.workload)
    preset = workload.make_preset(args.epochs or workload.epochs)

    with tempfile.TemporaryDirectory(prefix="nnbench-profile-") as tmp, \
            native_stderr_to(Path(tmp) / "tensorflow.log"):
        tmp_dir = Path(tmp)
        warm = workload.make_preset(1)
        run_bare(workload, warm, tmp_dir)
        run_nnbench(warm, tmp_dir / "runs")

        bare_timers, nnb_timers = Timers(), Timers()
        with instrumented(bare_timers):
            bare = run_bare(workload, preset, tmp_dir)
        with instrumented(nnb_timers):
            nnb = run_nnbench(preset, tmp_dir / "runs")
        stats = None
        if args.cprofile:
            profile = cProfile.Profile()
            profile.enable()
            run_nnbench(preset, tmp_dir / "runs")
            profile.disable()
            buffer = io.StringIO()
            stats = pstats.Stats(profile, stream=buffer)

    batches = bare_timers.calls["CallbackList.on_train_batch_end"]
    report("bare Keras", bare_timers, bare.fit_s, batches)
    report("nnbench", nnb_timers, nnb.fit_s, nnb_timers.calls["CallbackList.on_train_batch_end"])
    extra_batch = batch_cost(nnb_timers) - batch_cost(bare_timers)
    epoch_hooks = ("on_epoch_begin", "on_epoch_end")
    extra_epoch = sum(nnb_timers.seconds[f"CallbackList.{h}"] - bare_timers.seconds[f"CallbackList.{h}"]
                      for h in epoch_hooks)
    key = "pythonify_logs (a batch's tensors)"
    pythonify, calls = nnb_timers.seconds[key], nnb_timers.calls[key]
    print(f"\nnnbench minus bare, train-batch hooks:  {extra_batch * 1e3:.1f} ms "
          f"({extra_batch / batches * 1e6:.1f} us a batch, {extra_batch / bare.fit_s * 100:.2f}% of "
          f"the bare fit)")
    print(f"nnbench minus bare, epoch hooks:        {extra_epoch * 1e3:.1f} ms "
          f"({extra_epoch / preset.fit.epochs * 1e3:.2f} ms an epoch, "
          f"{extra_epoch / bare.fit_s * 100:.2f}% of the bare fit)")
    print(f"pythonify_logs of tensors (both paths): {pythonify * 1e3:.1f} ms in {calls} calls "
          f"({pythonify / max(calls, 1) * 1e6:.1f} us a call, {pythonify / nnb.fit_s * 100:.2f}% of "
          "the nnbench fit)")
    print(f"fit wall: bare {bare.fit_s:.3f}s, nnbench {nnb.fit_s:.3f}s; "
          f"fit CPU: bare {bare.fit_cpu_s:.3f}s, nnbench {nnb.fit_cpu_s:.3f}s (one run each: noisy)")
    if stats is not None:
        print("\ncProfile of one nnbench run(), top 25 by own time:")
        stats.sort_stats("tottime").print_stats(25)
        print(buffer.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
