"""What every array source shares: the split into train/validation/test, scaling, dtypes, and
the ``LoadedData`` that ``load_data`` returns for every source."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnbench.core.data.notes import note
from nnbench.core.errors import DataError
from nnbench.core.events import DataInfo
from nnbench.core.i18n import _
from nnbench.core.preset import DataSpec, FitSpec

DEFAULT_TEST_SPLIT = 0.2
DEFAULT_SEQUENCE_LENGTH = 256


@dataclass(kw_only=True)
class LoadedData:
    """A data source split into train/validation/test, ready for ``model.fit``.

    Array sources fill ``x_*``/``y_*``; image and text folders fill ``*_ds`` (batched
    ``tf.data.Dataset`` of ``(x, y)``) and leave the arrays ``None``. A split that does not exist is
    ``None``.
    """

    x_train: np.ndarray | None = None
    y_train: np.ndarray | None = None
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    train_ds: Any = None
    val_ds: Any = None
    test_ds: Any = None
    info: DataInfo
    task: str
    """One of "binary", "multiclass", "regression"."""


@dataclass
class Source:
    """A source's own train/test arrays, before max_samples, validation hold-out and scaling."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    task: str
    class_names: list[str] | None
    sequences: bool = False
    """Word indices, not measurements: never scaled, kept as int32."""
    notes: list[str] = field(default_factory=list)


