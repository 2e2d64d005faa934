"""Compare runs: which preset keys differ, which metrics they share, and a label per run.

Each run's ``preset.toml`` is flattened into dotted keys (``compile.optimizer.type``,
``fit.batch_size``, ``model.layers[2].rate``); only the keys whose values differ between the runs
are kept. Curves come from the run model (``core.run_state.replay`` over events.jsonl), or from
history.csv for a run folder without events. A run's label names what differs ("sgd lr=0.01" vs
"adam"), for chart legends.

Here: reading and comparing runs, and an edited preset's note. The dotted keys and values are in
core/compare_values.py, the labels in core/compare_labels.py, the ``nnbench compare`` table in
core/compare_report.py; every name is importable from here.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnbench.core.compare_labels import SHORT, labels_for, layer_label, layer_signatures, short_id
from nnbench.core.compare_report import comparison_report
from nnbench.core.compare_values import MISSING, canonical, flatten, format_value, normalized_preset
from nnbench.core.errors import RunStoreError

__all__ = [
    "CHART_LIMIT", "EDIT_LABEL_WIDTH", "MISSING", "NOT_COMPARED", "ComparedRun", "Comparison",
    "compare", "comparison_report", "edit_label", "flatten", "format_value", "labels_for",
    "normalized_preset", "read_run", "read_series", "run_folder",
]

NOT_COMPARED = ("description",)
"""Keys that never count as a difference (prose, not settings)."""
EDIT_LABEL_WIDTH = 40
"""The longest note an edited preset's run gets (the runs list shows it beside the name)."""

CHART_LIMIT = 4
"""Charts a comparison draws: loss, val_loss, the first metric and its val twin."""


@dataclass
class ComparedRun:
    run_id: str
    run_dir: str
    flat: dict[str, Any]
    """The preset as dotted keys -> values."""
    series: dict[str, list[tuple[int, float]]]
    """Quantity -> [(epoch, value)], epochs from 1."""
    label: str = ""


@dataclass
class Comparison:
    runs: list[ComparedRun]
    differing: dict[str, list[Any]]
    """Dotted key -> its value in each run (``MISSING`` where a run doesn't have it), in preset
    order; only keys whose values differ."""
    shared_metrics: list[str]
    """Quantities every run logged (loss, val_loss, accuracy, ...), charts' order first."""
    missing: dict[str, list[str]] = field(default_factory=dict)
    """Run id -> quantities other runs logged and this one did not (only runs that miss some)."""

    @property
    def labels(self) -> list[str]:
        return [run.label for run in self.runs]

    @property
    def chart_metrics(self) -> list[str]:
        """What to chart, one chart each: loss, val_loss, the first metric and its val twin."""
        return self.shared_metrics[:CHART_LIMIT]

    def rows(self) -> list[tuple[str, list[str]]]:
        """The diff table as text: (key, [value in each run])."""
        return [(key, [format_value(v) for v in values]) for key, values in self.differing.items()]



def edit_label(original: Any, edited: Any) -> str:
    """What ``edited`` (a Preset) changed from ``original``, in the words of a comparison's
    legend ("sgd lr=0.01", "Dropout(0.3)"); "" when only the name or description changed.

    A run of an edited, unsaved preset carries this as its note, so four runs of four different
    models are not all just "digits-mlp" in the runs list."""
    pair = [ComparedRun(tag, "", flatten(canonical(preset.to_toml_dict())), {})
            for tag, preset in (("original", original), ("edited", edited))]
    differing = {key: values for key, values in compare(pair).differing.items()
                 if key != "name"}
    if not differing:
        return ""
    settings = {k: v for k, v in differing.items() if not k.startswith("model.layers[")}
    label = labels_for(pair, settings, width=1_000)[1] if settings else ""
    parts = [] if label == short_id("edited") else [label] if label else []
    dropped = dict.fromkeys(SHORT.get(key.split(".")[1], key.split(".")[1])
                            for key, (_, now) in settings.items()
                            if now is MISSING and key.startswith("callbacks."))
    parts += ["-" + callback for callback in dropped]
    if len(settings) < len(differing):  # the stack changed: the layers added, then removed
        before, after = (layer_signatures(run.flat) for run in pair)
        parts += ["+" + layer_label(sig) for sig in after if sig not in before]
        parts += ["-" + layer_label(sig) for sig in before if sig not in after]
    label = " ".join(parts) or "edited"
    return label if len(label) <= EDIT_LABEL_WIDTH else label[:EDIT_LABEL_WIDTH - 1] + "…"


# --- reading runs --------------------------------------------------------------------------------


