"""Compare runs: which preset keys differ, which metrics they share, and a label per run.

Each run's ``preset.toml`` is flattened into dotted keys (``compile.optimizer.type``,
``fit.batch_size``, ``model.layers[2].rate``); only the keys whose values differ between the runs
are kept. Curves come from the run model (``core.run_state.replay`` over events.jsonl), or from
history.csv for a run folder without events. A run's label names what differs ("sgd lr=0.01" vs
"adam"), for chart legends.
"""

from __future__ import annotations

import csv
import math
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnbench.core.errors import NnbenchError, RunStoreError


class _Missing:
    """A key one run's preset doesn't have."""

    def __repr__(self) -> str:
        return "MISSING"

    def __str__(self) -> str:
        return "—"


MISSING: Any = _Missing()

NOT_COMPARED = ("description",)
EDIT_LABEL_WIDTH = 40
"""The longest note an edited preset's run gets (the runs list shows it beside the name)."""
"""Keys that never count as a difference (prose, not settings)."""

CHART_LIMIT = 4
"""Charts a comparison draws: loss, val_loss, the first metric and its val twin."""

_SHORT = {"learning_rate": "lr", "batch_size": "batch", "validation_split": "val_split",
          "EarlyStopping": "early_stop", "ReduceLROnPlateau": "reduce_lr",
          "ModelCheckpoint": "checkpoint"}


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


# --- flattening ----------------------------------------------------------------------------------


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys of a parsed TOML document; lists of tables by index (``model.layers[2].rate``),
    lists of plain values (``compile.metrics``) kept whole."""
    out: dict[str, Any] = {}
    if isinstance(tree, dict):
        for key, value in tree.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict) or _is_table_list(value):
                out.update(flatten(value, path))
            else:
                out[path] = value
    elif _is_table_list(tree):
        for i, item in enumerate(tree):
            out.update(flatten(item, f"{prefix}[{i}]"))
    else:
        out[prefix] = tree
    return out


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def normalized_preset(text: str, file: str) -> dict[str, Any]:
    """A preset.toml as a dict in one canonical form: validated and written back (so defaults
    are filled in and ``optimizer = "adam"`` reads as ``optimizer.type``); the raw TOML if it no
    longer validates (a run of an older nnbench still compares)."""
    from nnbench.core.preset import loads_preset

    try:
        raw = loads_preset(text, file=file).to_toml_dict()
    except NnbenchError:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RunStoreError(f"{file}: not valid TOML ({exc}); this run cannot be compared"
                                ) from None
    return _canonical(raw)


def _canonical(raw: dict[str, Any]) -> dict[str, Any]:
    compile_ = raw.get("compile")
    if isinstance(compile_, dict) and isinstance(compile_.get("optimizer"), str):
        compile_["optimizer"] = {"type": compile_["optimizer"]}
    return raw


def edit_label(original: Any, edited: Any) -> str:
    """What ``edited`` (a Preset) changed from ``original``, in the words of a comparison's
    legend ("sgd lr=0.01", "Dropout(0.3)"); "" when only the name or description changed.

    A run of an edited, unsaved preset carries this as its note, so four runs of four different
    models are not all just "digits-mlp" in the runs list."""
    pair = [ComparedRun(tag, "", flatten(_canonical(preset.to_toml_dict())), {})
            for tag, preset in (("original", original), ("edited", edited))]
    differing = {key: values for key, values in compare(pair).differing.items()
                 if key != "name"}
    if not differing:
        return ""
    settings = {k: v for k, v in differing.items() if not k.startswith("model.layers[")}
    label = labels_for(pair, settings, width=1_000)[1] if settings else ""
    parts = [] if label == _short_id("edited") else [label] if label else []
    dropped = dict.fromkeys(_SHORT.get(key.split(".")[1], key.split(".")[1])
                            for key, (_, now) in settings.items()
                            if now is MISSING and key.startswith("callbacks."))
    parts += ["-" + callback for callback in dropped]
    if len(settings) < len(differing):  # the stack changed: the layers added, then removed
        before, after = (_layer_signatures(run.flat) for run in pair)
        parts += ["+" + _layer_label(sig) for sig in after if sig not in before]
        parts += ["-" + _layer_label(sig) for sig in before if sig not in after]
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


# --- labels --------------------------------------------------------------------------------------


def labels_for(runs: Sequence[ComparedRun], differing: dict[str, list[Any]],
               width: int = 32) -> list[str]:
    """A short label per run naming what differs ("sgd lr=0.01", "adam"); the run id when
    nothing but the name differs; labels made unique for chart legends."""
    keys = sorted((k for k in differing if k != "name"), key=_label_priority)
    layers = [_layer_signatures(run.flat) for run in runs]
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
            parts[at:at + 1] = [_layer_label(sig) for sig in mine]
        layers_differ = any(k.startswith("model.layers[") for k in keys)
        label = " ".join(parts)
        if not label:
            name = run.flat.get("name")
            label = str(name) if "name" in differing and name is not None else _short_id(run.run_id)
        labels.append(label[:width] if len(label) <= width else label[: width - 1] + "…")
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    if any(n > 1 for n in counts.values()):
        labels = [f"{label} ({_short_id(run.run_id)})" if counts[label] > 1 else label
                  for label, run in zip(labels, runs, strict=True)]
    return labels


def _layer_signatures(flat: dict[str, Any]) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """Each layer as (type, its parameters but the name), to find the layers runs don't share."""
    layers: dict[int, dict[str, Any]] = {}
    for key, value in flat.items():
        if key.startswith("model.layers["):
            index, _, param = key.removeprefix("model.layers[").partition("].")
            layers.setdefault(int(index), {})[param] = value
    return [(str(params.get("type", "?")),
             tuple((k, format_value(v)) for k, v in params.items() if k not in ("type", "name")))
            for _, params in sorted(layers.items())]


