"""Every data source of a preset, loaded, split and scaled the way Keras examples do it.

``DataSpec.source`` is ``scheme:rest``:

* ``sklearn:digits`` (also breast_cancer, iris, wine, diabetes): bundled with scikit-learn, offline.
* ``keras:fashion_mnist`` (also mnist, cifar10, imdb, reuters, boston_housing, california_housing):
  Keras's own loaders and download cache (``$KERAS_HOME`` or ``~/.keras``).
* ``csv:PATH`` (a header row, numeric features) and ``npz:PATH`` (x_train, y_train, x_test,
  y_test).
* ``images:DIR`` and ``text:DIR``: one sub-folder per class, read by Keras's
  ``image_dataset_from_directory`` / ``text_dataset_from_directory`` into batched ``tf.data``
  datasets.

Array sources come back as NumPy arrays: x float32 (int32 for word-index sequences), y int32 for
classes and float32 for regression. Every failure is a ``DataError`` saying what, where and what to
do. TensorFlow, Keras and scikit-learn are imported inside the functions that need them, so
importing this module stays instant.
"""

from __future__ import annotations

import csv
import math
import os
import socket
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnbench.core.errors import DataError, did_you_mean
from nnbench.core.events import DataInfo
from nnbench.core.keras_env import import_keras
from nnbench.core.preset import DataSpec, FitSpec

OFFLINE_PRESETS = ("digits-mlp", "digits-cnn", "cancer-binary", "diabetes-regression")
"""Bundled presets whose data ships with scikit-learn, so they train without internet."""

DEFAULT_TEST_SPLIT = 0.2
DEFAULT_SEQUENCE_LENGTH = 256
DEFAULT_VOCABULARY = 10_000
DEFAULT_IMAGE_SIZE = (64, 64)
MAX_CLASSES = 20
"""A csv/npz target of whole numbers with at most this many values is read as class labels."""

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                   "truck")
DIGIT_CLASSES = tuple(str(d) for d in range(10))
IMDB_CLASSES = ("negative", "positive")


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


def load_data(spec: DataSpec, fit: FitSpec) -> LoadedData:
    """Load ``spec.source``, hold out validation data as ``fit`` asks, and scale as ``spec`` asks.

    Raises:
        DataError: the source is missing, unreadable or cannot be downloaded, or it cannot be split
            the way ``fit`` asks.
    """
    if spec.scheme in ("images", "text"):
        return _load_folder(spec, fit)
    loaders: dict[str, Callable[[DataSpec, FitSpec], _Source]] = {
        "sklearn": _load_sklearn, "keras": _load_keras, "csv": _load_csv, "npz": _load_npz,
    }
    return _prepare_arrays(loaders[spec.scheme](spec, fit), spec, fit)


# --- array sources: split, scale, describe -------------------------------------------------------


@dataclass
class _Source:
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


def _prepare_arrays(source: _Source, spec: DataSpec, fit: FitSpec) -> LoadedData:
    notes = list(source.notes)
    x, y = _first_samples(source.x_train, source.y_train, spec.max_samples, notes)
    x_train, y_train, x_val, y_val = _hold_out_validation(x, y, source, spec, fit, notes)
    x_train, x_val, x_test = _scale(x_train, x_val, source.x_test, spec.scaling, source.sequences,
                                    notes)
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


def _num_classes(source: _Source) -> int | None:
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
    notes.append(f"using only the first {max_samples:,} of {len(x):,} training samples "
                 "(data.max_samples)")
    return x[:max_samples], y[:max_samples]


