"""Each figure of issue 10, measured from outside the program as a person would see it.

Every function takes a ``Config`` and a scratch folder and returns a ``Figure``: named measures
(median, spread, samples) and the raw samples. Contenders are interleaved and, where two are
compared, the order alternates from one repeat to the next.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.ptyrun import PtyProgram, RunFolderWatcher, TreeMeter, key_bytes, replay, screen_text
from bench.workloads import BENCH_DIR, WORKLOADS, Workload, write_synthetic

REPO = BENCH_DIR.parent
HELLO_APP = BENCH_DIR / "hello_app.py"
APP_READY = "TensorFlow ready"
"""The status line once the app can train (Ctrl+R)."""
FIRST_FRAME_TEXT = ("Build", "Train", "Runs")
"""On the first usable frame: the tab bar."""


# --- results ---------------------------------------------------------------------------------


@dataclass
class Measure:
    name: str
    unit: str
    samples: list[float]
    what: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def spread(self) -> tuple[float, float] | None:
        return (min(self.samples), max(self.samples)) if self.samples else None

    def p95(self) -> float | None:
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "unit": self.unit, "what": self.what, "median": self.median,
                "min": self.spread[0] if self.spread else None,
                "max": self.spread[1] if self.spread else None, "p95": self.p95(),
                "n": len(self.samples), "samples": self.samples}


@dataclass
class Figure:
    key: str
    title: str
    status: str = "measured"
    """measured | skipped | failed"""
    measures: dict[str, Measure] = field(default_factory=dict)
    headline: dict[str, float | None] = field(default_factory=dict)
    """The numbers the targets are checked against (ratios, p95s)."""
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, unit: str, samples: list[float], what: str = "") -> Measure:
        m = self.measures[name] = Measure(name, unit, [float(s) for s in samples], what)
        return m

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "status": self.status,
                "headline": self.headline, "notes": self.notes,
                "measures": {k: m.as_dict() for k, m in self.measures.items()}, "raw": self.raw}


@dataclass(frozen=True)
class Config:
    name: str
    throughput: tuple[tuple[str, int], ...]
    """(workload, epochs) trained in the app and bare"""
    repeats: int
    whole_epochs: int
    whole_workload: str
    whole_repeats: int
    whole_outputs: tuple[str, ...]
    """"pipe", "pty": where the whole processes' stdout goes"""
    peers: bool
    first_frame_repeats: int
    key_presses: int
    chart_points: int
    chart_repeats: int
    runs_on_disk: int
    runs_list_repeats: int
    test_suite: bool
    tab_keys: dict[str, str] | None = None


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b not in (None, 0) else None


def nnbench_argv(*args: str) -> list[str]:
    """What the ``nnbench`` console script runs (headless commands and the app): ``nnbench.tui``
    where it has a ``__main__`` (the entry point moves there), else ``nnbench.core.cli``."""
    try:
        import nnbench.tui

        # the package's own folder (an import hook could resolve __main__ from another copy)
        has_main = any((Path(p) / "__main__.py").exists() for p in nnbench.tui.__path__)
    except ImportError:
        has_main = False
    return [sys.executable, "-m", "nnbench.tui" if has_main else "nnbench.core.cli", *args]


