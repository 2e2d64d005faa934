"""``images:DIR`` and ``text:DIR``: one sub-folder per class, read by Keras's
``image_dataset_from_directory`` / ``text_dataset_from_directory`` into batched ``tf.data``
datasets."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnbench.core.data.arrays import DEFAULT_SEQUENCE_LENGTH, LoadedData, existing_path, labels_task
from nnbench.core.data.notes import note
from nnbench.core.errors import DataError
from nnbench.core.events import DataInfo
from nnbench.core.i18n import _
from nnbench.core.keras_env import import_keras
from nnbench.core.preset import DataSpec, FitSpec

DEFAULT_VOCABULARY = 10_000
DEFAULT_IMAGE_SIZE = (64, 64)


@dataclass
class _Folders:
    train: Any
    val: Any
    test: Any
    class_names: list[str]
    counts: list[int]
    notes: list[str]


def load_folder(spec: DataSpec, fit: FitSpec) -> LoadedData:
    """An image or text folder (one subfolder per class) as tf.data pipelines, through Keras's own loaders."""
    root = existing_path(spec, folder=True)
    if fit.validation_first is not None:
        raise DataError(_("{source}: fit.validation_first works only for array sources; for a "
                          "folder use fit.validation_split (e.g. 0.2) and Keras splits the files.")
                        .format(source=spec.source))
    split = (root / "train").is_dir() and (root / "test").is_dir()
    train_dir, test_dir = (root / "train", root / "test") if split else (root, None)
    if fit.validation_data == "test" and test_dir is None:
        raise DataError(_('fit.validation_data = "test" but {root} has no train/ and test/ '
                          'sub-folders; add them, or use fit.validation_split instead.').format(
            root=root))
    if spec.scheme == "images":
        folders, input_shape = _image_folders(train_dir, test_dir, spec, fit)
    else:
        folders, input_shape = _text_folders(train_dir, test_dir, spec, fit)
    if fit.validation_data == "test":
        folders.val, folders.counts[1] = folders.test, folders.counts[2]
        folders.notes.append(note("validating_on_test", count=f"{folders.counts[2]:,}"))
    info = DataInfo(source=spec.source, train_samples=folders.counts[0],
                    val_samples=folders.counts[1], test_samples=folders.counts[2],
                    input_shape=input_shape, num_classes=len(folders.class_names),
                    class_names=folders.class_names, notes=folders.notes)
    return LoadedData(train_ds=folders.train, val_ds=folders.val, test_ds=folders.test, info=info,
                      task=labels_task(len(folders.class_names)))


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
            notes.append(note("keras_validation_files", percent=f"{fit.validation_split:.0%}",
                              folder=train_dir, seed=seed))
        else:
            train, val = read(train_dir, shuffle=True, seed=seed, **common), None
        names = list(train.class_names)
        test = None
        if test_dir is not None:
            test = read(test_dir, class_names=names, shuffle=False, **common)
            notes.append(note("test_folder", folder=test_dir))
    except ValueError as exc:  # no files, no class folders, class folders that differ, ...
        raise DataError(_("{folder}: {reason}. Put one sub-folder per class inside it.").format(
            folder=train_dir, reason=str(exc).rstrip("."))) from None
    if len(names) < 2:
        raise DataError(_("{folder}: found {count} class folder(s); a classifier needs at least "
                          "two sub-folders, one per class.").format(folder=train_dir,
                                                                    count=len(names)))
    return train, val, test, names, notes


def _first_batches(train: Any, count: int, spec: DataSpec, fit: FitSpec,
                   notes: list[str]) -> tuple[Any, int]:
    """data.max_samples for a folder: the first N training samples, the same N every epoch."""
    if spec.max_samples is None or spec.max_samples >= count:
        return train, count
    n = spec.max_samples
    notes.append(note("some_samples", used=f"{n:,}", total=f"{count:,}"))
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
        notes.append(note("divided_pixels"))
        return lambda x, y: (x / 255.0, y)
    if scaling == "standardize":
        keras = import_keras()
        # Per colour channel, from the training images only.
        normalize = keras.layers.Normalization(axis=-1)
        normalize.adapt(train.map(lambda x, y: x))
        notes.append(note("standardized_channels"))
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
    notes.append(note("text_vectorized", maxlen=maxlen, words=f"{vectorize.vocabulary_size():,}"))
    if spec.scaling != "none":
        notes.append(note("words_not_scaled", scaling=spec.scaling))

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
