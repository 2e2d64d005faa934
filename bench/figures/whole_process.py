"""Whole processes, start to exit: `nnbench train` against the plain Keras script, and the peers a
user would pick (Keras verbose=1/2, the TensorBoard callback) against the script at verbose=0."""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.figures.launch import nnbench_argv
from bench.figures.model import Config, Figure, median, ratio
from bench.ptyrun import PtyProgram
from bench.workloads import WORKLOADS, Workload

Contender = Callable[[Path], tuple[list[str], bool]]
"""A scratch folder -> (the argv to run there, whether its output goes to a pty)."""
Samples = dict[str, dict[str, list[float]]]
"""contender -> "wall" | "cpu" | "epochs" -> one sample a repeat"""
Losses = dict[str, list[float | None]]
"""contender -> its final training loss, one a repeat"""


def _run_to_end(argv: list[str], *, pty_out: bool, cwd: Path, env: dict[str, str] | None = None
                ) -> tuple[float, float, int]:
    """(wall s, CPU s of the process and its waited children, exit code), stdout+stderr to a
    pipe (read and dropped) or to a pty."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    if pty_out:
        prog = PtyProgram(argv, env=env, live=False, cwd=cwd)
        while prog.proc.poll() is None:
            prog.pump(0.05)
        prog.pump(0)
        code = prog.proc.wait()
        prog.close(grace=0)
    else:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd,
                                env={**os.environ, **(env or {})})
        assert proc.stdout is not None
        while proc.stdout.read(65536):
            pass
        code = proc.wait()
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, code


def fig_whole_process(config: Config, scratch: Path, log: Callable[[str], None]
                      ) -> tuple[Figure, Figure]:
    whole = Figure("whole_process", "`nnbench train` vs a plain Keras script, whole processes")
    peers = Figure("peers", "the peers a user would pick, against bare verbose=0 (whole scripts)")
    w = WORKLOADS[config.whole_workload]
    folder = scratch / "whole"
    folder.mkdir()
    preset = w.write_preset(folder, config.whole_epochs)
    contenders = _contenders(config, w, preset, peers)
    samples, losses = _run_contenders(config, contenders, folder, log)
    _add_measures(config, samples, whole, peers)
    _note_other_losses(config, losses, whole, peers)
    whole.raw["losses"] = losses
    if not config.peers:
        peers.status = "skipped"
    return whole, peers


def _is_whole(name: str) -> bool:
    """A whole_process contender (the rest are peers)."""
    return name.startswith(("script|", "nnbench|"))


def _output_to(argv: Callable[[Path], list[str]], on_pty: bool) -> Contender:
    return lambda d: (argv(d), on_pty)


def _contenders(config: Config, w: Workload, preset: Path, peers: Figure) -> dict[str, Contender]:
    """Every contender by name ("who|where its output goes"), in the order they run."""
    epochs = config.whole_epochs

    def script(d: Path, **kw: Any) -> list[str]:
        return w.bare_argv(epochs, result=d / "r.json", save=d / "m.keras", **kw)

    def train(d: Path) -> list[str]:
        return nnbench_argv("train", str(preset), "--runs-dir", str(d / "runs"))

    contenders: dict[str, Contender] = {}
    for out in config.whole_outputs:
        on_pty = out == "pty"
        contenders[f"script|{out}"] = _output_to(script, on_pty)
        contenders[f"nnbench|{out}"] = _output_to(train, on_pty)
    if config.peers:
        contenders["keras verbose=1|pty"] = lambda d: (script(d, verbose=1), True)
        contenders["keras verbose=2|pty"] = lambda d: (script(d, verbose=2), True)
        if importlib.util.find_spec("tensorboard") is not None:
            contenders["TensorBoard|pipe"] = lambda d: (script(d, tensorboard=d / "tb"), False)
        else:
            peers.notes.append("TensorBoard is not installed (pip install '.[bench]'): its "
                               "callback was not measured")
    return contenders


def _run_contenders(config: Config, contenders: dict[str, Contender], folder: Path,
                    log: Callable[[str], None]) -> tuple[Samples, Losses]:
    """Each contender once a repeat, the order reversed every other repeat."""
    samples: Samples = {name: {"wall": [], "cpu": [], "epochs": []} for name in contenders}
    losses: Losses = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(config.whole_repeats):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            d = folder / f"{r}-{name.replace('|', '-').replace(' ', '_').replace('=', '')}"
            d.mkdir()
            argv, on_pty = contenders[name](d)
            wall, cpu, code = _run_to_end(argv, pty_out=on_pty, cwd=d)
            if code != 0:
                raise RuntimeError(f"{name} exited {code}: {' '.join(argv)}")
            s = samples[name]
            s["wall"].append(wall)
            s["cpu"].append(cpu)
            epochs_s, loss = _fit_seconds_and_loss(name, d)
            s["epochs"].append(epochs_s)
            losses[name].append(loss)
            shutil.rmtree(d, ignore_errors=True)
        log(f"  repeat {r + 1}/{config.whole_repeats}: " + "  ".join(
            f"{n} {samples[n]['wall'][-1]:.1f}s/{samples[n]['cpu'][-1]:.1f}cpu" for n in names))
    return samples, losses


def _fit_seconds_and_loss(name: str, d: Path) -> tuple[Any, Any]:
    """The epochs' seconds and the last training loss, from the run folder (nnbench) or the
    script's result file."""
    if name.startswith("nnbench"):
        ev = [json.loads(line) for f in (d / "runs").glob("*/events.jsonl")
              for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
        ended = [e for e in ev if e.get("event") == "EpochEnded"]
        return sum(e["seconds"] for e in ended), (ended[-1]["logs"].get("loss") if ended else None)
    res = json.loads((d / "r.json").read_text(encoding="utf-8"))
    return sum(res["epoch_seconds"]), res["final_loss"]


def _add_measures(config: Config, samples: Samples, whole: Figure, peers: Figure) -> None:
    names = list(samples)
    for name in names:
        fig = whole if _is_whole(name) else peers
        s = samples[name]
        fig.add(f"{name}.wall_s", "s", s["wall"], "process start to exit")
        fig.add(f"{name}.cpu_s", "s", s["cpu"], "user+system CPU of the process (all threads)")
        fig.add(f"{name}.epochs_s", "s", s["epochs"], "the epochs' seconds (fit only)")
    for out in config.whole_outputs:
        n, b = samples[f"nnbench|{out}"], samples[f"script|{out}"]
        whole.headline[f"{out}.wall"] = ratio(median(n["wall"]), median(b["wall"]))
        whole.headline[f"{out}.cpu"] = ratio(median(n["cpu"]), median(b["cpu"]))
        whole.headline[f"{out}.fit"] = ratio(median(n["epochs"]), median(b["epochs"]))
    base = samples[f"script|{config.whole_outputs[0]}"]
    for name in names:
        if name not in whole.measures and f"{name}.wall_s" in peers.measures:
            s = samples[name]
            peers.headline[f"{name}.fit"] = ratio(median(s["epochs"]), median(base["epochs"]))
            peers.headline[f"{name}.cpu"] = ratio(median(s["cpu"]), median(base["cpu"]))


def _note_other_losses(config: Config, losses: Losses, whole: Figure, peers: Figure) -> None:
    """Every contender must train the same: a note for each that ended on other losses."""
    ref = losses[f"script|{config.whole_outputs[0]}"]
    for name in losses:
        if any(a is None or b is None or abs(a - b) > 1e-4 * max(1.0, abs(b))
               for a, b in zip(losses[name], ref, strict=True)):
            (whole if _is_whole(name) else peers).notes.append(
                f"{name} ended on other losses than the script: {losses[name]} vs {ref}")