def app_env(runs_dir: Path) -> dict[str, str]:
    return {"NNBENCH_RUNS_DIR": str(runs_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}


def tab_keys(config: Config) -> dict[str, str]:
    """The app's own tab keys (``show_tab`` bindings in tui/app.py), or the configured ones."""
    if config.tab_keys:
        return dict(config.tab_keys)
    from nnbench.tui.app import NnbenchApp

    keys: dict[str, str] = {}
    for binding in NnbenchApp.BINDINGS:
        action = getattr(binding, "action", "")
        if action.startswith("show_tab("):
            tab = action[len("show_tab("):-1].strip("'\"")
            keys.setdefault(tab, binding.key.split(",")[0].strip())
    return keys


# --- one training, watched from outside --------------------------------------------------------


@dataclass
class Watched:
    """A training process followed through its events file."""

    epoch_seconds: list[float]
    fit_wall_s: float
    """RunStarted seen .. last EpochEnded seen"""
    fit_cpu_s: float
    """CPU seconds of the whole process tree over the same span"""
    peak_rss_mb: float
    final_loss: float | None
    epoch_ends: list[tuple[float, int, dict[str, float]]]
    """(monotonic time the epoch's line was written, epoch, logs)"""
    chunks: list[Any] = field(default_factory=list)
    keys: list[tuple[float, bytes]] = field(default_factory=list)
    pids: int = 1


def _follow(watcher: RunFolderWatcher, meter: TreeMeter, pump: Callable[[], bool],
            timeout: float, on_epoch: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Poll the events file until RunFinished; CPU read as each RunStarted/EpochEnded is seen."""
    clock_offset = time.time() - time.monotonic()
    marks: list[tuple[str, float, float, dict[str, Any]]] = []
    deadline = time.monotonic() + timeout
    last_sample = 0.0
    while time.monotonic() < deadline:
        alive = pump()
        new = watcher.poll()
        now = time.monotonic()
        if new:
            cpu, _ = meter.sample()
            last_sample = now
            seen, mtime, _ = watcher.events[-1]
            written = min(seen, mtime - clock_offset)
            for event in new:
                kind = event.get("event")
                if kind in ("RunStarted", "EpochEnded"):
                    marks.append((kind, written, cpu, event))
                    if kind == "EpochEnded" and on_epoch is not None:
                        on_epoch(int(event.get("epoch", 0)))
            if watcher.finished() is not None:
                break
        elif now - last_sample > 0.25:
            meter.sample()
            last_sample = now
        if not alive and not new:
            watcher.poll()
            if watcher.finished() is None:
                raise RuntimeError("the training process ended without RunFinished")
            break
    else:
        raise RuntimeError(f"no RunFinished within {timeout:.0f}s")
    finished = watcher.finished() or {}
    if finished.get("status") not in ("finished", None):
        raise RuntimeError(f"run {finished.get('status')}: {finished.get('error')}")
    started = next((m for m in marks if m[0] == "RunStarted"), None)
    ends = [m for m in marks if m[0] == "EpochEnded"]
    if not ends:
        raise RuntimeError("no epoch ended")
    first = started or ends[0]
    return {"started": first, "ends": ends}


def _watched(marks: dict[str, Any], meter: TreeMeter) -> Watched:
    first, ends = marks["started"], marks["ends"]
    logs = ends[-1][3].get("logs", {})
    return Watched(
        epoch_seconds=[float(e[3].get("seconds", 0.0)) for e in ends],
        fit_wall_s=ends[-1][1] - first[1], fit_cpu_s=ends[-1][2] - first[2],
        peak_rss_mb=meter.peak_rss / 2**20, final_loss=logs.get("loss"),
        epoch_ends=[(e[1], int(e[3].get("epoch", 0)), e[3].get("logs", {})) for e in ends],
        pids=len(meter.pids_seen))


def train_bare(w: Workload, epochs: int, scratch: Path, data: Path | None) -> Watched:
    folder = scratch / f"bare-{time.monotonic_ns()}"
    folder.mkdir()
    events = folder / "events.jsonl"
    argv = w.bare_argv(epochs, data_path=data, events=events, save=folder / "model.keras")
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=folder)
    try:
        meter = TreeMeter(proc.pid)
        watcher = RunFolderWatcher(folder)

        def pump() -> bool:
            time.sleep(0.01)
            return proc.poll() is None

        marks = _follow(watcher, meter, pump, timeout=600)
        proc.wait(120)
        return _watched(marks, meter)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


def start_app(preset: Path | None, runs_dir: Path, live: bool = True) -> PtyProgram:
    argv = nnbench_argv(*([str(preset)] if preset else []))
    return PtyProgram(argv, env=app_env(runs_dir), live=live, cwd=runs_dir.parent)


def wait_ready(app: PtyProgram, meter: TreeMeter | None = None, timeout: float = 180) -> float:
    t = app.wait_for(lambda s: APP_READY in s, timeout,
                     also=(lambda: meter.sample()) if meter else None)
    if t is None:
        raise RuntimeError(f"the app did not say {APP_READY!r} within {timeout:.0f}s:\n"
                           + app.text())
    app.drain(0.5)
    return t


def train_in_app(w: Workload, epochs: int, scratch: Path, data: Path | None,
                 during: Callable[[PtyProgram, int], None] | None = None,
                 setup: Callable[[PtyProgram], None] | None = None) -> Watched:
    """The full app in a pty trains the preset by Ctrl+R; followed through its run folder."""
    folder = scratch / f"app-{time.monotonic_ns()}"
    runs_dir = folder / "runs"
    runs_dir.mkdir(parents=True)
    preset = w.write_preset(folder, epochs, data)
    watcher = RunFolderWatcher(runs_dir)
    app = start_app(preset, runs_dir)
    try:
        meter = TreeMeter(app.pid, extra_pids=watcher.run_pids)
        wait_ready(app, meter)
        if setup is not None:
            setup(app)
        app.set_live(False)  # from here on only record: parsing would compete for the CPUs
        app.press("ctrl+r")
        t_press = time.monotonic()
        while not watcher.files():
            app.pump(0.05)
            if time.monotonic() - t_press > 120:
                app.set_live(True)
                raise RuntimeError("Ctrl+R started no run within 120 s:\n" + app.text())
        marks = _follow(watcher, meter, lambda: app.pump(0.01), timeout=900,
                        on_epoch=(lambda n: during(app, n)) if during else None)
        app.drain(1.0)  # the last epoch's frames
        result = _watched(marks, meter)
        result.chunks, result.keys = app.chunks, app.keys
        return result
    finally:
        app.close()
        shutil.rmtree(folder, ignore_errors=True)


# --- epoch end to chart, from a recorded app run ----------------------------------------------


def _legend_text(value: float) -> str:
    """How the chart legend writes a curve's last value (tui/widgets/curve_chart.py ``_short``)."""
    size = abs(value)
    if size != 0 and (size < 1e-3 or size >= 1e5):
        return f"{value:.2e}"
    return f"{value:.4f}" if size < 100 else f"{value:,.1f}"


def epoch_to_chart(watched: Watched) -> tuple[list[float], int]:
    """Per epoch: seconds from its EpochEnded line being written to the first frame whose loss
    chart legend shows that epoch's loss ("━ loss 0.1234"). Also how many were never seen."""
    pending = [(t, f"━ loss {_legend_text(logs['loss'])}") for t, _, logs in watched.epoch_ends
               if isinstance(logs.get("loss"), (int, float))]
    latencies: list[float] = []
    missed = 0
    i = 0
    for t, screen in replay(watched.chunks):
        if i >= len(pending):
            break
        text = None
        while i < len(pending) and t >= pending[i][0]:
            text = text if text is not None else screen_text(screen)
            if pending[i][1] in text:
                latencies.append(t - pending[i][0])
                i += 1
            elif i + 1 < len(pending) and t >= pending[i + 1][0]:
                missed += 1  # the next epoch ended before this one was shown: never drawn
                i += 1
            else:
                break
    missed += len(pending) - i
    return latencies, missed


# --- figures ----------------------------------------------------------------------------------


def fig_throughput(config: Config, scratch: Path, log: Callable[[str], None]
                   ) -> tuple[Figure, Figure, Figure]:
    thr = Figure("throughput_app", "training throughput: the app in a pty vs model.fit(verbose=0)")
    e2c = Figure("epoch_to_chart", "epoch end to the chart on screen (loss legend), app in a pty")
    mem = Figure("memory", "peak RSS of the app's process tree beyond bare training")
    data = None
    latencies: list[float] = []
    missed = 0
    for key, epochs in config.throughput:
        w = WORKLOADS[key]
        if w.synthetic:
            data = data or write_synthetic(scratch / "synthetic.npz")
        app_runs: list[Watched] = []
        bare_runs: list[Watched] = []
        for r in range(config.repeats):
            order = ("bare", "app") if r % 2 == 0 else ("app", "bare")
            for side in order:
                if side == "app":
                    app_runs.append(train_in_app(w, epochs, scratch, data))
                else:
                    bare_runs.append(train_bare(w, epochs, scratch, data))
            a, b = app_runs[-1], bare_runs[-1]
            log(f"  {key} repeat {r + 1}/{config.repeats}: epochs' seconds app "
                f"{sum(a.epoch_seconds):.2f} bare {sum(b.epoch_seconds):.2f}; cpu app "
                f"{a.fit_cpu_s:.2f} bare {b.fit_cpu_s:.2f}; rss app {a.peak_rss_mb:.0f} MB bare "
                f"{b.peak_rss_mb:.0f} MB ({a.pids} processes)")
            lat, miss = epoch_to_chart(a)
            latencies += lat
            missed += miss
        app_wall = [sum(a.epoch_seconds) for a in app_runs]
        bare_wall = [sum(b.epoch_seconds) for b in bare_runs]
        thr.add(f"{key}.app_epochs_s", "s", app_wall, f"app: sum of {epochs} epochs' seconds")
        thr.add(f"{key}.bare_epochs_s", "s", bare_wall, "bare: the same")
        thr.add(f"{key}.app_cpu_s", "s", [a.fit_cpu_s for a in app_runs],
                "app: CPU of the process tree, RunStarted..last epoch")
        thr.add(f"{key}.bare_cpu_s", "s", [b.fit_cpu_s for b in bare_runs], "bare: the same")
        thr.add(f"{key}.paired_wall", "x", [b / a for a, b in zip(app_wall, bare_wall, strict=True)],
                "bare / app per repeat (throughput)")
        thr.headline[f"{key}.wall"] = ratio(median(bare_wall), median(app_wall))
        thr.headline[f"{key}.cpu"] = ratio(median([b.fit_cpu_s for b in bare_runs]),
                                           median([a.fit_cpu_s for a in app_runs]))
        same = all(a.final_loss is not None and b.final_loss is not None
                   and abs(a.final_loss - b.final_loss) <= 1e-4 * max(1.0, abs(b.final_loss))
                   for a, b in zip(app_runs, bare_runs, strict=True))
        thr.raw[f"{key}.same_final_loss"] = same
        if not same:
            thr.notes.append(f"{key}: the app and bare ended on different losses "
                             f"({[a.final_loss for a in app_runs]} vs "
                             f"{[b.final_loss for b in bare_runs]}): not the same training")
        app_rss = [a.peak_rss_mb for a in app_runs]
        bare_rss = [b.peak_rss_mb for b in bare_runs]
        mem.add(f"{key}.app_rss_mb", "MB", app_rss, "peak RSS, app + children")
        mem.add(f"{key}.bare_rss_mb", "MB", bare_rss, "peak RSS, bare script")
        mem.headline[f"{key}.extra_mb"] = (median(app_rss) or 0) - (median(bare_rss) or 0)
        thr.raw[f"{key}.app_processes"] = [a.pids for a in app_runs]
    e2c.add("latency_ms", "ms", [x * 1000 for x in latencies],
            "EpochEnded written .. first frame showing its loss")
    e2c.headline["p95_ms"] = e2c.measures["latency_ms"].p95()
    e2c.raw["missed"] = missed
    if missed:
        e2c.notes.append(f"{missed} epoch(s) never shown on their own (the next epoch was shown "
                         "first, or the legend did not carry the value)")
    return thr, e2c, mem


def fig_key_to_screen(config: Config, scratch: Path, log: Callable[[str], None]) -> Figure:
    fig = Figure("key_to_screen", "key to screen while training: tab switches, both cores busy")
    keys = tab_keys(config)
    a_tab, b_tab = "build", "train"
    ka, kb = keys.get(a_tab), keys.get(b_tab)
    if not ka or not kb:
        fig.status = "failed"
        fig.notes.append(f"no key for the {a_tab}/{b_tab} tabs in {keys}")
        return fig
    fig.raw["keys"] = {a_tab: ka, b_tab: kb}
    signatures: dict[str, set[str]] = {}
    presses: list[tuple[float, str]] = []
    interval = 0.35

    def calibrate(app: PtyProgram) -> None:
        # Each tab's rows that stay put and the other tab does not show: how to tell them apart.
        shots: dict[str, list[set[str]]] = {a_tab: [], b_tab: []}
        for _ in range(2):
            for tab, key in ((a_tab, ka), (b_tab, kb)):
                app.press(key)
                app.drain(1.2)
                shots[tab].append({row.strip() for row in app.screen.display[3:-3] if row.strip()})
                app.drain(0.4)
                shots[tab].append({row.strip() for row in app.screen.display[3:-3] if row.strip()})
        for tab, other in ((a_tab, b_tab), (b_tab, a_tab)):
            stable = set.intersection(*shots[tab]) - set.union(*shots[other])
            signatures[tab] = {row for row in stable if len(row) > 3}
        if not signatures[a_tab] or not signatures[b_tab]:
            raise RuntimeError(f"cannot tell the {a_tab} and {b_tab} tabs apart by their rows")

    def press_all(app: PtyProgram) -> None:
        # One press every `interval` s, alternating the tabs; the pty is read in between.
        while len(presses) < config.key_presses:
            tab = a_tab if len(presses) % 2 == 0 else b_tab
            presses.append((app.press(keys[tab]), tab))
            end = time.monotonic() + interval
            while time.monotonic() < end:
                app.pump(0.01)

    w = WORKLOADS["digits-wide"]
    # long enough to outlast the calibration and every press (an epoch takes 0.25 s or more)
    epochs = int((config.key_presses * interval + 15) / 0.2)
    folder = scratch / f"keys-{time.monotonic_ns()}"
    runs_dir = folder / "runs"
    runs_dir.mkdir(parents=True)
    preset = w.write_preset(folder, epochs)
    watcher = RunFolderWatcher(runs_dir)
    app = start_app(preset, runs_dir)
    try:
        wait_ready(app)
        app.press("ctrl+r")
        if app.wait_for(lambda s: watcher.of("EpochEnded") != [], 180,
                        also=watcher.poll) is None:
            raise RuntimeError("training did not start:\n" + app.text())
        calibrate(app)  # while training: both cores busy
        app.set_live(False)
        recorded_from = len(app.chunks)
        press_all(app)
        app.drain(1.0)
        watcher.poll()
        busy = watcher.finished() is None
        chunks = app.chunks
    finally:
        app.close()
        shutil.rmtree(folder, ignore_errors=True)
    if not busy:
        fig.notes.append("training ended before the last press: some presses were not "
                         "'while training'")
    latencies: list[float] = []
    missed = 0
    i = 0
    screen_iter = replay(chunks)
    # replay from the start (the screen's state matters), measure from the first press on
    n = 0
    for t, screen in screen_iter:
        n += 1
        if n <= recorded_from or i >= len(presses):
            continue
        while i < len(presses):
            t_press, tab = presses[i]
            if t < t_press:
                break
            rows = {row.strip() for row in screen.display[3:-3]}
            if signatures[tab] & rows:
                latencies.append(t - t_press)
                i += 1
                continue
            if i + 1 < len(presses) and t >= presses[i + 1][0]:
                missed += 1
                i += 1
                continue
            break
    missed += len(presses) - i
    fig.add("latency_ms", "ms", [x * 1000 for x in latencies], "key written .. first frame of the tab")
    fig.headline["p95_ms"] = fig.measures["latency_ms"].p95()
    fig.raw["presses"] = len(presses)
    fig.raw["missed"] = missed
    if missed:
        fig.notes.append(f"{missed} of {len(presses)} presses never showed their tab before the "
                         "next press")
    log(f"  {len(latencies)} tab switches, p95 {fig.headline['p95_ms'] or 0:.0f} ms, "
        f"{missed} missed")
    return fig


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
    epochs = config.whole_epochs
    folder = scratch / "whole"
    folder.mkdir()
    preset = w.write_preset(folder, epochs)
    def script(d: Path, **kw: Any) -> list[str]:
        return w.bare_argv(epochs, result=d / "r.json", save=d / "m.keras", **kw)

    def train(d: Path) -> list[str]:
        return nnbench_argv("train", str(preset), "--runs-dir", str(d / "runs"))

    contenders: dict[str, Callable[[Path], tuple[list[str], bool]]] = {}
    for out in config.whole_outputs:
        on_pty = out == "pty"
        contenders[f"script|{out}"] = lambda d, p=on_pty: (script(d), p)
        contenders[f"nnbench|{out}"] = lambda d, p=on_pty: (train(d), p)
    if config.peers:
        contenders["keras verbose=1|pty"] = lambda d: (script(d, verbose=1), True)
        contenders["keras verbose=2|pty"] = lambda d: (script(d, verbose=2), True)
        if importlib.util.find_spec("tensorboard") is not None:
            contenders["TensorBoard|pipe"] = lambda d: (script(d, tensorboard=d / "tb"), False)
        else:
            peers.notes.append("TensorBoard is not installed (pip install '.[bench]'): its "
                               "callback was not measured")
    samples: dict[str, dict[str, list[float]]] = {
        name: {"wall": [], "cpu": [], "epochs": []} for name in contenders}
    losses: dict[str, list[float | None]] = {name: [] for name in contenders}
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
            if name.startswith("nnbench"):
                ev = [json.loads(line) for f in (d / "runs").glob("*/events.jsonl")
                      for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
                ended = [e for e in ev if e.get("event") == "EpochEnded"]
                s["epochs"].append(sum(e["seconds"] for e in ended))
                losses[name].append(ended[-1]["logs"].get("loss") if ended else None)
            else:
                res = json.loads((d / "r.json").read_text(encoding="utf-8"))
                s["epochs"].append(sum(res["epoch_seconds"]))
                losses[name].append(res["final_loss"])
            shutil.rmtree(d, ignore_errors=True)
        log(f"  repeat {r + 1}/{config.whole_repeats}: " + "  ".join(
            f"{n} {samples[n]['wall'][-1]:.1f}s/{samples[n]['cpu'][-1]:.1f}cpu" for n in names))
    for name in names:
        fig = whole if name.startswith(("script|", "nnbench|")) else peers
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
    ref = losses[f"script|{config.whole_outputs[0]}"]
    for name in names:
        if any(a is None or b is None or abs(a - b) > 1e-4 * max(1.0, abs(b))
               for a, b in zip(losses[name], ref, strict=True)):
            (whole if name.startswith(("script|", "nnbench|")) else peers).notes.append(
                f"{name} ended on other losses than the script: {losses[name]} vs {ref}")
    whole.raw["losses"] = losses
    if not config.peers:
        peers.status = "skipped"
    return whole, peers


def fig_first_frame(config: Config, scratch: Path, log: Callable[[str], None]) -> Figure:
    fig = Figure("first_frame", "process start to the first usable frame in a pty")
    runs_dir = scratch / "ff-runs"
    runs_dir.mkdir()
    app_s, hello_s, tf_s = [], [], []
    for r in range(config.first_frame_repeats):
        for who in (("app", "hello", "tf") if r % 2 == 0 else ("tf", "hello", "app")):
            if who == "tf":
                t0 = time.monotonic()
                subprocess.run([sys.executable, "-c", "import tensorflow"], check=True,
                               env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                tf_s.append(time.monotonic() - t0)
                continue
            if who == "app":
                prog = start_app(None, runs_dir)
                ready = lambda s: all(word in s for word in FIRST_FRAME_TEXT)  # noqa: E731
            else:
                prog = PtyProgram([sys.executable, str(HELLO_APP)], cwd=scratch)
                ready = lambda s: "hello from a bare Textual app" in s  # noqa: E731
            with prog:
                t = prog.wait_for(ready, 120)
                if t is None:
                    raise RuntimeError(f"{who}: no first frame in 120 s:\n{prog.text()}")
                (app_s if who == "app" else hello_s).append(t - prog.started)
    fig.add("app_s", "s", app_s, "nnbench: the tab bar drawn")
    fig.add("hello_s", "s", hello_s, "a bare Textual app: its one line drawn")
    fig.add("import_tensorflow_s", "s", tf_s, "python -c 'import tensorflow', start to exit")
    fig.headline["app_vs_hello"] = ratio(median(app_s), median(hello_s))
    log(f"  app {median(app_s):.2f}s hello {median(hello_s):.2f}s import tensorflow "
        f"{median(tf_s):.2f}s")
    return fig


def fig_chart_redraw(config: Config, scratch: Path, log: Callable[[str], None]) -> Figure:
    """The Train view's chart widget, headless, with ``chart_points`` epochs of two curves."""
    fig = Figure("chart_redraw", f"chart redraw with {config.chart_points:,} epochs of history")
    import math

    from textual.app import App, ComposeResult

    from nnbench.core.downsample import downsample, points_for_width
    from nnbench.tui.widgets.curve_chart import BEST_COLOR, TRAIN_COLOR, VAL_COLOR, CurveChart

    n = config.chart_points
    xs = [float(i + 1) for i in range(n)]
    loss = [1.0 / (1 + i / 50) + 0.05 * math.sin(i) for i in range(n)]
    val = [v + 0.1 + 0.03 * math.cos(i / 7) for i, v in enumerate(loss)]

    class ChartApp(App[None]):
        CSS = "CurveChart { width: 70; height: 20; }"

        def compose(self) -> ComposeResult:
            yield CurveChart("loss")

    async def measure() -> tuple[list[float], list[float], int]:
        app = ChartApp()
        async with app.run_test(size=(140, 44)) as pilot:
            chart = app.query_one(CurveChart)
            await pilot.pause()
            width = chart.content_size.width
            as_is, thinned = [], []
            for r in range(config.chart_repeats):
                for mode in (("as_is", "thinned") if r % 2 == 0 else ("thinned", "as_is")):
                    t0 = time.perf_counter()
                    if mode == "thinned":
                        budget = points_for_width(width)
                        chart.set_curve("loss", *downsample(xs, loss, budget), TRAIN_COLOR)
                        chart.set_curve("val_loss", *downsample(xs, val, budget), VAL_COLOR)
                    else:
                        chart.set_curve("loss", xs, loss, TRAIN_COLOR)
                        chart.set_curve("val_loss", xs, val, VAL_COLOR)
                    chart.set_marker("best", float(n // 2), "best", BEST_COLOR)
                    chart.replot()
                    chart.render()  # the figure is drawn at render time (only when displayed)
                    (as_is if mode == "as_is" else thinned).append(time.perf_counter() - t0)
                    await pilot.pause()
            return as_is, thinned, width

    as_is, thinned, width = asyncio.run(measure())
    fig.add("as_is_ms", "ms", [x * 1000 for x in as_is],
            "set_curve + replot() + render() of the chart as it is (2 curves, a marker)")
    fig.add("downsampled_ms", "ms", [x * 1000 for x in thinned],
            f"the same through core/downsample.py ({2 * width} points a curve)")
    fig.headline["as_is_ms"] = fig.measures["as_is_ms"].median
    fig.headline["downsampled_ms"] = fig.measures["downsampled_ms"].median
    log(f"  as is {fig.headline['as_is_ms']:.1f} ms, downsampled "
        f"{fig.headline['downsampled_ms']:.1f} ms ({width} columns)")
    return fig


def _fake_runs(runs_dir: Path, count: int) -> None:
    """``count`` finished runs of 20 epochs each, written as nnbench writes them (its own event
    classes and RunRecord), without training any."""
    import dataclasses

    from nnbench.core import events as ev
    from nnbench.core.runs import RunRecord

    def only_known(cls: type, values: dict[str, Any]) -> dict[str, Any]:
        known = {f.name for f in dataclasses.fields(cls)}
        return {k: v for k, v in values.items() if k in known}

    epochs = 20
    rows = [ev.SummaryRow("dense", "Dense", "(None, 8)", 520),
            ev.SummaryRow("dense_1", "Dense", "(None, 10)", 90)]
    data = ev.DataInfo("sklearn:digits", 1149, 288, 360, (64,), 10, [str(d) for d in range(10)])
    runs_dir.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        run_id = f"20250101-{i // 60 % 24:02d}{i % 60:02d}00-bench-tiny-{i:04d}"
        run_dir = runs_dir / run_id
        run_dir.mkdir()
        lines = [ev.RunStarted(run_id, str(run_dir), "bench-tiny", epochs, 36,
                               ev.ModelSummary(rows, 610, 610, 0), data, "val_loss")]
        history = ["epoch,accuracy,loss,val_accuracy,val_loss"]
        for e in range(1, epochs + 1):
            logs = {"accuracy": 0.5 + e / 50, "loss": 1.5 / e, "val_accuracy": 0.5 + e / 60,
                    "val_loss": 1.6 / e + (i % 7) / 100}
            lines += [ev.EpochStarted(e, epochs), ev.EpochEnded(e, epochs, logs, 0.001, 0.3)]
            history.append(f"{e - 1},{logs['accuracy']},{logs['loss']},{logs['val_accuracy']},"
                           f"{logs['val_loss']}")
        lines += [ev.Evaluated({"accuracy": 0.9, "loss": 0.3}),
                  ev.RunFinished("finished", str(run_dir), epochs)]
        (run_dir / "events.jsonl").write_text(
            "".join(json.dumps(ev.event_to_dict(x)) + "\n" for x in lines), encoding="utf-8")
        (run_dir / "history.csv").write_text("\n".join(history) + "\n", encoding="utf-8")
        (run_dir / "preset.toml").write_text(WORKLOADS["tiny"].preset_toml(epochs), encoding="utf-8")
        record = RunRecord(**only_known(RunRecord, {
            "run_id": run_id, "path": str(run_dir), "preset_name": "bench-tiny",
            "status": "finished", "started": "2025-01-01T00:00:00+00:00", "duration_s": 7.0,
            "epochs_done": epochs, "best_epoch": epochs, "best_value": 0.08, "monitor": "val_loss",
            "test_metrics": {"accuracy": 0.9, "loss": 0.3},
            "final_logs": {"loss": 0.075, "val_loss": 0.08}, "params": 610, "pid": 1}))
        (run_dir / "summary.json").write_text(json.dumps(dataclasses.asdict(record)),
                                              encoding="utf-8")


def fig_runs_list(config: Config, scratch: Path, log: Callable[[str], None]) -> Figure:
    fig = Figure("runs_list", f"runs list with {config.runs_on_disk:,} runs on disk")
    runs_dir = scratch / "many" / "runs"
    t0 = time.monotonic()
    _fake_runs(runs_dir, config.runs_on_disk)
    fig.raw["made_runs_s"] = time.monotonic() - t0
    key = tab_keys(config).get("runs")
    if not key:
        fig.status = "failed"
        fig.notes.append("no key for the Runs tab")
        return fig
    drawn = f"Runs ({config.runs_on_disk})"
    start_s, after_key_s = [], []
    for _ in range(config.runs_list_repeats):
        with start_app(None, runs_dir) as app:
            if app.wait_for(lambda s: all(w in s for w in FIRST_FRAME_TEXT), 120) is None:
                raise RuntimeError("no first frame:\n" + app.text())
            pressed = app.press(key)
            t = app.wait_for(lambda s: drawn in s, 120)
            if t is None:
                raise RuntimeError(f"the Runs tab never said {drawn!r}:\n{app.text()}")
            start_s.append(t - app.started)
            after_key_s.append(t - pressed)
    fig.add("start_to_list_s", "s", start_s, "process start .. the table's title counts every run")
    fig.add("key_to_list_s", "s", after_key_s, "the Runs tab key (pressed at the first frame) .. the same")
    fig.headline["start_to_list_s"] = fig.measures["start_to_list_s"].median
    log(f"  start to list {fig.headline['start_to_list_s']:.2f}s (key to list "
        f"{median(after_key_s):.2f}s)")
    return fig


def fig_test_suite(config: Config, scratch: Path, log: Callable[[str], None],
                   suite_root: Path) -> Figure:
    fig = Figure("test_suite", f"`pytest -q` wall in {suite_root}")
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=suite_root, capture_output=True, text=True)
    wall = time.monotonic() - t0
    tail = [line for line in proc.stdout.splitlines() if line.strip()][-1:] or ["(no output)"]
    fig.add("wall_s", "s", [wall], "pytest -q, start to exit")
    fig.headline["wall_s"] = wall
    fig.raw["summary"] = tail[0]
    fig.raw["exit_code"] = proc.returncode
    if proc.returncode != 0:
        fig.notes.append(f"the suite did not pass (exit {proc.returncode}): {tail[0]}")
    log(f"  {wall:.0f}s: {tail[0]}")
    return fig


__all__ = ["Config", "Figure", "Measure", "fig_chart_redraw", "fig_first_frame",
           "fig_key_to_screen", "fig_runs_list", "fig_test_suite", "fig_throughput",
           "fig_whole_process", "key_bytes", "REPO"]
