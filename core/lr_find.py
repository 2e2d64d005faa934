"""The learning-rate finder: a short range test (Smith 2015, "Cyclical Learning Rates"; fast.ai's
``lr_find``) on a fresh copy of the preset's model.

The learning rate grows exponentially from ``start`` to ``end`` over ``steps`` batches, one
``train_on_batch`` each (its loss is that batch's, not fit()'s running mean). The loss is smoothed
(an exponential moving average with bias correction); the test stops early once the smoothed loss
passes ``diverge`` times its best, or is not finite. The suggested rate is where the smoothed loss
falls fastest against log10(lr): the steepest negative slope before its minimum.

The model trained here is thrown away: the real run builds, initialises and compiles its own.

The app never imports TensorFlow, so it runs the test in a process of its own:
``python -m nnbench.core.lr_find PRESET.toml`` writes one JSON line a point and one for the result
(``find_in_process`` does that and reads them back).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nnbench.core.errors import NnbenchError, TrainingError
from nnbench.core.i18n import N_, _
from nnbench.core.preset import Preset

START_LR = 1e-7
END_LR = 10.0
STEPS = 100
BETA = 0.98
"""Smoothing of the loss: fast.ai's value, about the last 50 batches."""
DIVERGE = 4.0
"""The test ends once the smoothed loss is this many times its best."""
SKIP_START = 5
"""Points at the start that never count for the suggestion: the average is still settling."""


@dataclass(frozen=True)
class LrPoint:
    learning_rate: float
    loss: float
    smoothed: float


@dataclass(frozen=True)
class LrFindResult:
    points: list[LrPoint]
    suggested_index: int | None
    ended: str
    """"diverged" (the loss blew up: the usual end), "done" (all steps ran) or "stopped"."""
    current_lr: float | None = None
    """The preset's own learning rate (None: the optimizer's default)."""
    batch_size: int = 32
    notes: list[str] = field(default_factory=list)

    @property
    def suggested(self) -> float | None:
        i = self.suggested_index
        return self.points[i].learning_rate if i is not None else None

    @property
    def minimum(self) -> LrPoint | None:
        return min(self.points, key=lambda p: p.smoothed) if self.points else None


def schedule(start: float, end: float, steps: int) -> list[float]:
    """``steps`` learning rates from ``start`` to ``end``, evenly spaced on a log scale."""
    if steps < 2:
        return [start]
    return [start * (end / start) ** (i / (steps - 1)) for i in range(steps)]


def smooth(losses: Sequence[float], beta: float = BETA) -> list[float]:
    """Bias-corrected exponential moving average (as fast.ai's finder)."""
    out, avg = [], 0.0
    for i, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * loss
        out.append(avg / (1 - beta ** (i + 1)))
    return out


def suggest(learning_rates: Sequence[float], smoothed: Sequence[float],
            skip_start: int = SKIP_START) -> int | None:
    """The index where the smoothed loss falls fastest against log10(lr), before its minimum;
    None when it never falls (the range started too high, or too few points)."""
    import numpy as np

    n = len(smoothed)
    if n < 3:
        return None
    logs = np.log10(np.asarray(learning_rates, dtype=float))
    values = np.asarray(smoothed, dtype=float)
    lowest = int(np.argmin(values))
    slopes = np.gradient(values, logs)
    first = min(skip_start, max(0, lowest - 1))
    window = slopes[first:lowest + 1]
    if window.size == 0 or float(window.min()) >= 0:
        return None
    return first + int(np.argmin(window))


def _batches(data: Any, batch_size: int, seed: int | None) -> Iterator[tuple[Any, Any]]:
    """Training batches forever: the arrays shuffled each pass, or the dataset repeated."""
    import numpy as np

    if data.x_train is None:
        yield from data.train_ds.repeat()
        return
    rng = np.random.default_rng(seed)
    n = len(data.x_train)
    while True:
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            yield data.x_train[index], data.y_train[index]