def _hold_out_validation(
    x: np.ndarray, y: np.ndarray, source: _Source, spec: DataSpec, fit: FitSpec, notes: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Split validation data off the training samples, the three ways a preset can ask for it."""
    n = len(x)
    if fit.validation_split is not None:
        # The same arithmetic as Keras's fit(validation_split=): the LAST fraction, unshuffled.
        split_at = math.floor(n * (1.0 - fit.validation_split))
        if split_at in (0, n):
            raise DataError(f"fit.validation_split = {fit.validation_split} of {n:,} training "
                            "samples leaves no training or no validation samples; choose a split "
                            "between 0.1 and 0.3, or use more data.")
        notes.append(f"held out the last {n - split_at:,} training samples "
                     f"({fit.validation_split:.0%}) for validation, as Keras's validation_split "
                     "does")
        return x[:split_at], y[:split_at], x[split_at:], y[split_at:]
    if fit.validation_first is not None:
        first = fit.validation_first
        if first >= n:
            raise DataError(f"fit.validation_first = {first:,} but there are only {n:,} training "
                            f"samples; hold out fewer (e.g. {max(1, n // 5):,}) or use "
                            "fit.validation_split instead.")
        notes.append(f"held out the first {first:,} training samples for validation")
        return x[first:], y[first:], x[:first], y[:first]
    if fit.validation_data == "test":
        if source.x_test is None:
            raise DataError(f"fit.validation_data = \"test\" but {spec.source} has no test split; "
                            "set data.test_split (e.g. 0.2) to hold one out, or use "
                            "fit.validation_split instead.")
        notes.append(f"validating on the test split ({len(source.x_test):,} samples)")
        return x, y, source.x_test, source.y_test
    return x, y, None, None


def _scale(
    x_train: np.ndarray, x_val: np.ndarray | None, x_test: np.ndarray | None, scaling: str,
    sequences: bool, notes: list[str]
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    if scaling == "none":
        return x_train, x_val, x_test
    if sequences:
        notes.append(f"scaling = \"{scaling}\" skipped: the inputs are word indices, which an "
                     "Embedding layer looks up, not measurements")
        return x_train, x_val, x_test
    if scaling == "divide255":
        notes.append("divided the inputs by 255, so pixel values lie between 0 and 1")
        return tuple(None if a is None else (a.astype(np.float32) / np.float32(255.0))
                     for a in (x_train, x_val, x_test))  # type: ignore[return-value]
    # Statistics come from the training part only, so validation and test stay unseen data.
    mean = x_train.mean(axis=0, dtype=np.float64)
    std = x_train.std(axis=0, dtype=np.float64)
    std[std == 0] = 1.0  # a constant feature would divide by zero; leave it centred at 0
    notes.append(f"standardized with the training mean/std ({len(x_train):,} samples); "
                 "validation and test use the same statistics")
    return tuple(None if a is None else ((a - mean) / std).astype(np.float32)
                 for a in (x_train, x_val, x_test))  # type: ignore[return-value]


def _samples(n: int) -> str:
    return f"{n:,} sample" if n == 1 else f"{n:,} samples"


def _labels_task(class_count: int) -> str:
    return "binary" if class_count == 2 else "multiclass"


def _hold_out_test(x: np.ndarray, y: np.ndarray, fraction: float, seed: int | None, task: str,
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
        how = ", stratified by class" if stratify is not None else ""
        note = (f"held out {_samples(len(x_test))} ({fraction:.0%}) as the test split{how}, "
                f"seed {seed or 0}")
        return x_train, x_test, y_train, y_test, note
    raise DataError(f"{where}: cannot hold out data.test_split = {fraction} of {len(x):,} samples "
                    f"({problem}); use more data or a different test_split.")


# --- sklearn -----------------------------------------------------------------------------------


def _load_sklearn(spec: DataSpec, fit: FitSpec) -> _Source:
    from sklearn import datasets

    name = spec.target_name
    bunch = getattr(datasets, f"load_{name}")()
    x = np.asarray(bunch.data, dtype=np.float32)
    if name == "diabetes":
        task, class_names = "regression", None
    else:
        class_names = [str(n) for n in bunch.target_names]
        task = _labels_task(len(class_names))
    fraction = spec.test_split or DEFAULT_TEST_SPLIT
    x_train, x_test, y_train, y_test, note = _hold_out_test(x, bunch.target, fraction, fit.seed,
                                                            task, spec.source)
    return _Source(x_train, y_train, x_test, y_test, task, class_names, notes=[note])


# --- keras.datasets ----------------------------------------------------------------------------

_KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@dataclass(frozen=True)
class _KerasSet:
    """One of keras.datasets: what it holds and where its files go to work offline."""

    files: tuple[str, ...]
    task: str = "multiclass"
    class_names: tuple[str, ...] | None = None
    sequences: bool = False
    folder: str = "datasets"
    """Inside the Keras cache folder, as keras.src.datasets.<name>.load_data passes to get_file."""
    download: str = ""
    """How to get the files on a machine with internet, when not simply from _KERAS_ORIGIN."""
    hash_checked: bool = True
    """Keras compares the file's sha256 with the original, so only the original file works."""


KERAS_SETS: dict[str, _KerasSet] = {
    "mnist": _KerasSet(("mnist.npz",), class_names=DIGIT_CLASSES),
    "fashion_mnist": _KerasSet(
        ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz"),
        class_names=FASHION_MNIST_CLASSES, folder=os.path.join("datasets", "fashion-mnist"),
        hash_checked=False),
    # get_file(fname="cifar-10-batches-py-target", extract=True) keeps the archive under this name.
    "cifar10": _KerasSet(("cifar-10-batches-py-target_archive",), class_names=CIFAR10_CLASSES,
                         download="download cifar-10-python.tar.gz from "
                                  "https://www.cs.toronto.edu/~kriz/, rename it to "
                                  "cifar-10-batches-py-target_archive"),
    "imdb": _KerasSet(("imdb.npz",), task="binary", class_names=IMDB_CLASSES, sequences=True),
    "reuters": _KerasSet(("reuters.npz",), sequences=True),
    "boston_housing": _KerasSet(("boston_housing.npz",), task="regression"),
    "california_housing": _KerasSet(("california_housing.npz",), task="regression"),
}


def _load_keras(spec: DataSpec, fit: FitSpec) -> _Source:
    keras = import_keras()

    name = spec.target_name
    keras_set = KERAS_SETS[name]
    (x_train, y_train), (x_test, y_test) = _call_keras_loader(name, spec)
    # cifar10's labels come as (n, 1); sparse losses and metrics want (n,).
    y_train, y_test = np.asarray(y_train).reshape(-1), np.asarray(y_test).reshape(-1)
    class_names = keras_set.class_names
    if name == "reuters":
        class_names = tuple(keras.datasets.reuters.get_label_names())
    notes: list[str] = []
    if keras_set.sequences:
        x_train, x_test = _pad(x_train, x_test, spec, notes)
    return _Source(np.asarray(x_train), y_train, np.asarray(x_test), y_test, keras_set.task,
                   list(class_names) if class_names else None, keras_set.sequences, notes)


DOWNLOAD_TIMEOUT = 60.0
"""Seconds a Keras data set download may stall before it counts as failed."""


def _call_keras_loader(name: str, spec: DataSpec) -> Any:
    keras = import_keras()

    kwargs: dict[str, Any] = {}
    if name in ("imdb", "reuters"):
        kwargs["num_words"] = spec.num_words
    if name in ("boston_housing", "california_housing") and spec.test_split:
        kwargs["test_split"] = spec.test_split
    previous = socket.getdefaulttimeout()
    # Keras's download has no timeout of its own: a stalled network would hang the run forever.
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
    try:
        return getattr(keras.datasets, name).load_data(**kwargs)
    except Exception as exc:  # offline downloads and unreadable cache files: never a traceback
        raise DataError(_keras_failure_message(name, exc)) from None
    finally:
        socket.setdefaulttimeout(previous)


def _pad(x_train: Any, x_test: Any, spec: DataSpec, notes: list[str]) -> tuple[Any, Any]:
    pad_sequences = import_keras().utils.pad_sequences
    maxlen = spec.maxlen or DEFAULT_SEQUENCE_LENGTH
    if spec.num_words is None:
        vocabulary = 1 + max((max(s) for s in (*x_train, *x_test) if len(s)), default=0)
        notes.append(f"data.num_words is not set: word indices go up to {vocabulary - 1:,}, so "
                     f"an Embedding needs input_dim = {vocabulary:,}")
    notes.append(f"padded/truncated every sequence to {maxlen} words (zeros at the end, as the "
                 "TensorFlow text tutorial does)")
    # padding="post" as in the TensorFlow tutorial; truncation keeps Keras's default ("pre").
    return (pad_sequences(x_train, maxlen=maxlen, padding="post"),
            pad_sequences(x_test, maxlen=maxlen, padding="post"))


def _keras_cache_dir() -> Path:
    """The folder keras's get_file downloads into: $KERAS_HOME or ~/.keras, else /tmp/.keras."""
    try:
        # Keras reads KERAS_HOME once, at import; ask it rather than re-reading the environment.
        from keras.src.backend.config import keras_home

        home = keras_home()
    except (ImportError, AttributeError):
        home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    home = os.path.expanduser(home)
    if not os.access(home, os.W_OK):  # get_file falls back the same way
        home = os.path.join("/tmp", ".keras")
    return Path(home)


def _keras_failure_message(name: str, exc: Exception) -> str:
    keras_set = KERAS_SETS[name]
    folder = _keras_cache_dir() / keras_set.folder
    reason = " ".join(str(exc).split())[:200] or type(exc).__name__
    files = ", ".join(keras_set.files)
    offline = (f"Or use a bundled preset that works offline: {', '.join(OFFLINE_PRESETS)}.")
    if all((folder / f).is_file() for f in keras_set.files):
        return (f"keras:{name}: the files in {folder}{os.sep} could not be read ({reason}); they "
                f"may be incomplete. Delete them and put fresh copies of {files} there. {offline}")
    original = (" Keras checks the file's hash, so it must be the original file."
                if keras_set.hash_checked else "")
    download = keras_set.download or f"download {files} from {_KERAS_ORIGIN}"
    return (f"keras:{name} could not be downloaded ({reason}); this machine may be offline. "
            f"On a machine with internet, {download}, and put "
            f"{'it' if len(keras_set.files) == 1 else 'them'} into {folder}{os.sep}.{original} "
            f"{offline}")


# --- csv and npz files ------------------------------------------------------------------------


def _existing_path(spec: DataSpec, *, folder: bool) -> Path:
    path = Path(spec.target_name).expanduser()
    kind = "folder" if folder else "file"
    if not path.exists():
        raise DataError(f"{spec.source}: there is no {kind} at {path}; check data.source (a "
                        "relative path is relative to the preset file).")
    if folder != path.is_dir():
        raise DataError(f"{spec.source}: {path} is not a {kind}; {spec.scheme}: expects a {kind}.")
    return path


def _load_csv(spec: DataSpec, fit: FitSpec) -> _Source:
    path = _existing_path(spec, folder=False)
    header, lines, rows = _read_csv(path)
    target = spec.target or header[-1]
    if target not in header:
        raise DataError(f"{path}: no column '{target}' (data.target); the columns are "
                        f"{', '.join(header)}." + did_you_mean(target, header))
    t = header.index(target)
    features = [i for i in range(len(header)) if i != t]
    x = _numeric_columns(rows, lines, header, features, path)
    y, task, class_names, notes = _encode_target([row[t] for row in rows], f"column '{target}'")
    if spec.test_split is None:
        notes.append("no test split: set data.test_split (e.g. 0.2) to hold one out")
        return _Source(x, y, None, None, task, class_names, notes=notes)
    x_train, x_test, y_train, y_test, note = _hold_out_test(x, y, spec.test_split, fit.seed, task,
                                                            str(path))
    return _Source(x_train, y_train, x_test, y_test, task, class_names, notes=[*notes, note])


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
                    raise DataError(f"{path}, line {reader.line_num}: {len(row)} values but the "
                                    f"header has {len(header)} columns; fix that row.")
                lines.append(reader.line_num)
                rows.append(row)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read it as a UTF-8 CSV file ({exc}).") from None
    if len(header) < 2:
        raise DataError(f"{path}: found {len(header)} column(s) in the header; a CSV source needs "
                        "a header row with feature columns and a target column, separated by "
                        "commas.")
    if not rows:
        raise DataError(f"{path}: the file has a header but no data rows.")
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
                what = "the value is missing" if not cell else f"{str(cell)!r} is not a number"
                raise DataError(f"{path}, line {lines[r]}, column '{header[columns[c]]}': "
                                f"{what}. Features must be numeric: fill, encode or "
                                "drop that column, or name it as data.target if it is the label.")
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
            raise DataError(f"{what} has only one value ({names[0]!r}); a model cannot learn "
                            "from that. Choose another data.target.")
        index = {name: i for i, name in enumerate(names)}
        y = np.array([index[v] for v in texts], dtype=np.int32)
        return y, _labels_task(len(names)), names, [
            f"{what}: encoded {len(names)} labels as 0..{len(names) - 1} in sorted order "
            f"({', '.join(names[:5])}{', ...' if len(names) > 5 else ''})"]
    return _numeric_target(np.array([float(v) for v in texts]), what)


def _numeric_target(y: np.ndarray,
                    what: str) -> tuple[np.ndarray, str, list[str] | None, list[str]]:
    values = np.unique(y)
    if len(values) < 2:
        raise DataError(f"{what} has only one value ({values[0]:g}); a model cannot learn from "
                        "that. Choose another data.target.")
    if len(values) > MAX_CLASSES or not np.all(values == np.round(values)):
        return y.astype(np.float32), "regression", None, [
            f"{what}: {len(values):,} different numbers, so this is regression"]
    notes = [f"{what}: {len(values)} whole-number values, so they are class labels"]
    if np.array_equal(values, np.arange(len(values))):
        return y.astype(np.int32), _labels_task(len(values)), None, notes
    # Sparse losses want classes 0..k-1; keep the original labels as class names.
    names = [f"{v:g}" for v in values]
    notes.append(f"{what}: labels {', '.join(names)} encoded as 0..{len(names) - 1}")
    return np.searchsorted(values, y).astype(np.int32), _labels_task(len(values)), names, notes


_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _load_npz(spec: DataSpec, fit: FitSpec) -> _Source:
    path = _existing_path(spec, folder=False)
    arrays = _read_npz(path)
    if ("x_test" in arrays) != ("y_test" in arrays):
        raise DataError(f"{path}: has {'x_test' if 'x_test' in arrays else 'y_test'} without "
                        f"{'y_test' if 'x_test' in arrays else 'x_test'}; save both or neither.")
    for x_key, y_key in (("x_train", "y_train"), ("x_test", "y_test")):
        if x_key in arrays and len(arrays[x_key]) != len(arrays[y_key]):
            raise DataError(f"{path}: {x_key} has {len(arrays[x_key]):,} samples but {y_key} has "
                            f"{len(arrays[y_key]):,}; they must match.")
    n_train = len(arrays["y_train"])
    # Train and test labels together, so both get the same class indices.
    y_all, task, class_names, notes = _npz_target(
        np.concatenate([_as_labels(arrays[k]) for k in ("y_train", "y_test") if k in arrays]),
        f"{path.name} y")
    if arrays["y_train"].ndim == 2 and y_all.ndim == 1 and arrays["y_train"].shape[1] > 1:
        notes.insert(0, f"{path.name} y: one-hot rows turned into class indices")
    x_train, y_train = arrays["x_train"], y_all[:n_train]
    if "x_test" in arrays:
        return _Source(x_train, y_train, arrays["x_test"], y_all[n_train:], task, class_names,
                       notes=notes)
    if spec.test_split is None:
        return _Source(x_train, y_train, None, None, task, class_names, notes=notes)
    x_train, x_test, y_train, y_test, note = _hold_out_test(x_train, y_train, spec.test_split,
                                                            fit.seed, task, str(path))
    return _Source(x_train, y_train, x_test, y_test, task, class_names, notes=[*notes, note])


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    save_hint = "Save it with numpy.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)."
    try:
        archive = np.load(path, allow_pickle=False)  # never unpickle: a pickle can run code
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        # numpy takes any other file for a pickle; its advice to unpickle is not ours to give.
        reason = "not a numpy archive" if "allow_pickle" in str(exc) else str(exc)
        raise DataError(f"{path}: not a readable .npz file ({reason}). {save_hint}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{path}: holds a single array, not named arrays. {save_hint}")
    with archive:
        missing = [k for k in ("x_train", "y_train") if k not in archive.files]
        if missing:
            found = ", ".join(sorted(archive.files)) or "none"
            raise DataError(f"{path}: no {' or '.join(missing)}; the keys found are {found}. "
                            f"{save_hint}")
        return {k: _npz_array(archive, k, path) for k in _NPZ_KEYS if k in archive.files}


def _npz_array(archive: Any, key: str, path: Path) -> np.ndarray:
    try:
        array = archive[key]
    except ValueError:  # "Object arrays cannot be loaded when allow_pickle=False"
        raise DataError(f"{path}: '{key}' is an object array (e.g. lists of different lengths); "
                        "it must be a numeric array. Pad sequences to one length (keras.utils."
                        "pad_sequences) and save numbers.") from None
    labels_may_be_text = key.startswith("y_") and array.dtype.kind in "US"
    if array.dtype.kind not in "biuf" and not labels_may_be_text:
        raise DataError(f"{path}: '{key}' has dtype {array.dtype}; it must be a numeric array.")
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


# --- image and text folders -------------------------------------------------------------------


@dataclass
class _Folders:
    train: Any
    val: Any
    test: Any
    class_names: list[str]
    counts: list[int]
    notes: list[str]


def _load_folder(spec: DataSpec, fit: FitSpec) -> LoadedData:
    root = _existing_path(spec, folder=True)
    if fit.validation_first is not None:
        raise DataError(f"{spec.source}: fit.validation_first works only for array sources; for "
                        "a folder use fit.validation_split (e.g. 0.2) and Keras splits the files.")
    split = (root / "train").is_dir() and (root / "test").is_dir()
    train_dir, test_dir = (root / "train", root / "test") if split else (root, None)
    if fit.validation_data == "test" and test_dir is None:
        raise DataError(f"fit.validation_data = \"test\" but {root} has no train/ and test/ "
                        "sub-folders; add them, or use fit.validation_split instead.")
    if spec.scheme == "images":
        folders, input_shape = _image_folders(train_dir, test_dir, spec, fit)
    else:
        folders, input_shape = _text_folders(train_dir, test_dir, spec, fit)
    if fit.validation_data == "test":
        folders.val, folders.counts[1] = folders.test, folders.counts[2]
        folders.notes.append(f"validating on the test split ({folders.counts[2]:,} samples)")
    info = DataInfo(source=spec.source, train_samples=folders.counts[0],
                    val_samples=folders.counts[1], test_samples=folders.counts[2],
                    input_shape=input_shape, num_classes=len(folders.class_names),
                    class_names=folders.class_names, notes=folders.notes)
    return LoadedData(train_ds=folders.train, val_ds=folders.val, test_ds=folders.test, info=info,
                      task=_labels_task(len(folders.class_names)))


def _read_folders(read: Callable[..., Any], train_dir: Path, test_dir: Path | None, fit: FitSpec,
                  **options: Any) -> tuple[Any, Any, Any, list[str], list[str]]:
    """Keras's *_dataset_from_directory on train (and its validation split) and on test."""
    seed = fit.seed or 0
    # shuffle=True even when fit.shuffle is false: Keras picks the validation files from the
    # shuffled file list, and without it the validation split would be the last class only.
    common = {"batch_size": fit.batch_size, "verbose": False, **options}
    notes: list[str] = []
    try:
        if fit.validation_split is not None:
            train, val = read(train_dir, validation_split=fit.validation_split, subset="both",
                              shuffle=True, seed=seed, **common)
            notes.append(f"Keras held out {fit.validation_split:.0%} of the files in {train_dir} "
                         f"for validation (seed {seed})")
        else:
            train, val = read(train_dir, shuffle=True, seed=seed, **common), None
        names = list(train.class_names)
        test = None
        if test_dir is not None:
            test = read(test_dir, class_names=names, shuffle=False, **common)
            notes.append(f"test split from {test_dir}")
    except ValueError as exc:  # no files, no class folders, class folders that differ, ...
        raise DataError(f"{train_dir}: {str(exc).rstrip('.')}. Put one sub-folder per class "
                        "inside it.") from None
    if len(names) < 2:
        raise DataError(f"{train_dir}: found {len(names)} class folder(s); a classifier needs at "
                        "least two sub-folders, one per class.")
    return train, val, test, names, notes


def _first_batches(train: Any, count: int, spec: DataSpec, fit: FitSpec,
                   notes: list[str]) -> tuple[Any, int]:
    """data.max_samples for a folder: the first N training samples, the same N every epoch."""
    if spec.max_samples is None or spec.max_samples >= count:
        return train, count
    n = spec.max_samples
    notes.append(f"using only {n:,} of {count:,} training samples (data.max_samples)")
    import tensorflow as tf

    # cache() pins the first pass's N samples; without it each epoch would take a new shuffle's N.
    first = train.unbatch().take(n).cache().shuffle(n, seed=fit.seed or 0).batch(fit.batch_size)
    # unbatch() forgets the length; restore it so Keras can show steps per epoch.
    steps = math.ceil(n / fit.batch_size)
    return first.apply(tf.data.experimental.assert_cardinality(steps)), n


def _image_folders(train_dir: Path, test_dir: Path | None, spec: DataSpec,
                   fit: FitSpec) -> tuple[_Folders, tuple[int, ...]]:
    keras = import_keras()
    size = tuple(spec.image_size or DEFAULT_IMAGE_SIZE)
    mode = spec.color_mode or "rgb"
    train, val, test, names, notes = _read_folders(
        keras.utils.image_dataset_from_directory, train_dir, test_dir, fit, image_size=size,
        color_mode=mode)
    counts = [0 if ds is None else len(ds.file_paths) for ds in (train, val, test)]
    train, counts[0] = _first_batches(train, counts[0], spec, fit, notes)
    scale = _image_scaling(spec.scaling, train, notes)
    if scale is not None:
        train, val, test = (None if ds is None else ds.map(scale).prefetch(-1)  # -1: AUTOTUNE
                            for ds in (train, val, test))
    channels = {"rgb": 3, "grayscale": 1, "rgba": 4}[mode]
    return _Folders(train, val, test, names, counts, notes), (*size, channels)


def _image_scaling(scaling: str, train: Any, notes: list[str]) -> Callable[..., Any] | None:
    if scaling == "divide255":
        notes.append("divided pixel values by 255, so they lie between 0 and 1")
        return lambda x, y: (x / 255.0, y)
    if scaling == "standardize":
        keras = import_keras()
        # Per colour channel, from the training images only.
        normalize = keras.layers.Normalization(axis=-1)
        normalize.adapt(train.map(lambda x, y: x))
        notes.append("standardized each colour channel with the training images' mean/std")
        return lambda x, y: (normalize(x), y)
    return None


def _text_folders(train_dir: Path, test_dir: Path | None, spec: DataSpec,
                  fit: FitSpec) -> tuple[_Folders, tuple[int, ...]]:
    keras = import_keras()
    import tensorflow as tf

    train, val, test, names, notes = _read_folders(
        keras.utils.text_dataset_from_directory, train_dir, test_dir, fit)
    counts = [_count_samples(ds) for ds in (train, val, test)]
    train, counts[0] = _first_batches(train, counts[0], spec, fit, notes)
    maxlen = spec.maxlen or DEFAULT_SEQUENCE_LENGTH
    vectorize = keras.layers.TextVectorization(max_tokens=spec.num_words or DEFAULT_VOCABULARY,
                                               output_sequence_length=maxlen)
    # The vocabulary comes from the training text only: validation and test words stay unseen.
    vectorize.adapt(train.map(lambda text, label: text))
    notes.append(f"turned text into {maxlen} word indices per sample with a vocabulary of "
                 f"{vectorize.vocabulary_size():,} words learnt from the training text")
    if spec.scaling != "none":
        notes.append(f"scaling = \"{spec.scaling}\" skipped: the inputs are word indices")

    def to_indices(text: Any, label: Any) -> tuple[Any, Any]:
        return tf.cast(vectorize(text), tf.int32), label

    train, val, test = (None if ds is None else ds.map(to_indices).prefetch(tf.data.AUTOTUNE)
                        for ds in (train, val, test))
    return _Folders(train, val, test, names, counts, notes), (maxlen,)


def _count_samples(ds: Any) -> int:
    if ds is None:
        return 0
    import tensorflow as tf

    return int(ds.map(lambda x, y: tf.shape(y)[0]).reduce(0, lambda total, n: total + n))
