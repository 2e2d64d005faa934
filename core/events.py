"""Plain event dataclasses the trainer emits. No tensors: every number is a Python float or int.

Epochs are numbered from 1, as Keras prints them ("Epoch 1/40"), everywhere a person reads them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class SummaryRow:
    """One line of the model summary, as Keras prints it."""

    name: str
    type: str
    output_shape: str
    params: int


@dataclass(frozen=True)
class ModelSummary:
    rows: list[SummaryRow]
    total: int
    trainable: int
    non_trainable: int


@dataclass(frozen=True)
class DataInfo:
    """What was loaded: sample counts per split, input shape, classes."""

    source: str
    train_samples: int
    val_samples: int
    test_samples: int
    input_shape: tuple[int | None, ...]
    num_classes: int | None
    class_names: list[str] | None
    notes: list[str] = field(default_factory=list)
    missing_labels: int = 0
    """Training/validation samples whose label is NaN (core/compat.py refuses to train on them)."""


@dataclass(frozen=True)
class EarlyStoppingState:
    """EarlyStopping's counters after an epoch: ``wait`` of ``patience`` epochs without improvement."""

    monitor: str
    wait: int
    patience: int
    best: float | None
    best_epoch: int | None


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    run_dir: str
    preset_name: str
    epochs: int
    steps_per_epoch: int | None
    summary: ModelSummary
    data: DataInfo
    monitor: str | None = None
    """The quantity EarlyStopping/ModelCheckpoint watch, so charts can mark its best epoch."""
    monitor_mode: str = "auto"
    """Its callback's ``mode`` ("auto", "min", "max"): which way is better (core/monitor.py)."""
    min_delta: float = 0.0
    initial_epoch: int = 0
    """Epochs already done when this process started: a resumed run goes on from there."""
    pid: int | None = None
    """The process that trains the run (the one to signal; the one whose death means interrupted)."""


@dataclass(frozen=True)
class Notice:
    """Something the user should know that is not an error (e.g. labels were one-hot encoded)."""

    text: str


@dataclass(frozen=True)
class EpochStarted:
    epoch: int
    epochs: int


@dataclass(frozen=True)
class BatchProgress:
    epoch: int
    epochs: int
    batch: int
    """Batches finished in this epoch."""
    steps: int | None
    logs: dict[str, float]
    samples_per_second: float
    eta_seconds: float | None


@dataclass(frozen=True)
class EpochEnded:
    epoch: int
    epochs: int
    logs: dict[str, float]
    learning_rate: float | None
    seconds: float
    early_stopping: EarlyStoppingState | None = None


@dataclass(frozen=True)
class EarlyStopped:
    monitor: str
    stopped_epoch: int
    best_epoch: int | None
    best_value: float | None
    restored_weights: bool


@dataclass(frozen=True)
class LearningRateChanged:
    epoch: int
    old: float
    new: float
    steered: bool = False
    """Set by a person (``nnbench steer``, the app's steer dialog), not by a callback."""
    batch: int | None = None
    """Batches of ``epoch`` done before a steered change took effect; None: at the epoch's end
    (ReduceLROnPlateau)."""
    steps: int | None = None
    """Batches in an epoch, when known: where within the epoch the change sits on a chart."""


@dataclass(frozen=True)
class PatienceChanged:
    """A person changed EarlyStopping's patience while the run trained."""

    epoch: int
    old: int
    new: int
    batch: int | None = None
    steps: int | None = None


@dataclass(frozen=True)
class CheckpointSaved:
    epoch: int
    path: str
    monitor: str
    value: float | None


@dataclass(frozen=True)
class NonFiniteLoss:
    epoch: int
    batch: int | None
    value: float


@dataclass(frozen=True)
class Paused:
    paused: bool


@dataclass(frozen=True)
class ControlRequested:
    """The trainer saw a request to stop now, stop after the epoch, or a signal (SIGTERM, SIGHUP)."""

    action: Literal["stop", "stop_after_epoch", "signal"]
    detail: str = ""


