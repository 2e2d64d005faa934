"""What TensorFlow sees: its CPUs and GPUs, with a GPU's name, compute capability and memory
where TensorFlow reports them. ``nnbench devices`` prints it; runs record the devices they use in
summary.json (core/strategy.py decides which)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Device:
    name: str
    """TensorFlow's logical name, e.g. ``/device:GPU:0``: what ``[fit] devices`` names as GPU:0."""
    kind: str
    """CPU or GPU."""
    description: str = ""
    """The GPU's model (e.g. NVIDIA A100-SXM4-40GB) and compute capability, when reported."""
    memory_total: int | None = None
    """Bytes TensorFlow may use on it (its memory limit), when reported."""
    memory_in_use: int | None = None
    """Bytes TensorFlow holds on it now (get_memory_info), when it is initialised."""

    @property
    def short(self) -> str:
        return self.name.rpartition("device:")[2] or self.name


def list_devices() -> list[Device]:
    """Every logical device TensorFlow sees (imports TensorFlow)."""
    from nnbench.core.keras_env import import_keras

    import_keras()  # TensorFlow's C++ chatter turned down first
    import tensorflow as tf

    physical = {d.name.rpartition("physical_device:")[2]: d
                for d in tf.config.list_physical_devices()}
    out = []
    for logical in tf.config.list_logical_devices():
        kind = logical.device_type
        short = logical.name.rpartition("device:")[2]
        details = _details(tf, physical.get(short))
        description = str(details.get("device_name", ""))
        capability = details.get("compute_capability")
        if capability:
            description += f" (compute capability {capability[0]}.{capability[1]})"
        total = in_use = None
        if kind == "GPU":
            with contextlib.suppress(Exception):  # not every build reports memory
                info = tf.config.experimental.get_memory_info(short)
                in_use = int(info["current"])
            total = _memory_limit(logical.name)
        out.append(Device(logical.name, kind, description.strip(), total, in_use))
    return out


def _details(tf: Any, device: Any) -> dict[str, Any]:
    if device is None:
        return {}
    try:
        return dict(tf.config.experimental.get_device_details(device))
    except Exception:  # older builds and CPUs report nothing
        return {}


def _memory_limit(name: str) -> int | None:
    """The bytes TensorFlow may allocate on a GPU, from its local device list."""
    try:
        from tensorflow.python.client import device_lib

        for local in device_lib.list_local_devices():
            if local.name == name:
                return int(local.memory_limit) or None
    except Exception:
        return None
    return None


def _bytes(value: int | None) -> str:
    if value is None:
        return "-"
    gib = value / 2**30
    return f"{gib:,.1f} GiB" if gib >= 1 else f"{value / 2**20:,.0f} MiB"


def device_table(devices: list[Device]) -> list[str]:
    """The devices as the lines ``nnbench devices`` prints."""
    rows = [("device", "kind", "memory", "in use", "what"),
            *[(d.short, d.kind, _bytes(d.memory_total), _bytes(d.memory_in_use),
               d.description or ("host CPU" if d.kind == "CPU" else "")) for d in devices]]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(f"{cell:<{w}}" for cell, w in zip(row[:4], widths, strict=True))
             + "  " + row[4] for row in rows]
    gpus = sum(d.kind == "GPU" for d in devices)
    lines.append("")
    lines.append(f"{gpus} GPU{'s' if gpus != 1 else ''}: " + (
        'strategy = "mirrored" trains on all of them; devices = ["GPU:0"] picks one'
        if gpus else 'no GPU is visible to TensorFlow; runs train on the CPU (mixed_precision '
                     'needs a GPU)'))
    return lines
