"""Which samples an evaluation keeps to show, and how each reads to a person.

Bounded: an evaluation keeps the samples of the mistakes a filter can show (the ``SHOWN`` most
confident of all mistakes, of each true class, of each predicted class, and a share of every
(true, predicted) pair), or of the largest residuals, never the whole split. Array samples are
copied out of the split already in memory, as they are in the data file (before scaling); folder
samples are read from their files, only the kept ones (Keras lists a folder's files without
reading them; a text folder's texts stream past once). A file that cannot be read or decoded
becomes an ``Example`` that says so.

NumPy at import; TensorFlow (to list and decode folder files) inside the functions that need it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from nnbench.core.data.readable import INDEX_FROM, cached_word_index, decode_sequence, feature_names
from nnbench.core.evaluate_types import SHOWN, Example
from nnbench.core.i18n import _

CELL_BUDGET = 1024
"""Samples kept at most for the (true, predicted) pairs together: with many classes each pair
keeps fewer than ``SHOWN``."""
TEXT_LIMIT = 2000
"""Characters read of a text file at most: a preview, not the whole review."""


def mistakes_to_keep(y_true: np.ndarray, y_pred: np.ndarray, confidence: np.ndarray,
                     per_filter: int = SHOWN, cell_budget: int = CELL_BUDGET) -> list[int]:
    """The mistakes whose samples an evaluation keeps: for every filter (none, a true class, a
    predicted class) its ``per_filter`` most confident, and for every (true, predicted) pair its
    share of ``cell_budget`` (at most ``per_filter``)."""
    wrong = np.flatnonzero(y_true != y_pred)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")]
    pairs = list(zip(y_true[order].tolist(), y_pred[order].tolist(), strict=True))
    per_cell = min(per_filter, max(1, cell_budget // max(len(set(pairs)), 1)))
    by_true: Counter[int] = Counter()
    by_pred: Counter[int] = Counter()
    by_cell: Counter[tuple[int, int]] = Counter()
    kept = []
    for rank, (i, (t, p)) in enumerate(zip(order.tolist(), pairs, strict=True)):
        if (rank < per_filter or by_true[t] < per_filter or by_pred[p] < per_filter
                or by_cell[t, p] < per_cell):
            kept.append(i)
        by_true[t] += 1
        by_pred[p] += 1
        by_cell[t, p] += 1
    return kept


class ArraySamples:
    """Samples of an array split: ``raw`` is the split as in the data file (unscaled)."""

    def __init__(self, raw: np.ndarray, spec: Any) -> None:
        self.raw = raw
        self.spec = spec
        self.kind: Literal["image", "words", "row"]
        if raw.dtype.kind in "iu":
            self.kind = "words"  # word indices: only sequences come back as integers
        elif raw.ndim >= 3 or spec.source == "sklearn:digits":
            self.kind = "image"  # sklearn's digits come flat, as 64 features of an 8x8 picture
        else:
            self.kind = "row"

    def examples(self, indices: Iterable[int]) -> dict[int, Example]:
        chosen = sorted(set(int(i) for i in indices))
        if not chosen:
            return {}
        if self.kind == "image":
            return {i: Example("image", pixels=self._picture(i)) for i in chosen}
        if self.kind == "words":
            return self._words(chosen)
        width = int(np.prod(self.raw.shape[1:]))
        names = feature_names(self.spec.source, self.spec.target, width)
        kind: Literal["row", "values"] = "row" if names else "values"
        names = names or [f"x{k}" for k in range(width)]
        out = {}
        for i in chosen:
            flat = np.asarray(self.raw[i]).reshape(-1)
            # float32 -> its shortest decimal (5.8, not 5.800000190734863), as in the data file
            values = [float(str(v)) if isinstance(v, np.floating) else float(v) for v in flat]
            out[i] = Example(kind, row=tuple(zip(names, values, strict=True)))
        return out

    def _picture(self, i: int) -> np.ndarray:
        sample = np.array(self.raw[i], dtype=np.float32)  # a copy: the split itself is not kept
        return sample.reshape(8, 8) if self.spec.source == "sklearn:digits" else sample

    def _words(self, chosen: list[int]) -> dict[int, Example]:
        spec = self.spec
        index = cached_word_index(spec.target_name) if spec.scheme == "keras" else None
        if index is None:
            return {i: Example("sequence", text=" ".join(str(int(v)) for v in self.raw[i] if v))
                    for i in chosen}
        # Only the words these samples use: decoding then builds a small reverse index.
        used = set(np.unique(self.raw[chosen]).tolist())
        needed = {word: rank for word, rank in index.items() if rank + INDEX_FROM in used}
        return {i: Example("text", text=decode_sequence(self.raw[i], needed)) for i in chosen}


class FolderSamples:
    """Samples of an image or text folder's split, read again only for the indices asked for.

    Images: Keras lists a folder's files (``file_paths``) without reading them, in the order its
    dataset yields them, so only the kept files are decoded. Text: Keras's text datasets keep no
    file paths, so the split's texts stream past once and only the kept ones stay (bounded
    memory; the files are read, not held).
    """

    def __init__(self, preset: Any, split: str, class_names: list[str], samples: int) -> None:
        self.preset = preset
        self.split = split
        self.class_names = class_names
        self.samples = samples

    def examples(self, indices: Iterable[int]) -> dict[int, Example]:
        wanted = sorted(set(int(i) for i in indices))
        if not wanted:
            return {}
        spec = self.preset.data
        try:
            ds = self._listing()
        except (ValueError, TypeError) as exc:
            unlisted = _("sample {index}: the folder's files cannot be listed again ({reason})")
            reason = " ".join(str(exc).split())[:120]
            return {i: Example("none", text=unlisted.format(index=i, reason=reason)) for i in wanted}
        if spec.scheme == "images":
            paths = [str(p) for p in ds.file_paths]
            if len(paths) != self.samples:
                changed = _("sample {index}: the folder now holds {files} files, not {samples}")
                return {i: Example("none", text=changed.format(
                    index=i, files=f"{len(paths):,}", samples=f"{self.samples:,}")) for i in wanted}
            return {i: read_image(paths[i], spec) for i in wanted}
        return _stream_texts(ds, set(wanted))

    def _listing(self) -> Any:
        """Keras's dataset of the evaluated split, as the loader made it (nothing read yet)."""
        from nnbench.core.data.folders import DEFAULT_IMAGE_SIZE
        from nnbench.core.keras_env import import_keras

        keras = import_keras()
        spec, fit = self.preset.data, self.preset.fit
        root = Path(spec.target_name).expanduser()
        has_split = (root / "train").is_dir() and (root / "test").is_dir()
        train_dir, test_dir = (root / "train", root / "test") if has_split else (root, None)
        if spec.scheme == "images":
            read = keras.utils.image_dataset_from_directory
            options: dict[str, Any] = {"image_size": tuple(spec.image_size or DEFAULT_IMAGE_SIZE),
                                       "color_mode": spec.color_mode or "rgb"}
        else:
            read = keras.utils.text_dataset_from_directory
            options = {}
        common = {"batch_size": fit.batch_size, "verbose": False, **options}
        if self.split == "test" or fit.validation_data == "test":
            return read(test_dir, class_names=self.class_names, shuffle=False, **common)
        return read(train_dir, validation_split=fit.validation_split, subset="both", shuffle=True,
                    seed=fit.seed or 0, **common)[1]


