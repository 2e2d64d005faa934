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
    refused_steer: bool = False
    """The run's answer to a steer it could not apply: what ``nnbench steer`` waits for (by this
    flag, never by the words, which may be in any language)."""


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


@dataclass(frozen=True)
class LayerStats:
    """One layer after an epoch (core/layer_health.py): its kernel's statistics, how far the
    epoch moved it, its gradient on a fixed batch, its dead or saturated units on a fixed sample.
    None: not measured for this layer (no weights, not a ReLU/sigmoid/tanh layer)."""

    name: str
    type: str
    activation: str | None
    weights: int
    """Values in the kernel (the layer's largest trainable variable) the statistics describe."""
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    histogram: list[int] = field(default_factory=list)
    """The kernel's values in equal bins from min to max (a sparkline)."""
    update_ratio: float | None = None
    """|w_end - w_start| / |w_start| of the kernel over the epoch."""
    grad_norm: float | None = None
    """The norm of the gradient of all the layer's trainable variables on the fixed batch."""
    dead: float | None = None
    """ReLU family: the share of units that never activated on the sample."""
    saturated: float | None = None
    """sigmoid/tanh: the share of units stuck at their limits on most of the sample."""
    units: int | None = None


@dataclass(frozen=True)
class HealthFlag:
    """A layer-health rule that holds, in words (core/layer_health.py ``rules``)."""

    layer: str
    rule: str
    """"dead", "saturated", "exploding" or "not_finite"."""
    text: str


@dataclass(frozen=True)
class LayerHealth:
    """Every layer's health after an epoch, and the rules that fire."""

    epoch: int
    layers: list[LayerStats]
    grad_norm: float | None
    """The whole model's gradient norm on the fixed batch."""
    flags: list[HealthFlag] = field(default_factory=list)
    """Every rule that holds after this epoch."""
    fired: list[HealthFlag] = field(default_factory=list)
    """The flags that did not hold the epoch before: the lines printed under the epoch."""
    samples: int = 0
    """Inputs the activations were measured on (the fixed sample)."""
    seconds: float = 0.0
    """What measuring cost (weights, gradient, activations, confusion matrix) this epoch."""


@dataclass(frozen=True)
class ConfusionMatrixUpdated:
    """A classification run's confusion matrix on a fixed sample of its validation data after an
    epoch (rows true classes, columns predicted; scikit-learn's layout)."""

    epoch: int
    class_names: list[str]
    matrix: list[list[int]]
    recall: list[float | None]
    """Per true class; None when the sample holds none of it."""
    samples: int
    split: str = "validation"
    """Where the sample came from: "validation", or "training" for a run without validation."""


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
    | LayerHealth
    | ConfusionMatrixUpdated
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
        LayerHealth,
        ConfusionMatrixUpdated,
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
    if cls is LayerHealth:
        data["layers"] = [LayerStats(**_fields(LayerStats, row)) for row in data.get("layers") or []]
        for key in ("flags", "fired"):
            data[key] = [HealthFlag(**_fields(HealthFlag, f)) for f in data.get(key) or []]
    event: Event = cls(**data)
    return event
