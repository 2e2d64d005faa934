"""Training throughput, epoch end to chart, and memory: the app in a pty (Ctrl+R) against the
bare Keras script, the same model, data and seed, the order alternating from one repeat to the next.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench.figures.model import Config, Figure, median, ratio
from bench.figures.training import Watched, train_bare, train_in_app
from bench.ptyrun import replay, screen_text
from bench.workloads import WORKLOADS, Workload, write_synthetic


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
        app_runs, bare_runs, lat, miss = _train_both_ways(config, key, w, epochs, scratch, data, log)
        latencies += lat
        missed += miss
        _add_throughput(thr, key, epochs, app_runs, bare_runs)
        _add_memory(mem, key, app_runs, bare_runs)
    _add_epoch_to_chart(e2c, latencies, missed)
    return thr, e2c, mem


def _train_both_ways(config: Config, key: str, w: Workload, epochs: int, scratch: Path,
                     data: Path | None, log: Callable[[str], None]
                     ) -> tuple[list[Watched], list[Watched], list[float], int]:
    """``config.repeats`` trainings in the app and bare, the order alternating; the app runs'
    epoch-to-chart latencies and misses, replayed between trainings (never during one)."""
    app_runs: list[Watched] = []
    bare_runs: list[Watched] = []
    latencies: list[float] = []
    missed = 0
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
    return app_runs, bare_runs, latencies, missed


def _add_throughput(thr: Figure, key: str, epochs: int, app_runs: list[Watched],
                    bare_runs: list[Watched]) -> None:
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
    thr.raw[f"{key}.app_processes"] = [a.pids for a in app_runs]


def _add_memory(mem: Figure, key: str, app_runs: list[Watched], bare_runs: list[Watched]) -> None:
    app_rss = [a.peak_rss_mb for a in app_runs]
    bare_rss = [b.peak_rss_mb for b in bare_runs]
    mem.add(f"{key}.app_rss_mb", "MB", app_rss, "peak RSS, app + children")
    mem.add(f"{key}.bare_rss_mb", "MB", bare_rss, "peak RSS, bare script")
    mem.headline[f"{key}.extra_mb"] = (median(app_rss) or 0) - (median(bare_rss) or 0)


def _add_epoch_to_chart(e2c: Figure, latencies: list[float], missed: int) -> None:
    e2c.add("latency_ms", "ms", [x * 1000 for x in latencies],
            "EpochEnded written .. first frame showing its loss")
    e2c.headline["p95_ms"] = e2c.measures["latency_ms"].p95()
    e2c.raw["missed"] = missed
    if missed:
        e2c.notes.append(f"{missed} epoch(s) never shown on their own (the next epoch was shown "
                         "first, or the legend did not carry the value)")