def lr_range_test(preset: Preset, *, start: float = START_LR, end: float = END_LR,
                  steps: int = STEPS, diverge: float = DIVERGE,
                  on_point: Callable[[LrPoint], None] | None = None,
                  stop: threading.Event | None = None) -> LrFindResult:
    """Run the range test on a fresh model of ``preset`` (imports TensorFlow).

    Raises:
        NnbenchError: the preset can't be trained (the Trainer's own checks), or the range is
            nonsense.
    """
    from nnbench.core.training import Trainer

    if not (0 < start < end) or steps < 3:
        raise NnbenchError(_("the range test needs 0 < start < end and 3 steps or more, not "
                             "start {start}, end {end}, {steps} steps").format(
            start=start, end=end, steps=steps))
    prepared = Trainer(preset)._prepare()  # the Trainer's data, labels, model and compile
    model, data = prepared.model, prepared.data
    batches = _batches(data, preset.fit.batch_size, preset.fit.seed)
    rates = schedule(start, end, steps)
    points: list[LrPoint] = []
    ended, best, avg = "done", math.inf, 0.0
    for i, rate in enumerate(rates):
        if stop is not None and stop.is_set():
            ended = "stopped"
            break
        model.optimizer.learning_rate = rate
        x, y = next(batches)
        logs = model.train_on_batch(x, y, return_dict=True)
        loss = float(logs["loss"])
        if not math.isfinite(loss):
            ended = "diverged"
            break
        avg = BETA * avg + (1 - BETA) * loss
        smoothed = avg / (1 - BETA ** (i + 1))
        point = LrPoint(rate, loss, smoothed)
        points.append(point)
        if on_point is not None:
            on_point(point)
        best = min(best, smoothed)
        if i > SKIP_START and smoothed > diverge * best:
            ended = "diverged"
            break
    if not points:
        raise TrainingError(_("the loss was not finite from the first batch, even at learning "
                              "rate {rate}; scale the data (data.scaling = \"standardize\")").format(
            rate=f"{start:g}"))
    index = suggest([p.learning_rate for p in points], [p.smoothed for p in points])
    current = preset.compile.optimizer.params.get("learning_rate")
    return LrFindResult(points, index, ended,
                        float(current) if isinstance(current, (int, float)) else None,
                        preset.fit.batch_size, list(prepared.notices))


# --- in a process of its own (the app) ---------------------------------------------------------

def result_from_dict(data: dict[str, Any]) -> LrFindResult:
    return LrFindResult(points=[LrPoint(**p) for p in data["points"]],
                        suggested_index=data.get("suggested_index"), ended=data["ended"],
                        current_lr=data.get("current_lr"), batch_size=data.get("batch_size", 32),
                        notes=list(data.get("notes", [])))


def find_in_process(preset: Preset, *, on_point: Callable[[LrPoint], None] | None = None,
                    stop: threading.Event | None = None, steps: int = STEPS) -> LrFindResult:
    """``lr_range_test`` in a child process (TensorFlow loads there, not here); blocks, so call
    it from a thread. ``stop`` ends the child.

    Raises:
        NnbenchError: the child's refusal, or that it died without an answer.
    """
    from nnbench.core.preset import save_preset

    with tempfile.TemporaryDirectory(prefix="nnbench-lr-find-") as folder:
        path = save_preset(preset, Path(folder) / "preset.toml")
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        child = subprocess.Popen(
            [sys.executable, "-m", "nnbench.core.lr_find", str(path), "--steps", str(steps)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        if stop is not None:
            def watch() -> None:
                while child.poll() is None:
                    if stop.wait(0.2):
                        child.kill()
                        return

            threading.Thread(target=watch, name="lr-find-stop", daemon=True).start()
        answer: dict[str, Any] | None = None
        assert child.stdout is not None
        for raw in child.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if "point" in message and on_point is not None:
                on_point(LrPoint(**message["point"]))
            elif "result" in message or "error" in message:
                answer = message
        stderr = child.stderr.read().decode("utf-8", "replace") if child.stderr else ""
        child.wait()
    if stop is not None and stop.is_set():
        raise NnbenchError(_("the learning-rate finder was stopped"), title=N_("Stopped"))
    if answer is None:
        last = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit code {child.returncode}"
        raise TrainingError(_("the learning-rate finder ended without an answer: {last}").format(
            last=last))
    if "error" in answer:
        raise NnbenchError(answer["error"], title=answer.get("title") or "Learning-rate finder")
    return result_from_dict(answer["result"])


def _child(argv: Sequence[str]) -> int:
    """``python -m nnbench.core.lr_find PRESET.toml [--steps N]``: JSON lines on stdout."""
    import argparse

    from nnbench.core.keras_env import import_keras
    from nnbench.core.preset import load_preset

    parser = argparse.ArgumentParser(prog="python -m nnbench.core.lr_find")
    parser.add_argument("preset")
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args(argv)

    def say(message: dict[str, Any]) -> None:
        print(json.dumps(message), flush=True)

    try:
        preset = load_preset(args.preset)
        import_keras()
        result = lr_range_test(preset, steps=args.steps,
                               on_point=lambda p: say({"point": asdict(p)}))
    except NnbenchError as exc:
        say({"error": exc.message, "title": exc.title})
        return 2
    say({"result": asdict(result)})
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
