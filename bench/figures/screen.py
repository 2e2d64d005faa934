"""What a person waits for on screen: the first usable frame, a tab switch while training, and a
chart redraw with a long history."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.figures.launch import FIRST_FRAME_TEXT, HELLO_APP, start_app, tab_keys, wait_ready
from bench.figures.model import Config, Figure, median, ratio
from bench.ptyrun import PtyProgram, RunFolderWatcher, replay
from bench.workloads import WORKLOADS

PRESS_INTERVAL_S = 0.35
"""Seconds between two tab presses in key_to_screen."""


# --- key to screen ------------------------------------------------------------------------------


@dataclass
class _TabSession:
    """Tab keys pressed in turn while the app trains, recorded for a replay afterwards."""

    chunks: list[Any]
    recorded_from: int
    """chunks before this index came before the first press (replayed, not measured)"""
    presses: list[tuple[float, str]]
    """(monotonic time the key was written, tab)"""
    signatures: dict[str, set[str]]
    """per tab: rows only that tab shows"""
    busy: bool
    """still training after the last press"""


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
    session = _press_tabs_while_training(config, scratch, {a_tab: ka, b_tab: kb})
    if not session.busy:
        fig.notes.append("training ended before the last press: some presses were not "
                         "'while training'")
    latencies, missed = _tab_latencies(session)
    presses = session.presses
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


def _press_tabs_while_training(config: Config, scratch: Path, keys: dict[str, str]) -> _TabSession:
    """The app trains the digits MLP; once an epoch has ended, the two tabs are calibrated and
    then pressed ``config.key_presses`` times in turn, the pty only recorded."""
    w = WORKLOADS["digits-wide"]
    # long enough to outlast the calibration and every press (an epoch takes 0.25 s or more)
    epochs = int((config.key_presses * PRESS_INTERVAL_S + 15) / 0.2)
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
        signatures = _calibrate(app, keys)  # while training: both cores busy
        app.set_live(False)
        recorded_from = len(app.chunks)
        presses = _press_in_turn(app, keys, config.key_presses)
        app.drain(1.0)
        watcher.poll()
        busy = watcher.finished() is None
        chunks = app.chunks
    finally:
        app.close()
        shutil.rmtree(folder, ignore_errors=True)
    return _TabSession(chunks, recorded_from, presses, signatures, busy)


def _calibrate(app: PtyProgram, keys: dict[str, str]) -> dict[str, set[str]]:
    """Each tab's rows that stay put and the other tab does not show: how to tell them apart."""
    a_tab, b_tab = keys
    shots: dict[str, list[set[str]]] = {a_tab: [], b_tab: []}
    for _ in range(2):
        for tab, key in keys.items():
            app.press(key)
            app.drain(1.2)
            shots[tab].append({row.strip() for row in app.screen.display[3:-3] if row.strip()})
            app.drain(0.4)
            shots[tab].append({row.strip() for row in app.screen.display[3:-3] if row.strip()})
    signatures: dict[str, set[str]] = {}
    for tab, other in ((a_tab, b_tab), (b_tab, a_tab)):
        stable = set.intersection(*shots[tab]) - set[str]().union(*shots[other])
        signatures[tab] = {row for row in stable if len(row) > 3}
    if not signatures[a_tab] or not signatures[b_tab]:
        raise RuntimeError(f"cannot tell the {a_tab} and {b_tab} tabs apart by their rows")
    return signatures


def _press_in_turn(app: PtyProgram, keys: dict[str, str], count: int) -> list[tuple[float, str]]:
    """One press every PRESS_INTERVAL_S, alternating the tabs; the pty is read in between."""
    a_tab, b_tab = keys
    presses: list[tuple[float, str]] = []
    while len(presses) < count:
        tab = a_tab if len(presses) % 2 == 0 else b_tab
        presses.append((app.press(keys[tab]), tab))
        end = time.monotonic() + PRESS_INTERVAL_S
        while time.monotonic() < end:
            app.pump(0.01)
    return presses


def _tab_latencies(session: _TabSession) -> tuple[list[float], int]:
    """Per press: seconds to the first frame showing its tab; and how many never showed it."""
    presses, signatures = session.presses, session.signatures
    latencies: list[float] = []
    missed = 0
    i = 0
    screen_iter = replay(session.chunks)
    # replay from the start (the screen's state matters), measure from the first press on
    n = 0
    for t, screen in screen_iter:
        n += 1
        if n <= session.recorded_from or i >= len(presses):
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
    return latencies, missed


# --- first frame, chart redraw ------------------------------------------------------------------


def fig_first_frame(config: Config, scratch: Path, log: Callable[[str], None]) -> Figure:
    fig = Figure("first_frame", "process start to the first usable frame in a pty")
    runs_dir = scratch / "ff-runs"
    runs_dir.mkdir()
    app_s: list[float] = []
    hello_s: list[float] = []
    tf_s: list[float] = []
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
            as_is: list[float] = []
            thinned: list[float] = []
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