def _stream_texts(ds: Any, wanted: set[int]) -> dict[int, Example]:
    import tensorflow as tf

    out: dict[int, Example] = {}
    at = 0
    try:
        for texts, _labels in ds:
            for text in texts.numpy():
                if at in wanted:
                    out[at] = Example("text", text=bytes(text)[:TEXT_LIMIT * 4].decode(
                        "utf-8", errors="replace")[:TEXT_LIMIT])
                at += 1
            if len(out) == len(wanted):
                break
    except tf.errors.OpError as exc:
        reason = " ".join(str(exc.message).split())[:120]
        unreadable = _("sample {index}: cannot be read ({reason})")
        return out | {i: Example("none", text=unreadable.format(index=i, reason=reason))
                      for i in wanted - out.keys()}
    gone = _("sample {index}: not in the folder any more")
    return out | {i: Example("none", text=gone.format(index=i)) for i in wanted - out.keys()}


def read_image(path: str, spec: Any) -> Example:
    """The image as the model saw it (resized to ``data.image_size``), pixel values as on disk."""
    import tensorflow as tf

    from nnbench.core.data.folders import DEFAULT_IMAGE_SIZE

    channels = {"grayscale": 1, "rgba": 4}.get(spec.color_mode or "rgb", 3)
    size = tuple(spec.image_size or DEFAULT_IMAGE_SIZE)
    try:
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels,
                                   expand_animations=False)
        pixels = tf.image.resize(image, size).numpy()
    except (tf.errors.OpError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        return Example("none", text=_("{name}: not a readable image ({reason})").format(
            name=Path(path).name, reason=reason), path=path)
    return Example("image", pixels=pixels.astype(np.float32), path=path)
