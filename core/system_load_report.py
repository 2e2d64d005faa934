"""What a SystemLoad says: the run model's series values, system.csv's row, memory as the load
panel writes it, and the one rule for "the GPU waits for Python".

``starved_gpus``: the run's busiest GPU stays below ``STARVED_UTIL`` percent while the training
process keeps about a core busy (``FEEDING_CPU``).
"""

from __future__ import annotations

from nnbench.core.events import GpuLoad, SystemLoad

STARVED_UTIL = 30.0
"""A GPU busy less than this percentage of an epoch is waiting for its input..."""
FEEDING_CPU = 80.0
"""...when the training process meanwhile keeps this much of a core busy (percent): Python feeds it."""
MIN_SAMPLES = 5
"""Fewer samples than this (an epoch of a few seconds) are too few to call a GPU starved."""


def csv_row(load: SystemLoad) -> dict[str, float | int]:
    """system.csv's columns: the epoch, then each quantity's mean and peak (memory in bytes)."""
    row: dict[str, float | int] = {"epoch": load.epoch, "samples": load.samples}
    for key in ("process_cpu", "process_rss", "host_cpu", "host_ram"):
        row[f"{key}_mean"] = round(getattr(load, f"{key}_mean"), 3)
        row[f"{key}_peak"] = round(getattr(load, f"{key}_peak"), 3)
    for gpu in load.gpus:
        for key in ("util_mean", "util_peak", "memory_mean", "memory_peak"):
            row[f"gpu{gpu.index}_{key}"] = round(getattr(gpu, key), 3)
    return row


def load_points(load: SystemLoad) -> dict[str, float]:
    """The run model's series values for one SystemLoad: CPU and utilisation by their epoch means,
    memory by its peaks (what runs out is the peak)."""
    points = {"process_cpu": load.process_cpu_mean, "process_rss": load.process_rss_peak,
              "host_cpu": load.host_cpu_mean, "host_ram": load.host_ram_peak}
    for gpu in load.gpus:
        points[f"gpu{gpu.index}_util"] = gpu.util_mean
        points[f"gpu{gpu.index}_memory"] = gpu.memory_peak
    return points


def starved_gpus(load: SystemLoad) -> list[GpuLoad]:
    """The run's GPUs when even the busiest of them idled through the epoch while the process kept
    a core busy (the input pipeline sets the pace); [] otherwise.

    The run's GPUs are those NVML lists the process on, or all of them when it lists it on none
    (in a container NVML sees other pids). The busiest decides: TensorFlow opens every visible GPU
    but computes on one unless a strategy spreads the work, and the idle others are not starved."""
    if load.partial or load.samples < MIN_SAMPLES or not load.gpus:
        return []
    if load.process_cpu_mean < FEEDING_CPU:
        return []
    gpus = [g for g in load.gpus if g.used_by_run] or list(load.gpus)
    if max(g.util_mean for g in gpus) >= STARVED_UTIL:
        return []
    return gpus


def starved_text(load: SystemLoad) -> str | None:
    """The words for a starved epoch (core/describe.py puts them in the run's log), or None."""
    gpus = starved_gpus(load)
    if not gpus:
        return None
    names = ", ".join(f"GPU {g.index} ({g.name}) {g.util_mean:.0f}%" for g in gpus)
    cores = load.process_cpu_mean / 100
    return (f"epoch {load.epoch}: the GPU is starved: busy only {names} on average while the "
            f"training process kept {cores:.1f} CPU cores busy; Python's input feeding sets the "
            "pace, not the GPU: a larger fit.batch_size, or data prefetched and cached (tf.data), "
            "feeds it faster")


def fmt_bytes(size: float) -> str:
    """Memory as the load panel shows it: 812M, 1.2G, 25G."""
    for unit, scale in (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f}{unit}" if value < 10 else f"{value:.0f}{unit}"
    return f"{size:.0f}B"
