"""The machine's load while a run trains: the process tree and the host (psutil), each GPU (NVML).

``LoadSampler.sample()`` reads, once: the training process and its children (CPU in percent of one
core, as ``top`` shows it; resident memory), the host (CPU in percent of all cores; RAM used), and
per GPU its utilisation and memory through NVIDIA's NVML bindings (``pip install nnbench[gpu]``,
module ``pynvml``). NVML is optional: imported lazily, and a missing library, a missing driver or a
failing call means no GPU rows, never an error.

``SystemMonitor`` is a Trainer listener. Its own daemon thread samples every ``SAMPLE_SECONDS``
(about 0.5 ms of CPU a second with ~130 processes on the host); the training thread only takes
the epoch's means and peaks when an epoch ends (emitting ``SystemLoad``), and while a long epoch
runs, a partial one every ``LIVE_SECONDS`` from the throttled batch events, so the Train view moves;
an epoch shorter than a sample's interval gets one reading of its own (~0.3 ms) there. Every
event is emitted from the training thread: the run store's writers are not shared with the sampler.

``starved_gpus`` is the one rule for "the GPU waits for Python" (core/system_load_report.py, with
what else a SystemLoad says: its series values, its system.csv row, memory as written); a reading
and an epoch's sums of them are core/system_load_epoch.py's. Both are importable from here.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nnbench.core.events import BatchProgress, EpochEnded, Event, RunFinished, SystemLoad
from nnbench.core.system_load_epoch import EpochWindow, GpuSample, Sample
from nnbench.core.system_load_report import (
    FEEDING_CPU,
    MIN_SAMPLES,
    STARVED_UTIL,
    csv_row,
    fmt_bytes,
    load_points,
    starved_gpus,
    starved_text,
)

__all__ = [
    "ENV_SWITCH", "FEEDING_CPU", "LIVE_SECONDS", "MIN_SAMPLES", "SAMPLE_SECONDS", "STARVED_UTIL",
    "SYSTEM_CSV", "TREE_EVERY", "GpuSample", "LoadSampler", "Sample", "SystemMonitor", "csv_row",
    "fmt_bytes", "load_nvml", "load_points", "starved_gpus", "starved_text",
]

log = logging.getLogger(__name__)

SAMPLE_SECONDS = 1.0
"""Between two samples on the sampler's thread."""
LIVE_SECONDS = 5.0
"""Between two partial SystemLoad events of an epoch in flight (each one a line in events.jsonl)."""
TREE_EVERY = 10
"""Samples between two looks for new child processes: psutil scans every pid on the host for
that (2-3 ms of CPU with ~130 processes), so only the sampler's thread does it, this seldom."""
ENV_SWITCH = "NNBENCH_SYSTEM_LOAD"
"""Set to ``off`` (or 0) to train without sampling the machine's load (no SystemLoad events)."""
SYSTEM_CSV = "system.csv"
"""The run folder's per-epoch table of SystemLoad's means and peaks, beside Keras's history.csv."""


