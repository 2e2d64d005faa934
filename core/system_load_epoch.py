"""One reading of the machine's load (``Sample``, with a ``GpuSample`` per GPU) and an epoch's
readings summed into its SystemLoad event (``EpochWindow``); core/system_load.py takes them."""

from __future__ import annotations

from dataclasses import dataclass, field

from nnbench.core.events import GpuLoad, SystemLoad


@dataclass(frozen=True)
class GpuSample:
    """One GPU at one reading: its utilisation (percent), memory (bytes), whether the run uses it."""

    index: int
    name: str
    util: float
    memory_used: int
    memory_total: int
    used_by_run: bool | None


@dataclass(frozen=True)
class Sample:
    """One reading: the training process tree (CPU in percent of one core, resident bytes), the host
    (CPU in percent of all cores, RAM used) and the GPUs."""

    process_cpu: float
    process_rss: int
    host_cpu: float
    host_ram: int
    host_ram_total: int
    gpus: list[GpuSample] = field(default_factory=list)


def _round(key: str, value: float) -> float:
    return float(round(value)) if key.endswith(("rss", "ram", "memory")) else round(value, 1)


class EpochWindow:
    """Sums and peaks of the samples of one epoch."""

    def __init__(self) -> None:
        self.n = 0
        self.sums: dict[str, float] = {}
        self.peaks: dict[str, float] = {}
        self.last: Sample | None = None

    def add(self, sample: Sample) -> None:
        """Count ``sample`` in the epoch's sums and peaks."""
        self.n += 1
        self.last = sample
        values = {"process_cpu": sample.process_cpu, "process_rss": sample.process_rss,
                  "host_cpu": sample.host_cpu, "host_ram": sample.host_ram}
        for gpu in sample.gpus:
            values[f"gpu{gpu.index}_util"] = gpu.util
            values[f"gpu{gpu.index}_memory"] = gpu.memory_used
        for key, value in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + value
            self.peaks[key] = max(self.peaks.get(key, value), value)

    def load(self, epoch: int, cpu_count: int, partial: bool) -> SystemLoad:
        """The epoch's SystemLoad: its samples' means and peaks (``partial`` while it runs)."""
        n, last = self.n, self.last
        assert last is not None

        # Percentages to a tenth, bytes whole: events.jsonl gets a line per epoch, kept short.
        def mean(key: str) -> float:
            return _round(key, self.sums.get(key, 0.0) / n)

        def peak(key: str) -> float:
            return _round(key, self.peaks.get(key, 0.0))

        gpus = [GpuLoad(index=g.index, name=g.name, util_mean=mean(f"gpu{g.index}_util"),
                        util_peak=peak(f"gpu{g.index}_util"),
                        memory_mean=mean(f"gpu{g.index}_memory"),
                        memory_peak=peak(f"gpu{g.index}_memory"), memory_total=g.memory_total,
                        used_by_run=g.used_by_run) for g in last.gpus]
        return SystemLoad(
            epoch=epoch, samples=n, cpu_count=cpu_count,
            process_cpu_mean=mean("process_cpu"), process_cpu_peak=peak("process_cpu"),
            process_rss_mean=mean("process_rss"), process_rss_peak=peak("process_rss"),
            host_cpu_mean=mean("host_cpu"), host_cpu_peak=peak("host_cpu"),
            host_ram_mean=mean("host_ram"), host_ram_peak=peak("host_ram"),
            host_ram_total=last.host_ram_total, gpus=gpus, partial=partial)