def run_folder(run: Any) -> Path:
    """The folder of a run given as a path, a RunRecord (``path``) or a RunState (``run_dir``)."""
    for attribute in ("path", "run_dir"):
        value = getattr(run, attribute, None)
        if isinstance(value, (str, Path)):
            return Path(value)
    if isinstance(run, (str, Path)):
        return Path(run)
    raise TypeError(f"not a run: {run!r}")


def read_run(run: Any) -> ComparedRun:
    folder = run_folder(run)
    preset_path = folder / "preset.toml"
    try:
        text = preset_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise RunStoreError(f"{preset_path}: missing or unreadable; is {folder} a run folder? "
                            "`nnbench runs` lists the runs") from None
    flat = flatten(normalized_preset(text, str(preset_path)))
    return ComparedRun(folder.name, str(folder), flat, read_series(folder))


def read_series(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """A run's curves: replayed from events.jsonl by the run model, else read from history.csv."""
    from nnbench.core.run_state import replay
    from nnbench.core.runs import RunStore

    events = RunStore(folder.parent).events(folder.name)
    if events:
        replayed = replay(events).series
        if replayed:
            return {k: list(v) for k, v in replayed.items()}
    series: dict[str, list[tuple[int, float]]] = {}
    path = folder / "history.csv"
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for n, row in enumerate(csv.DictReader(handle)):
                epoch = int(float(row.get("epoch") or n)) + 1  # CSVLogger counts from 0
                for key, value in row.items():
                    if key and key != "epoch" and value not in (None, ""):
                        series.setdefault(key, []).append((epoch, float(value)))
    except (OSError, ValueError, csv.Error, UnicodeDecodeError):
        pass  # a torn last line or no history yet: compare what there is
    return series


# --- comparing -----------------------------------------------------------------------------------


def compare(runs: Iterable[Any]) -> Comparison:
    """Compare two or more runs (run folders, RunRecords or RunStates).

    Raises:
        RunStoreError: fewer than two runs, or a run folder without a readable preset.toml.
    """
    compared = [run if isinstance(run, ComparedRun) else read_run(run) for run in runs]
    if len(compared) < 2:
        raise RunStoreError("compare needs two or more runs; mark the runs to compare")
    keys = _merged_keys([run.flat for run in compared])
    differing = {}
    for key in keys:
        if key.split(".")[0] in NOT_COMPARED:
            continue
        values = [run.flat.get(key, MISSING) for run in compared]
        if any(not _same(values[0], v) for v in values[1:]):
            differing[key] = values
    logged = [set(run.series) for run in compared]
    everywhere = set.intersection(*logged)
    anywhere = set.union(*logged)
    metrics = _metric_order(compared, everywhere)
    missing = {run.run_id: sorted(anywhere - have) for run, have in zip(compared, logged, strict=True)
               if anywhere - have}
    for run, label in zip(compared, labels_for(compared, differing), strict=True):
        run.label = label
    return Comparison(compared, differing, metrics, missing)


def _merged_keys(flats: Sequence[dict[str, Any]]) -> list[str]:
    """Every key in preset order: a key only some runs have goes right after the key before it
    in that run (a Dropout's rate beside its layer, not after the whole preset)."""
    keys: list[str] = []
    for flat in flats:
        at = 0
        for key in flat:
            if key in keys:
                at = keys.index(key) + 1
            else:
                keys.insert(at, key)
                at += 1
    sections = list(dict.fromkeys(key.split(".")[0].split("[")[0] for key in keys))

    def place(key: str) -> tuple[int, int]:
        layer = key.removeprefix("model.layers[").partition("]")[0] if key.startswith(
            "model.layers[") else ""
        return sections.index(key.split(".")[0].split("[")[0]), int(layer) if layer.isdigit() else -1

    return sorted(keys, key=place)  # stable: within a layer, the merged order stays


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b) and not (_number(a) and _number(b)):
        return False
    return a == b


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _metric_order(runs: Sequence[ComparedRun], shared: set[str]) -> list[str]:
    """loss, val_loss, the first compiled metric and its val twin, then the rest as logged."""
    from nnbench.core.format import NOT_A_METRIC

    first = None
    for run in runs:
        compiled = run.flat.get("compile.metrics")
        for name in compiled if isinstance(compiled, list) else []:
            if str(name) in shared:
                first = str(name)
                break
        if first:
            break
    if first is None:
        first = next((k for k in runs[0].series if k in shared and k not in NOT_A_METRIC
                      and not k.startswith("val_")), None)
    lead = [k for k in ("loss", "val_loss", first, f"val_{first}" if first else None)
            if k is not None and k in shared]
    rest = [k for k in runs[0].series if k in shared and k not in lead]
    return lead + rest