def load_nvml() -> Any | None:
    """The initialised ``pynvml`` module, or None when NVML's bindings, library or driver are missing."""
    try:
        import pynvml  # nvidia-ml-py: the optional extra nnbench[gpu]
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception:  # NVMLError_LibraryNotFound, _DriverNotLoaded, ...: a machine without a GPU
        return None
    return pynvml


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class _Gpus:
    """NVML's devices, read one sample at a time; a device whose calls fail is left out of a sample."""

    def __init__(self, nvml: Any) -> None:
        self.nvml = nvml
        self.devices: list[tuple[int, Any, str]] = []
        try:
            for index in range(int(nvml.nvmlDeviceGetCount())):
                handle = nvml.nvmlDeviceGetHandleByIndex(index)
                self.devices.append((index, handle, _text(nvml.nvmlDeviceGetName(handle))))
        except Exception:
            log.debug("NVML could not list the GPUs", exc_info=True)
        self.used: dict[int, bool | None] = {}

    def refresh_users(self, pids: set[int]) -> None:
        """Which GPUs the process tree has a context on; None where NVML can't say."""
        for index, handle, _ in self.devices:
            try:
                procs = self.nvml.nvmlDeviceGetComputeRunningProcesses(handle)
                self.used[index] = any(int(p.pid) in pids for p in procs)
            except Exception:
                self.used[index] = None

    def read(self) -> list[GpuSample]:
        out = []
        for index, handle, name in self.devices:
            try:
                util = float(self.nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
                memory = self.nvml.nvmlDeviceGetMemoryInfo(handle)
            except Exception:
                continue
            out.append(GpuSample(index, name, util, int(memory.used), int(memory.total),
                                 self.used.get(index)))
        return out

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.nvml.nvmlShutdown()


class LoadSampler:
    """Reads the process tree of ``pid``, the host and the GPUs. CPU percentages are since the
    previous sample (the first call only primes psutil's counters)."""

    def __init__(self, pid: int | None = None, *, nvml: Any | None = None,
                 use_nvml: bool = True) -> None:
        import psutil

        self.psutil = psutil
        self.root = psutil.Process(pid or os.getpid())
        self.tree: dict[int, Any] = {self.root.pid: self.root}
        self.count = 0
        # The seam: tests hand in a fake module; by default the real one, if it is there at all.
        module = nvml if nvml is not None else (load_nvml() if use_nvml else None)
        self.gpus = _Gpus(module) if module is not None else None
        self.cpu_count = psutil.cpu_count() or 1
        self.root.cpu_percent(None)
        psutil.cpu_percent(None)
        self._refresh_tree()

    def _refresh_tree(self) -> None:
        psutil = self.psutil
        try:
            children = self.root.children(recursive=True)
        except psutil.Error:
            children = []
        alive = {self.root.pid: self.root}
        for child in children:
            known = self.tree.get(child.pid)
            if known is None:
                with contextlib.suppress(psutil.Error):
                    child.cpu_percent(None)  # primed: its first real reading is the next one
                known = child
            alive[child.pid] = known
        self.tree = alive
        if self.gpus is not None:
            self.gpus.refresh_users(set(alive))

    def sample(self, *, refresh: bool = True) -> Sample:
        """One reading; ``refresh=False`` never rescans for child processes (the training thread's
        own reading at the end of a short epoch)."""
        psutil = self.psutil
        if refresh and self.count and self.count % TREE_EVERY == 0:
            self._refresh_tree()
        self.count += 1
        cpu, rss = 0.0, 0
        for proc in list(self.tree.values()):
            try:
                cpu += proc.cpu_percent(None)
                rss += proc.memory_info().rss
            except psutil.Error:  # gone, or not ours to read: the next refresh drops it
                continue
        memory = psutil.virtual_memory()
        return Sample(process_cpu=cpu, process_rss=rss, host_cpu=psutil.cpu_percent(None),
                      host_ram=int(memory.total - memory.available), host_ram_total=int(memory.total),
                      gpus=self.gpus.read() if self.gpus is not None else [])

    def close(self) -> None:
        if self.gpus is not None:
            self.gpus.close()



class SystemMonitor:
    """A Trainer listener: samples on its own thread, emits SystemLoad on the training thread.

    ``start()`` begins sampling; ``close()`` (or the run's RunFinished) ends it through a
    threading.Event. ``csv_path``, when given, gets one row per finished epoch."""

    def __init__(self, emit: Callable[[Event], None], csv_path: Path | None = None, *,
                 sampler: LoadSampler | None = None, interval: float = SAMPLE_SECONDS,
                 live_seconds: float = LIVE_SECONDS) -> None:
        self.emit = emit
        self.csv_path = csv_path
        self.sampler = sampler
        self.interval = interval
        self.live_seconds = live_seconds
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.window = EpochWindow()
        self.last_live = time.monotonic()
        self.thread: threading.Thread | None = None

    def start(self) -> SystemMonitor:
        if os.environ.get(ENV_SWITCH, "").strip().lower() in ("0", "off", "false", "no"):
            return self  # asked not to: no thread, no events
        try:
            if self.sampler is None:
                self.sampler = LoadSampler()
        except Exception:  # no /proc to read (a sandbox): the run trains, without a load record
            log.warning("the machine's load can't be read here", exc_info=True)
            return self
        self.thread = threading.Thread(target=self._run, name="nnbench-system-load", daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            self._sample()

    def _sample(self, *, refresh: bool = True) -> None:
        sampler = self.sampler
        if sampler is None:
            return
        try:
            with self.lock:
                self.window.add(sampler.sample(refresh=refresh))
        except Exception:  # a reading that fails is skipped; the run never notices
            log.debug("a load sample failed", exc_info=True)

    def __call__(self, event: Event) -> None:
        if isinstance(event, BatchProgress):
            # time.monotonic, not core/clock.py: a test's stepping clock must see the Trainer's
            # readings only. This is the only cost per (throttled) batch event.
            now = time.monotonic()
            if now - self.last_live >= self.live_seconds:
                self.last_live = now
                self._emit(event.epoch, partial=True)
        elif isinstance(event, EpochEnded):
            if self.window.n == 0:  # an epoch shorter than the interval: one reading of its own
                self._sample(refresh=False)
            self.last_live = time.monotonic()
            self._emit(event.epoch, partial=False)
        elif isinstance(event, RunFinished):
            self.close()

    def _emit(self, epoch: int, *, partial: bool) -> None:
        if self.sampler is None:
            return
        with self.lock:
            window = self.window
            if window.n == 0:
                return
            load = window.load(epoch, self.sampler.cpu_count, partial)
            if not partial:
                self.window = EpochWindow()
        self.emit(load)
        if not partial and self.csv_path is not None:
            self._write_row(load)

    def _write_row(self, load: SystemLoad) -> None:
        row = csv_row(load)
        path = self.csv_path
        assert path is not None
        try:
            new = not path.exists()
            with path.open("a", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(row))
                if new:
                    writer.writeheader()
                writer.writerow(row)
        except OSError as exc:  # a full disk: the events still hold the load; never stop the run
            log.warning("could not write %s: %s", path, exc.strerror)
            self.csv_path = None

    def close(self) -> None:
        self.stop.set()
        thread = self.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2 * self.interval + 1)
        if self.sampler is not None:
            self.sampler.close()
