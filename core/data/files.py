"""``csv:PATH`` (a header row, numeric features) and ``npz:PATH`` (x_train, y_train, x_test,
y_test): read without pickles, with an error that names the file, line and column."""

from __future__ import annotations

import csv
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nnbench.core.data.arrays import Source, existing_path, hold_out_test, labels_task
from nnbench.core.data.notes import note
from nnbench.core.errors import DataError, did_you_mean
from nnbench.core.i18n import _
from nnbench.core.preset import DataSpec, FitSpec

MAX_CLASSES = 20
"""A csv/npz target of whole numbers with at most this many values is read as class labels."""


def load_csv(spec: DataSpec, fit: FitSpec) -> Source:
    """A CSV file's columns as features and its target column as labels (``csv:`` sources)."""
    path = existing_path(spec, folder=False)
    header, lines, rows = _read_csv(path)
    target = spec.target or header[-1]
    if target not in header:
        raise DataError(_("{path}: no column '{target}' (data.target); the columns are {columns}.")
                        .format(path=path, target=target, columns=", ".join(header))
                        + did_you_mean(target, header))
    t = header.index(target)
    features = [i for i in range(len(header)) if i != t]
    x = _numeric_columns(rows, lines, header, features, path)
    y, task, class_names, notes = _encode_target([row[t] for row in rows], f"column '{target}'")
    if spec.test_split is None:
        notes.append(note("no_test_split"))
        return Source(x, y, None, None, task, class_names, notes=notes)
    x_train, x_test, y_train, y_test, held = hold_out_test(x, y, spec.test_split, fit.seed, task,
                                                            str(path))
    return Source(x_train, y_train, x_test, y_test, task, class_names, notes=[*notes, held])


