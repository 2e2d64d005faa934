"""The machine's load while a run trains: real psutil readings of this process, GPUs through a fake
NVML module (this machine has none), the starved-GPU rule, the event on disk and in the run model,
and a real tiny training run recording it per epoch."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psutil
import pytest
from conftest import tiny_preset

from nnbench.core import events as ev
from nnbench.core import system_load as sl
from nnbench.core.describe import describe
from nnbench.core.run_state import RunState, replay
from nnbench.core.runs import read_events
from nnbench.core.training import Trainer

GIB = 1 << 30


class FakeNvml:
    """The part of pynvml's API the sampler calls, for GPUs that report what a test says."""

    class NVMLError(Exception):
        pass

    def __init__(self, utils: list[float], *, on_gpu: set[int] | None = None,
                 processes_readable: bool = True, broken: set[int] | None = None) -> None:
        self.utils = utils
        self.on_gpu = {0} if on_gpu is None else on_gpu
        """Indexes whose compute processes list this test process."""
        self.processes_readable = processes_readable
        self.broken = broken or set()
        self.shut = False

    def nvmlInit(self) -> None:
        pass

    def nvmlShutdown(self) -> None:
        self.shut = True

    def nvmlDeviceGetCount(self) -> int:
        return len(self.utils)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetName(self, handle: int) -> bytes:
        return b"Fake A100" if handle == 0 else b"Fake T4"  # older bindings return bytes

    def nvmlDeviceGetUtilizationRates(self, handle: int) -> Any:
        if handle in self.broken:
            raise self.NVMLError("GPU is lost")
        return SimpleNamespace(gpu=self.utils[handle], memory=0)

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> Any:
        return SimpleNamespace(used=(handle + 3) * GIB, total=16 * GIB, free=0)

    def nvmlDeviceGetComputeRunningProcesses(self, handle: int) -> list[Any]:
        if not self.processes_readable:
            raise self.NVMLError("Not Supported")
        pids = [os.getpid()] if handle in self.on_gpu else []
        return [SimpleNamespace(pid=pid, usedGpuMemory=GIB) for pid in [*pids, 1]]


def burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def epoch_load(nvml: FakeNvml, samples: int = 6) -> ev.SystemLoad:
    """A SystemLoad the monitor emits for an epoch sampled ``samples`` times through ``nvml``."""
    seen: list[ev.Event] = []
    monitor = sl.SystemMonitor(seen.append, sampler=sl.LoadSampler(nvml=nvml))
    for _ in range(samples):
        monitor._sample()  # the thread's step, called in step: the test needs no waiting
    monitor(ev.EpochEnded(1, 1, {"loss": 1.0}, None, 1.0))
    monitor.close()
    (load,) = seen
    assert isinstance(load, ev.SystemLoad)
    return load


def busy(load: ev.SystemLoad, cpu: float = 150.0) -> ev.SystemLoad:
    """``load`` as if the process had kept ``cpu`` percent of a core busy (this test process idles)."""
    return dataclasses.replace(load, process_cpu_mean=cpu)


# --- the sampler ------------------------------------------------------------------------------


def test_the_sampler_reads_this_process_and_its_children_and_the_host() -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        sampler = sl.LoadSampler(use_nvml=False)
        burn(0.2)
        sample = sampler.sample()
    finally:
        child.kill()
        child.wait()
    assert child.pid in sampler.tree  # the process tree, not only this process
    assert 0 < sample.process_cpu <= 100 * sampler.cpu_count + 5  # it burnt CPU, on some cores
    own = psutil.Process().memory_info().rss
    assert 20 << 20 < sample.process_rss < sample.host_ram_total
    assert sample.process_rss >= own * 0.8  # this process and the child's few pages
    assert 0 <= sample.host_cpu <= 100
    assert 0 < sample.host_ram < sample.host_ram_total == psutil.virtual_memory().total
    assert sample.gpus == [] and sampler.gpus is None


def test_without_nvml_bindings_or_driver_there_are_no_gpu_rows_and_no_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # `import pynvml` raises ImportError
    assert sl.load_nvml() is None
    assert sl.LoadSampler().sample().gpus == []

    def no_driver() -> None:
        raise RuntimeError("NVML Shared Library Not Found")

    monkeypatch.setitem(sys.modules, "pynvml", SimpleNamespace(nvmlInit=no_driver))
    assert sl.load_nvml() is None
    assert sl.LoadSampler().gpus is None