@dataclass(frozen=True)
class Evaluated:
    metrics: dict[str, float]


@dataclass(frozen=True)
class GpuLoad:
    """One GPU over an epoch, as NVML reports it: utilisation in percent, memory in bytes."""

    index: int
    name: str
    util_mean: float
    util_peak: float
    memory_mean: float
    memory_peak: float
    memory_total: int
    used_by_run: bool | None = None
    """True when NVML lists the training process on it; None when NVML can't say."""


@dataclass(frozen=True)
class SystemLoad:
    """The machine's load over an epoch (core/system_load.py): means and peaks of samples taken
    about once a second. CPU in percent (the process tree: of one core, as ``top``; the host: of
    all cores), memory in bytes (the process tree's resident set; the host's RAM in use)."""

    epoch: int
    samples: int
    cpu_count: int
    process_cpu_mean: float
    process_cpu_peak: float
    process_rss_mean: float
    process_rss_peak: float
    host_cpu_mean: float
    host_cpu_peak: float
    host_ram_mean: float
    host_ram_peak: float
    host_ram_total: int
    gpus: list[GpuLoad] = field(default_factory=list)
    partial: bool = False
    """True for a live update while the epoch runs; the epoch's own record (at its end) is False."""


RunStatus = Literal["running", "finished", "stopped", "failed", "interrupted"]


@dataclass(frozen=True)
class RunFinished:
    status: RunStatus
    run_dir: str | None
    epochs_done: int
    error: str | None = None
    error_title: str | None = None


Event = (
    RunStarted
    | Notice
    | EpochStarted
    | BatchProgress
    | EpochEnded
    | EarlyStopped
    | LearningRateChanged
    | PatienceChanged
    | CheckpointSaved
    | NonFiniteLoss
    | Paused
    | ControlRequested
    | Evaluated
    | SystemLoad
    | RunFinished
)
Listener = Callable[[Event], None]

EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        RunStarted,
        Notice,
        EpochStarted,
        BatchProgress,
        EpochEnded,
        EarlyStopped,
        LearningRateChanged,
        PatienceChanged,
        CheckpointSaved,
        NonFiniteLoss,
        Paused,
        ControlRequested,
        Evaluated,
        SystemLoad,
        RunFinished,
    )
}


def event_to_dict(event: Any) -> dict[str, Any]:
    """A JSON-ready dict with the event's type name under ``"event"``."""
    return {"event": type(event).__name__, **dataclasses.asdict(event)}


def _fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    # Keys a newer nnbench wrote are ignored, so an old reader still replays the run.
    known = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in known}


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event written by ``event_to_dict`` (nested dataclasses included).

    Raises ValueError (or KeyError / TypeError) for a line that is not such an event."""
    if not isinstance(data, dict):
        raise ValueError("not an event object")
    data = dict(data)
    cls = EVENT_TYPES[data.pop("event")]
    data = _fields(cls, data)
    if cls is RunStarted:
        summary = data["summary"]
        data["summary"] = ModelSummary(
            rows=[SummaryRow(**_fields(SummaryRow, row)) for row in summary["rows"]],
            total=summary["total"],
            trainable=summary["trainable"],
            non_trainable=summary["non_trainable"],
        )
        info = dict(data["data"])
        info["input_shape"] = tuple(info["input_shape"])
        data["data"] = DataInfo(**_fields(DataInfo, info))
    if cls is EpochEnded and data.get("early_stopping"):
        data["early_stopping"] = EarlyStoppingState(**_fields(EarlyStoppingState,
                                                            data["early_stopping"]))
    if cls is SystemLoad:
        data["gpus"] = [GpuLoad(**_fields(GpuLoad, gpu)) for gpu in data.get("gpus") or []]
    event: Event = cls(**data)
    return event