def _layer_label(signature: tuple[str, tuple[tuple[str, str], ...]]) -> str:
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
        return f"{owner}.{_SHORT.get(last, last)}={text}"
    if key.startswith("callbacks.") and len(parts) >= 3:
        return f"{_SHORT.get(parts[1], parts[1])}.{_SHORT.get(last, last)}={text}"
    return f"{_SHORT.get(last, last)}={text}"


def format_value(value: Any) -> str:
    """A preset value as a person writes it in TOML (bools lower case, lists in brackets)."""
    if value is MISSING:
        return str(MISSING)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={format_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _short_id(run_id: str) -> str:
    # 20261201-223000-name: the time of day tells runs of one preset apart
    parts = run_id.split("-")
    return parts[1] if len(parts) >= 2 and parts[1].isdigit() else run_id[:15]


def comparison_report(comparison: Comparison) -> str:
    """The diff table and the shared metrics' final values, as plain text (``nnbench compare``)."""
    from nnbench.core.format import fmt_value
    from nnbench.core.text import cell_cut, cell_pad, cell_width, printable

    c = comparison
    labels = [printable(label) for label in c.labels]
    width = min(max(12, *(cell_width(label) for label in labels)), 28) + 2
    lines = [f"{chr(65 + i) if i < 26 else i}: {printable(run.run_id)}  ({label})"
             for i, (run, label) in enumerate(zip(c.runs, labels, strict=True))]
    rows = [(printable(key), values) for key, values in c.rows()]
    metrics = [printable(metric) for metric in c.shared_metrics]
    key_w = min(max([len("preset key"), *(cell_width(k) for k, _ in rows)]), 40) + 2
    head = cell_pad("preset key", key_w) + "".join(
        cell_pad(chr(65 + i) if i < 26 else str(i), width) for i in range(len(c.runs)))
    lines += ["", head]
    if not rows:
        lines.append("  (the presets are the same)")
    for key, values in rows:
        lines.append(cell_pad(cell_cut(key, key_w - 2), key_w) + "".join(
            cell_pad(cell_cut(printable(v), width - 2), width) for v in values))
    lines += ["", cell_pad("final value", key_w)
              + "".join(cell_pad(chr(65 + i) if i < 26 else str(i), width) for i in range(len(c.runs)))]
    for metric, shown in zip(c.shared_metrics, metrics, strict=True):
        finals = [run.series[metric][-1][1] if run.series.get(metric) else None for run in c.runs]
        lines.append(cell_pad(cell_cut(shown, key_w - 2), key_w)
                     + "".join(cell_pad(fmt_value(v), width) for v in finals))
    for run_id, names in c.missing.items():
        lines.append(f"note: {printable(run_id)} did not log {', '.join(printable(n) for n in names)}; "
                     "compared what all runs share")
    return "\n".join(lines)
