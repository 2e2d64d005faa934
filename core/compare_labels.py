"""A short label per compared run naming what differs ("sgd lr=0.01" vs "adam"), for chart
legends, the comparison's header and the note of an edited preset's run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nnbench.core.compare_values import MISSING, format_value

if TYPE_CHECKING:
    from nnbench.core.compare import ComparedRun

SHORT = {"learning_rate": "lr", "batch_size": "batch", "validation_split": "val_split",
         "EarlyStopping": "early_stop", "ReduceLROnPlateau": "reduce_lr",
         "ModelCheckpoint": "checkpoint"}
"""Long names shortened in labels."""


def labels_for(runs: Sequence[ComparedRun], differing: dict[str, list[Any]],
               width: int = 32) -> list[str]:
    """A short label per run naming what differs ("sgd lr=0.01", "adam"); the run id when
    nothing but the name differs; labels made unique for chart legends."""
    keys = sorted((k for k in differing if k != "name"), key=_label_priority)
    layers = [layer_signatures(run.flat) for run in runs]
    layers_differ = any(k.startswith("model.layers[") for k in keys)
    labels = []
    for i, run in enumerate(runs):
        parts = []
        for key in keys:
            if key.startswith("model.layers["):
                if layers_differ:  # once, where the model's turn comes
                    layers_differ = False
                    parts += ["@model"]
                continue
            if part := _label_part(key, differing[key][i], run.flat):
                parts.append(part)
        if "@model" in parts:
            # The layers this run has and some other run lacks: "Dropout(0.3)".
            mine = [sig for sig in layers[i] if any(sig not in sigs for j, sigs in enumerate(layers)
                                                     if j != i)]
            at = parts.index("@model")
            parts[at:at + 1] = [layer_label(sig) for sig in mine]
        layers_differ = any(k.startswith("model.layers[") for k in keys)
        label = " ".join(parts)
        if not label:
            name = run.flat.get("name")
            label = str(name) if "name" in differing and name is not None else short_id(run.run_id)
        labels.append(label[:width] if len(label) <= width else label[: width - 1] + "…")
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    if any(n > 1 for n in counts.values()):
        labels = [f"{label} ({short_id(run.run_id)})" if counts[label] > 1 else label
                  for label, run in zip(labels, runs, strict=True)]
    return labels


def layer_signatures(flat: dict[str, Any]) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """Each layer as (type, its parameters but the name), to find the layers runs don't share."""
    layers: dict[int, dict[str, Any]] = {}
    for key, value in flat.items():
        if key.startswith("model.layers["):
            index, _, param = key.removeprefix("model.layers[").partition("].")
            layers.setdefault(int(index), {})[param] = value
    return [(str(params.get("type", "?")),
             tuple((k, format_value(v)) for k, v in params.items() if k not in ("type", "name")))
            for _, params in sorted(layers.items())]


def layer_label(signature: tuple[str, tuple[tuple[str, str], ...]]) -> str:
    kind, params = signature
    return f"{kind}({','.join(value for _, value in params)})" if params else kind


_LABEL_ORDER = ("compile.optimizer.type", "compile.optimizer.", "fit.", "callbacks.", "model.",
                "compile.loss", "compile.", "data.")
"""What a label names first: the optimizer and its settings, then training, callbacks, layers..."""

_LOSSES = {"sparse_categorical_crossentropy": "sparse_cce", "categorical_crossentropy": "cce",
           "binary_crossentropy": "bce", "mean_squared_error": "mse", "mean_absolute_error": "mae"}


def _label_priority(key: str) -> int:
    return next((i for i, start in enumerate(_LABEL_ORDER) if key.startswith(start)),
                len(_LABEL_ORDER))


def _label_part(key: str, value: Any, flat: dict[str, Any]) -> str:
    if value is MISSING:
        return ""
    text = format_value(value)
    parts = key.split(".")
    last = parts[-1]
    if key == "compile.optimizer.type":
        return text
    if key == "compile.loss":
        return _LOSSES.get(text, text)
    if key == "compile.metrics":
        return f"metrics={text}"
    if key.startswith("model.layers["):
        layer = key.split("]")[0] + "]"
        if last == "type":
            return f"{layer.removeprefix('model.')}={text}"
        layer_type = flat.get(f"{layer}.type")
        owner = str(layer_type) if layer_type is not None else layer.removeprefix("model.")
        return f"{owner}.{SHORT.get(last, last)}={text}"
    if key.startswith("callbacks.") and len(parts) >= 3:
        return f"{SHORT.get(parts[1], parts[1])}.{SHORT.get(last, last)}={text}"
    return f"{SHORT.get(last, last)}={text}"


def short_id(run_id: str) -> str:
    # 20261201-223000-name: the time of day tells runs of one preset apart
    parts = run_id.split("-")
    return parts[1] if len(parts) >= 2 and parts[1].isdigit() else run_id[:15]