def test_fake_nvml_gives_a_row_per_gpu_with_who_uses_it() -> None:
    nvml = FakeNvml([12.0, 97.0], on_gpu={1})
    sampler = sl.LoadSampler(nvml=nvml)
    gpus = sampler.sample().gpus
    assert [(g.index, g.name, g.util, g.memory_used, g.memory_total) for g in gpus] == [
        (0, "Fake A100", 12.0, 3 * GIB, 16 * GIB), (1, "Fake T4", 97.0, 4 * GIB, 16 * GIB)]
    assert [g.used_by_run for g in gpus] == [False, True]
    sampler.close()
    assert nvml.shut

    unknown = sl.LoadSampler(nvml=FakeNvml([50.0], processes_readable=False)).sample().gpus
    assert [g.used_by_run for g in unknown] == [None]
    lost = sl.LoadSampler(nvml=FakeNvml([50.0, 60.0], broken={0})).sample().gpus
    assert [g.index for g in lost] == [1]  # a GPU whose calls fail is left out of the sample


# --- the starved-GPU rule ---------------------------------------------------------------------


def test_a_gpu_idling_while_python_is_busy_is_called_starved_in_words() -> None:
    load = busy(epoch_load(FakeNvml([8.0])))
    assert load.samples == 6 and [g.util_mean for g in load.gpus] == [8.0]
    assert [g.index for g in sl.starved_gpus(load)] == [0]
    (line,) = describe(load)
    assert line.kind == "warning"
    assert "epoch 1: the GPU is starved" in line.text and "GPU 0 (Fake A100) 8%" in line.text
    assert "1.5 CPU cores" in line.text and "fit.batch_size" in line.text


@pytest.mark.parametrize("utils, cpu, why", [
    ([95.0], 150.0, "a busy GPU"),
    ([8.0], 20.0, "Python idles too: nothing feeds it, nothing is starved"),
    ([90.0, 0.0], 150.0, "the run computes on GPU 0; TensorFlow only opened GPU 1"),
])
def test_a_gpu_is_not_called_starved(utils: list[float], cpu: float, why: str) -> None:
    load = busy(epoch_load(FakeNvml(utils, on_gpu=set(range(len(utils))))), cpu)
    assert sl.starved_gpus(load) == [], why
    assert describe(load) == []


def test_only_the_runs_own_gpus_count_and_short_or_live_epochs_are_never_starved() -> None:
    # Another user's job keeps GPU 1 busy; this run's GPU 0 idles: starved.
    load = busy(epoch_load(FakeNvml([5.0, 99.0], on_gpu={0})))
    assert [g.index for g in sl.starved_gpus(load)] == [0]
    assert sl.starved_gpus(dataclasses.replace(load, partial=True)) == []
    assert sl.starved_gpus(busy(epoch_load(FakeNvml([5.0]), samples=sl.MIN_SAMPLES - 1))) == []


# --- the monitor ------------------------------------------------------------------------------


def test_the_monitor_samples_on_its_thread_and_ends_by_its_event() -> None:
    seen: list[ev.Event] = []
    monitor = sl.SystemMonitor(seen.append, sampler=sl.LoadSampler(nvml=FakeNvml([40.0])),
                               interval=0.01, live_seconds=0.0).start()
    assert monitor.thread is not None and monitor.thread.is_alive()
    deadline = time.monotonic() + 30
    while monitor.window.n < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    monitor(ev.BatchProgress(1, 2, 3, 10, {}, 1.0, None))  # a live update of the epoch in flight
    monitor(ev.EpochEnded(1, 2, {}, None, 1.0))
    monitor(ev.RunFinished("finished", None, 1))
    assert not monitor.thread.is_alive()
    live, final = seen
    assert isinstance(live, ev.SystemLoad) and isinstance(final, ev.SystemLoad)
    assert (live.epoch, live.partial, final.epoch, final.partial) == (1, True, 1, False)
    assert final.samples >= live.samples >= 3 and final.gpus[0].util_mean == 40.0


def test_the_monitor_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sl.ENV_SWITCH, "off")
    seen: list[ev.Event] = []
    monitor = sl.SystemMonitor(seen.append).start()
    monitor(ev.EpochEnded(1, 1, {}, None, 1.0))
    monitor.close()
    assert monitor.thread is None and seen == []