def prepare_arrays(source: Source, spec: DataSpec, fit: FitSpec) -> LoadedData:
    """A loaded source made ready to train: first samples, the validation hold-out, scaling, dtypes."""
    notes = list(source.notes)
    x, y = _first_samples(source.x_train, source.y_train, spec.max_samples, notes)
    x_train, y_train, x_val, y_val = _hold_out_validation(x, y, source, spec, fit, notes)
    x_train, x_val, x_test = scale_inputs(x_train, x_val, source.x_test, spec.scaling,
                                          source.sequences, notes)
    x_dtype = np.int32 if source.sequences else np.float32
    y_dtype = np.float32 if source.task == "regression" else np.int32

    def as_x(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else np.ascontiguousarray(a, dtype=x_dtype)

    def as_y(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else np.ascontiguousarray(a, dtype=y_dtype)

    info = DataInfo(
        source=spec.source,
        train_samples=len(x_train),
        val_samples=0 if x_val is None else len(x_val),
        test_samples=0 if x_test is None else len(x_test),
        input_shape=tuple(int(d) for d in x_train.shape[1:]),
        num_classes=_num_classes(source),
        class_names=source.class_names,
        notes=notes,
        missing_labels=_missing(y_train) + _missing(y_val),
    )
    return LoadedData(x_train=as_x(x_train), y_train=as_y(y_train), x_val=as_x(x_val),
                      y_val=as_y(y_val), x_test=as_x(x_test), y_test=as_y(source.y_test),
                      info=info, task=source.task)


def _missing(y: np.ndarray | None) -> int:
    """How many labels are NaN (a float target with gaps)."""
    if y is None or y.dtype.kind != "f":
        return 0
    return int(np.isnan(y).reshape(len(y), -1).any(axis=1).sum())


def _num_classes(source: Source) -> int | None:
    if source.task == "regression":
        return None
    if source.class_names:
        return len(source.class_names)
    labels = [source.y_train] + ([source.y_test] if source.y_test is not None else [])
    return int(max(int(a.max()) for a in labels)) + 1


def _first_samples(x: np.ndarray, y: np.ndarray, max_samples: int | None,
                   notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    if max_samples is None or max_samples >= len(x):
        return x, y
    notes.append(note("first_samples", used=f"{max_samples:,}", total=f"{len(x):,}"))
    return x[:max_samples], y[:max_samples]


def _hold_out_validation(
    x: np.ndarray, y: np.ndarray, source: Source, spec: DataSpec, fit: FitSpec, notes: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Split validation data off the training samples, the three ways a preset can ask for it."""
    n = len(x)
    if fit.validation_split is not None:
        # The same arithmetic as Keras's fit(validation_split=): the LAST fraction, unshuffled.
        split_at = math.floor(n * (1.0 - fit.validation_split))
        if split_at in (0, n):
            raise DataError(_("fit.validation_split = {split} of {count} training samples leaves "
                              "no training or no validation samples; choose a split between 0.1 "
                              "and 0.3, or use more data.").format(split=fit.validation_split,
                                                                   count=f"{n:,}"))
        notes.append(note("last_for_validation", count=f"{n - split_at:,}",
                          percent=f"{fit.validation_split:.0%}"))
        return x[:split_at], y[:split_at], x[split_at:], y[split_at:]
    if fit.validation_first is not None:
        first = fit.validation_first
        if first >= n:
            raise DataError(_("fit.validation_first = {first} but there are only {count} training "
                              "samples; hold out fewer (e.g. {fewer}) or use fit.validation_split "
                              "instead.").format(first=f"{first:,}", count=f"{n:,}",
                                                 fewer=f"{max(1, n // 5):,}"))
        notes.append(note("first_for_validation", count=f"{first:,}"))
        return x[first:], y[first:], x[:first], y[:first]
    if fit.validation_data == "test":
        if source.x_test is None:
            raise DataError(_('fit.validation_data = "test" but {source} has no test split; set '
                              'data.test_split (e.g. 0.2) to hold one out, or use '
                              'fit.validation_split instead.').format(source=spec.source))
        notes.append(note("validating_on_test", count=f"{len(source.x_test):,}"))
        return x, y, source.x_test, source.y_test
    return x, y, None, None


def scale_inputs(
    x_train: np.ndarray, x_val: np.ndarray | None, x_test: np.ndarray | None, scaling: str,
    sequences: bool, notes: list[str]
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The three splits scaled as ``data.scaling`` says, with the training part's statistics;
    what was done goes into ``notes``. The one rule for it: loading and evaluating both call it."""
    if scaling == "none":
        return x_train, x_val, x_test
    if sequences:
        notes.append(note("sequences_not_scaled", scaling=scaling))
        return x_train, x_val, x_test
    if scaling == "divide255":
        notes.append(note("divided_255"))
        return tuple(None if a is None else (a.astype(np.float32) / np.float32(255.0))
                     for a in (x_train, x_val, x_test))  # type: ignore[return-value]
    # Statistics come from the training part only, so validation and test stay unseen data.
    mean = x_train.mean(axis=0, dtype=np.float64)
    std = x_train.std(axis=0, dtype=np.float64)
    std[std == 0] = 1.0  # a constant feature would divide by zero; leave it centred at 0
    notes.append(note("standardized", count=f"{len(x_train):,}"))
    return tuple(None if a is None else ((a - mean) / std).astype(np.float32)
                 for a in (x_train, x_val, x_test))  # type: ignore[return-value]


def labels_task(class_count: int) -> str:
    """The task a count of label classes means: binary for two, multiclass otherwise."""
    return "binary" if class_count == 2 else "multiclass"


def hold_out_test(x: np.ndarray, y: np.ndarray, fraction: float, seed: int | None, task: str,
                   where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """A seeded test split for sources that have none, stratified by class when it can be."""
    from sklearn.model_selection import train_test_split

    problem: Exception | None = None
    for stratify in ([y, None] if task != "regression" else [None]):
        try:
            x_train, x_test, y_train, y_test = train_test_split(
                x, y, test_size=fraction, random_state=seed or 0, stratify=stratify)
        except ValueError as exc:  # stratifying needs at least 2 samples of every class
            problem = exc
            continue
        kind = "test_held_out" if len(x_test) != 1 else "one_test_sample"
        held = note(kind + ("_stratified" if stratify is not None else ""), count=f"{len(x_test):,}",
                    percent=f"{fraction:.0%}", seed=seed or 0)
        return x_train, x_test, y_train, y_test, held
    raise DataError(_("{where}: cannot hold out data.test_split = {fraction} of {count} samples "
                      "({problem}); use more data or a different test_split.").format(
        where=where, fraction=fraction, count=f"{len(x):,}", problem=problem))


def existing_path(spec: DataSpec, *, folder: bool) -> Path:
    """The source's file (or folder, with ``folder``); raises DataError naming it when it is missing."""
    path = Path(spec.target_name).expanduser()
    if not path.exists():
        missing = (_("{source}: there is no folder at {path}; check data.source (a relative path "
                     "is relative to the preset file).") if folder else
                   _("{source}: there is no file at {path}; check data.source (a relative path is "
                     "relative to the preset file)."))
        raise DataError(missing.format(source=spec.source, path=path))
    if folder != path.is_dir():
        wrong = (_("{source}: {path} is not a folder; {scheme}: expects a folder.") if folder else
                 _("{source}: {path} is not a file; {scheme}: expects a file."))
        raise DataError(wrong.format(source=spec.source, path=path, scheme=spec.scheme))
    return path