def _read_csv(path: Path) -> tuple[list[str], list[int], list[list[str]]]:
    """The header, and every data row with its line number (for error messages)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader, [])]
            lines, rows = [], []
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    continue  # blank lines, often at the end of the file
                if len(row) != len(header):
                    raise DataError(_("{path}, line {line}: {values} values but the header has "
                                      "{columns} columns; fix that row.").format(
                        path=path, line=reader.line_num, values=len(row), columns=len(header)))
                lines.append(reader.line_num)
                rows.append(row)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(_("{path}: cannot read it as a UTF-8 CSV file ({reason}).").format(
            path=path, reason=exc)) from None
    if len(header) < 2:
        raise DataError(_("{path}: found {count} column(s) in the header; a CSV source needs a "
                          "header row with feature columns and a target column, separated by "
                          "commas.").format(path=path, count=len(header)))
    if not rows:
        raise DataError(_("{path}: the file has a header but no data rows.").format(path=path))
    return header, lines, rows


def _numeric_columns(rows: list[list[str]], lines: list[int], header: list[str],
                     columns: list[int], path: Path) -> np.ndarray:
    table = np.array([[row[i].strip() for i in columns] for row in rows], dtype=str)
    try:
        x = table.astype(np.float64)
        if np.isfinite(x).all():
            return x.astype(np.float32)
    except ValueError:
        pass
    # Slow path, only to say exactly which cell is wrong.
    for r, row in enumerate(table):
        for c, cell in enumerate(row):
            if not _is_number(cell):
                wrong = (_("{path}, line {line}, column '{column}': the value is missing. Features "
                           "must be numeric: fill, encode or drop that column, or name it as "
                           "data.target if it is the label.") if not cell else
                         _("{path}, line {line}, column '{column}': {value} is not a number. "
                           "Features must be numeric: fill, encode or drop that column, or name it "
                           "as data.target if it is the label."))
                raise DataError(wrong.format(path=path, line=lines[r], column=header[columns[c]],
                                             value=repr(str(cell))))
    raise AssertionError("unreachable: a cell failed to parse but every cell is a number")


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _encode_target(values: list[str] | np.ndarray,
                   what: str) -> tuple[np.ndarray, str, list[str] | None, list[str]]:
    """Labels as class indices 0..k-1 (string labels sorted by name), or float32 for regression."""
    texts = [str(v).strip() for v in values]
    if not all(_is_number(v) for v in texts):
        names = sorted(set(texts))
        if len(names) < 2:
            raise DataError(_("{what} has only one value ({value}); a model cannot learn from "
                              "that. Choose another data.target.").format(what=what,
                                                                          value=repr(names[0])))
        index = {name: i for i, name in enumerate(names)}
        y = np.array([index[v] for v in texts], dtype=np.int32)
        return y, labels_task(len(names)), names, [note(
            "text_labels", what=what, count=len(names), last=len(names) - 1,
            names=", ".join(names[:5]) + (", ..." if len(names) > 5 else ""))]
    return _numeric_target(np.array([float(v) for v in texts]), what)


def _numeric_target(y: np.ndarray,
                    what: str) -> tuple[np.ndarray, str, list[str] | None, list[str]]:
    values = np.unique(y)
    if len(values) < 2:
        raise DataError(_("{what} has only one value ({value}); a model cannot learn from "
                          "that. Choose another data.target.").format(what=what,
                                                                      value=f"{values[0]:g}"))
    if len(values) > MAX_CLASSES or not np.all(values == np.round(values)):
        return y.astype(np.float32), "regression", None, [
            note("regression_target", what=what, count=f"{len(values):,}")]
    notes = [note("class_numbers", what=what, count=len(values))]
    if np.array_equal(values, np.arange(len(values))):
        return y.astype(np.int32), labels_task(len(values)), None, notes
    # Sparse losses want classes 0..k-1; keep the original labels as class names.
    names = [f"{v:g}" for v in values]
    notes.append(note("labels_encoded", what=what, names=", ".join(names), last=len(names) - 1))
    return np.searchsorted(values, y).astype(np.int32), labels_task(len(values)), names, notes


_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_npz(spec: DataSpec, fit: FitSpec) -> Source:
    """A NumPy ``.npz`` file's x_train/y_train (and x_test/y_test when it has them)."""
    path = existing_path(spec, folder=False)
    arrays = _read_npz(path)
    if ("x_test" in arrays) != ("y_test" in arrays):
        has, lacks = ("x_test", "y_test") if "x_test" in arrays else ("y_test", "x_test")
        raise DataError(_("{path}: has {has} without {lacks}; save both or neither.").format(
            path=path, has=has, lacks=lacks))
    for x_key, y_key in (("x_train", "y_train"), ("x_test", "y_test")):
        if x_key in arrays and len(arrays[x_key]) != len(arrays[y_key]):
            raise DataError(_("{path}: {x_key} has {x_count} samples but {y_key} has {y_count}; "
                              "they must match.").format(
                path=path, x_key=x_key, x_count=f"{len(arrays[x_key]):,}", y_key=y_key,
                y_count=f"{len(arrays[y_key]):,}"))
    n_train = len(arrays["y_train"])
    # Train and test labels together, so both get the same class indices.
    y_all, task, class_names, notes = _npz_target(
        np.concatenate([_as_labels(arrays[k]) for k in ("y_train", "y_test") if k in arrays]),
        f"{path.name} y")
    if arrays["y_train"].ndim == 2 and y_all.ndim == 1 and arrays["y_train"].shape[1] > 1:
        notes.insert(0, note("one_hot_rows", name=path.name))
    x_train, y_train = arrays["x_train"], y_all[:n_train]
    if "x_test" in arrays:
        return Source(x_train, y_train, arrays["x_test"], y_all[n_train:], task, class_names,
                       notes=notes)
    if spec.test_split is None:
        return Source(x_train, y_train, None, None, task, class_names, notes=notes)
    x_train, x_test, y_train, y_test, held = hold_out_test(x_train, y_train, spec.test_split,
                                                            fit.seed, task, str(path))
    return Source(x_train, y_train, x_test, y_test, task, class_names, notes=[*notes, held])


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    save_hint = _("Save it with numpy.savez(path, x_train=..., y_train=..., x_test=..., y_test=...).")
    try:
        archive = np.load(path, allow_pickle=False)  # never unpickle: a pickle can run code
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        # numpy takes any other file for a pickle; its advice to unpickle is not ours to give.
        reason = _("not a numpy archive") if "allow_pickle" in str(exc) else str(exc)
        raise DataError(_("{path}: not a readable .npz file ({reason}). {hint}").format(
            path=path, reason=reason, hint=save_hint)) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(_("{path}: holds a single array, not named arrays. {hint}").format(
            path=path, hint=save_hint))
    with archive:
        missing = [k for k in ("x_train", "y_train") if k not in archive.files]
        if missing:
            found = ", ".join(sorted(archive.files)) or _("none")
            raise DataError(_("{path}: no {keys}; the keys found are {found}. {hint}").format(
                path=path, keys=" or ".join(missing), found=found, hint=save_hint))
        return {k: _npz_array(archive, k, path) for k in _NPZ_KEYS if k in archive.files}


def _npz_array(archive: Any, key: str, path: Path) -> np.ndarray:
    try:
        array = archive[key]
    except ValueError:  # "Object arrays cannot be loaded when allow_pickle=False"
        raise DataError(_("{path}: '{key}' is an object array (e.g. lists of different lengths); "
                          "it must be a numeric array. Pad sequences to one length (keras.utils."
                          "pad_sequences) and save numbers.").format(path=path, key=key)) from None
    labels_may_be_text = key.startswith("y_") and array.dtype.kind in "US"
    if array.dtype.kind not in "biuf" and not labels_may_be_text:
        raise DataError(_("{path}: '{key}' has dtype {dtype}; it must be a numeric array.").format(
            path=path, key=key, dtype=array.dtype))
    return array


def _npz_target(y: np.ndarray, what: str) -> tuple[np.ndarray, str, list[str] | None, list[str]]:
    if y.ndim > 1:  # several numbers per sample that are not one-hot classes
        return y.astype(np.float32), "regression", None, []
    if y.dtype.kind in "US":
        return _encode_target(y, what)
    return _numeric_target(y, what)


def _as_labels(y: np.ndarray) -> np.ndarray:
    """(n,) labels from (n,), (n, 1) or one-hot (n, k) arrays."""
    if y.ndim == 2 and y.shape[1] == 1:
        return y.reshape(-1)
    one_hot = (y.ndim == 2 and y.dtype.kind in "biuf" and bool(np.isin(y, (0, 1)).all())
               and bool((y.sum(axis=1) == 1).all()))
    return y.argmax(axis=1) if one_hot else y