# --- the event and the run model --------------------------------------------------------------


def test_the_event_round_trips_as_json_with_its_gpus() -> None:
    load = busy(epoch_load(FakeNvml([8.0, 70.0])))
    line = json.dumps(ev.event_to_dict(load))
    back = ev.event_from_dict(json.loads(line))
    assert back == load and isinstance(back, ev.SystemLoad)
    assert isinstance(back.gpus[1], ev.GpuLoad) and back.gpus[1].name == "Fake T4"


def test_the_run_model_keeps_a_point_per_epoch_live_updates_replacing_the_epochs_own() -> None:
    base = epoch_load(FakeNvml([60.0]))
    state = RunState()
    for epoch, cpu, partial in [(1, 50.0, False), (2, 20.0, True), (2, 30.0, True), (2, 40.0, False),
                                (3, 60.0, True)]:
        state.apply(dataclasses.replace(base, epoch=epoch, process_cpu_mean=cpu, partial=partial))
    assert state.system["process_cpu"] == [(1, 50.0), (2, 40.0), (3, 60.0)]
    assert state.system["gpu0_util"] == [(1, 60.0), (2, 60.0), (3, 60.0)]
    assert state.system["process_rss"][0] == (1, base.process_rss_peak)  # memory by its peak
    assert state.system_load is not None and state.system_load.partial
    # A resumed run repeats epoch 2: its new record replaces the old from there on.
    state.apply(dataclasses.replace(base, epoch=2, process_cpu_mean=99.0))
    assert state.system["process_cpu"] == [(1, 50.0), (2, 99.0)]
    assert state.series == {} and state.log == []  # not a metric, and no words for a fed GPU


# --- a real run -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gpu_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[ev.RunFinished, list[ev.Event],
                                                                 Trainer]:
    """A tiny real run whose load sampler finds two fake GPUs where NVML would be loaded."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sl, "load_nvml", lambda: FakeNvml([35.0, 0.0]))
        seen: list[ev.Event] = []
        trainer = Trainer(tiny_preset(), tmp_path_factory.mktemp("runs"), listeners=[seen.append])
        final = trainer.run()
    assert final.status == "finished", final.error
    return final, seen, trainer


def test_a_real_run_records_the_load_per_epoch_in_its_events(gpu_run: Any) -> None:
    final, seen, trainer = gpu_run
    live = [e for e in seen if isinstance(e, ev.SystemLoad) and not e.partial]
    assert [e.epoch for e in live] == [1, 2, 3]
    # Each right after its epoch's EpochEnded, for every listener.
    order = [(type(e).__name__, getattr(e, "epoch", None)) for e in seen
             if isinstance(e, (ev.EpochEnded, ev.SystemLoad)) and not getattr(e, "partial", False)]
    assert order == [(n, k) for k in (1, 2, 3) for n in ("EpochEnded", "SystemLoad")]
    for load in live:
        assert load.samples >= 1 and 0 < load.process_rss_peak < load.host_ram_total
        assert [(g.index, g.name, g.util_mean) for g in load.gpus] == [(0, "Fake A100", 35.0),
                                                                        (1, "Fake T4", 0.0)]
    on_disk = [e for e in read_events(Path(final.run_dir) / "events.jsonl")
               if isinstance(e, ev.SystemLoad)]
    assert on_disk == [e for e in seen if isinstance(e, ev.SystemLoad)]
    assert not any(isinstance(t, sl.SystemMonitor) for t in trainer.listeners)
    assert not [t for t in threading.enumerate() if t.name == "nnbench-system-load"]


def test_a_real_runs_folder_replays_into_series_and_a_system_csv(gpu_run: Any) -> None:
    final, seen, _ = gpu_run
    state = replay(read_events(Path(final.run_dir) / "events.jsonl"))
    assert {"process_cpu", "process_rss", "host_cpu", "host_ram", "gpu0_util", "gpu0_memory",
            "gpu1_util", "gpu1_memory"} <= set(state.system)
    assert [e for e, _ in state.system["gpu0_util"]] == [1, 2, 3]
    assert state.system["gpu1_memory"][0][1] == 4 * GIB
    with (Path(final.run_dir) / sl.SYSTEM_CSV).open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert float(rows[0]["gpu0_util_mean"]) == 35.0 and float(rows[0]["process_rss_peak"]) > 0
    assert "loss" in state.series and "process_cpu" not in state.series
