"""``keras:NAME``: Keras's own data sets, read through its download cache so they work offline
once the files are there, and with a message that says where to put them when they are not."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nnbench.core.data.arrays import DEFAULT_SEQUENCE_LENGTH, Source
from nnbench.core.data.notes import note
from nnbench.core.data.sklearn_sets import OFFLINE_PRESETS
from nnbench.core.errors import DataError
from nnbench.core.i18n import N_, _
from nnbench.core.keras_env import import_keras
from nnbench.core.preset import DataSpec, FitSpec

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                   "truck")
DIGIT_CLASSES = tuple(str(d) for d in range(10))
IMDB_CLASSES = ("negative", "positive")

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
    """How to get the files on a machine with internet, when not simply from _KERAS_ORIGIN (marked
    ``N_``, said with ``_`` in the message)."""
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
                         download=N_("download cifar-10-python.tar.gz from "
                                     "https://www.cs.toronto.edu/~kriz/, rename it to "
                                     "cifar-10-batches-py-target_archive")),
    "imdb": _KerasSet(("imdb.npz",), task="binary", class_names=IMDB_CLASSES, sequences=True),
    "reuters": _KerasSet(("reuters.npz",), sequences=True),
    "boston_housing": _KerasSet(("boston_housing.npz",), task="regression"),
    "california_housing": _KerasSet(("california_housing.npz",), task="regression"),
}


def load_keras(spec: DataSpec, fit: FitSpec) -> Source:
    """A ``keras.datasets`` set, from Keras's cache or downloaded once (``keras:`` sources)."""
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
    return Source(np.asarray(x_train), y_train, np.asarray(x_test), y_test, keras_set.task,
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
        # Keras's "Downloading data from …" and its download bar go to stderr: stdout is the
        # run's own lines (`nnbench train > log`), and in the app stderr is the Log view.
        with contextlib.redirect_stdout(sys.stderr):
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
        notes.append(note("num_words_unset", top=f"{vocabulary - 1:,}", dim=f"{vocabulary:,}"))
    notes.append(note("sequences_padded", maxlen=maxlen))
    # padding="post" as in the TensorFlow tutorial; truncation keeps Keras's default ("pre").
    return (pad_sequences(x_train, maxlen=maxlen, padding="post"),
            pad_sequences(x_test, maxlen=maxlen, padding="post"))


def keras_cache_dir() -> Path:
    """The folder keras's get_file downloads into: $KERAS_HOME or ~/.keras, else /tmp/.keras."""
    # Keras reads KERAS_HOME once, at import; ask it rather than re-reading the environment.
    from nnbench.core.keras_private import keras_home

    home = os.path.expanduser(keras_home())
    if not os.access(home, os.W_OK):  # get_file falls back the same way
        home = os.path.join("/tmp", ".keras")
    return Path(home)


def _keras_failure_message(name: str, exc: Exception) -> str:
    keras_set = KERAS_SETS[name]
    folder = keras_cache_dir() / keras_set.folder
    reason = " ".join(str(exc).split())[:200] or type(exc).__name__
    files = ", ".join(keras_set.files)
    offline = _("Or use a bundled preset that works offline: {presets}.").format(
        presets=", ".join(OFFLINE_PRESETS))
    if all((folder / f).is_file() for f in keras_set.files):
        return _("keras:{name}: the files in {folder} could not be read ({reason}); they may be "
                 "incomplete. Delete them and put fresh copies of {files} there. {offline}").format(
            name=name, folder=f"{folder}{os.sep}", reason=reason, files=files, offline=offline)
    download = (_(keras_set.download) if keras_set.download else
                _("download {files} from {origin}").format(files=files, origin=_KERAS_ORIGIN))
    put = (_("keras:{name} could not be downloaded ({reason}); this machine may be offline. On a "
             "machine with internet, {download}, and put it into {folder}.")
           if len(keras_set.files) == 1 else
           _("keras:{name} could not be downloaded ({reason}); this machine may be offline. On a "
             "machine with internet, {download}, and put them into {folder}."))
    original = (" " + _("Keras checks the file's hash, so it must be the original file.")
                if keras_set.hash_checked else "")
    return (put.format(name=name, reason=reason, download=download, folder=f"{folder}{os.sep}")
            + original + " " + offline)

