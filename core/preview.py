"""What a loaded data set looks like: per split its size and class balance, then a few samples.

Built from the ``LoadedData`` already in memory (never loading the set again): images as small
RGB arrays, word indices decoded back to words, table rows with their column names and a
per-feature summary. Image and text *folders* hold ``tf.data`` pipelines that would read every
file to count or show them, so their preview lists the class folders and reads only the few
files it shows. ``core/preview_draw.py`` draws a ``DataPreview`` as text or half-block pictures.

NumPy only at import; TensorFlow (to decode folder images) loads inside the function that needs it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnbench.core.data.arrays import LoadedData
from nnbench.core.data.readable import cached_word_index, decode_sequence, feature_names
from nnbench.core.events import DataInfo
from nnbench.core.i18n import _
from nnbench.core.preset import DataSpec

MAX_PICTURES = 64
"""Pictures in a grid at most: enough to see the classes, bounded in drawing time."""
MAX_TEXTS = 6
MAX_ROWS = 6
PICTURE_SIDE = 16
"""Pixels across a drawn picture at most (half-blocks: 16 columns, 8 lines)."""
IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
"""The files Keras's image_dataset_from_directory reads."""
"""keras.datasets.imdb/reuters.load_data's defaults: 0 pads, 1 starts, 2 is out of vocabulary,
and a word of rank r in the word index is stored as r + 3."""


@dataclass(frozen=True)
class SplitSummary:
    name: str
    samples: int
    class_counts: list[int] | None = None
    """Samples per class, in class order; None for regression or when unknown."""
    target: tuple[float, float, float] | None = None
    """Regression: (min, mean, max) of the target."""


@dataclass(frozen=True)
class Picture:
    pixels: np.ndarray
    """(height, width, 3) uint8, already scaled down to at most PICTURE_SIDE across."""
    label: str


@dataclass(frozen=True)
class Feature:
    name: str
    min: float
    mean: float
    max: float
    missing: int


@dataclass
class DataPreview:
    info: DataInfo
    kind: str
    """"images", "text" or "table": how the samples are drawn."""
    splits: list[SplitSummary]
    class_names: list[str] | None
    pictures: list[Picture] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)
    """(label, text) pairs, the text as the model's words (or the file's text for a folder)."""
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[str, list[float]]] = field(default_factory=list)
    """(label, feature values) of the first training rows, as the model sees them (scaled)."""
    features: list[Feature] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the preview could not show, and why."""


def build_preview(loaded: LoadedData, spec: DataSpec) -> DataPreview:
    """The preview of ``loaded`` (the data ``spec`` loaded): bounded, whatever its size."""
    info = loaded.info
    names = list(info.class_names) if info.class_names else (
        [str(k) for k in range(info.num_classes)] if info.num_classes else None)
    if spec.scheme in ("images", "text"):
        return _folder_preview(loaded, spec, names)
    splits = [_split(name, y, names, loaded.task) for name, y in (
        ("train", loaded.y_train), ("validation", loaded.y_val), ("test", loaded.y_test))
        if y is not None]
    x, y = loaded.x_train, loaded.y_train
    assert x is not None and y is not None
    preview = DataPreview(info, _kind(x, spec), splits, names)
    if preview.kind == "images":
        preview.pictures = _pictures(_as_images(x, spec), y, names)
        if spec.scaling == "standardize":
            preview.notes.append(_("the pictures are drawn as the model sees them: standardized "
                                   "pixel by pixel, so their background is not flat "
                                   "(data.scaling = \"divide255\" keeps pictures as they are)"))
    elif preview.kind == "text":
        preview.texts = _texts(x, y, names, spec, preview.notes)
    else:
        preview.columns = _columns(spec, x.shape[1])
        preview.rows = [(_label(y[i], names), [float(v) for v in x[i]])
                        for i in range(min(MAX_ROWS, len(x)))]
        preview.features = _features(x, preview.columns)
    return preview


def _kind(x: np.ndarray, spec: DataSpec) -> str:
    if x.dtype.kind in "iu" and x.ndim == 2:
        return "text"  # word indices: only sequences come back as integers
    if spec.source == "sklearn:digits" or x.ndim == 3 or (x.ndim == 4 and x.shape[-1] in (1, 3, 4)):
        return "images"
    return "table"


def _as_images(x: np.ndarray, spec: DataSpec) -> np.ndarray:
    """(n, h, w, c): sklearn's digits come flat, as 64 features of an 8x8 picture."""
    if spec.source == "sklearn:digits":
        return x.reshape(len(x), 8, 8, 1)
    return x[..., None] if x.ndim == 3 else x


def _label(value: Any, names: list[str] | None) -> str:
    if names is None:
        return f"{float(value):.4g}"
    k = int(value)
    return names[k] if 0 <= k < len(names) else str(k)


def _split(name: str, y: np.ndarray, names: list[str] | None, task: str) -> SplitSummary:
    if task == "regression" or names is None:
        values = y[np.isfinite(y)] if y.dtype.kind == "f" else y
        target = ((float(values.min()), float(values.mean()), float(values.max()))
                  if len(values) else None)
        return SplitSummary(name, len(y), None, target)
    counts = np.bincount(y.astype(np.int64).clip(0), minlength=len(names))[:len(names)]
    return SplitSummary(name, len(y), [int(c) for c in counts])


def _spread(y: np.ndarray, count: int) -> list[int]:
    """Up to ``count`` sample indices, taking each class in turn so every class shows."""
    if y.dtype.kind == "f":
        return list(range(min(count, len(y))))
    by_class = [np.flatnonzero(y == k)[:count] for k in np.unique(y)]
    order: list[int] = []
    for rank in range(count):
        order.extend(int(ix[rank]) for ix in by_class if rank < len(ix))
        if len(order) >= count:
            break
    return order[:count]


def _pictures(images: np.ndarray, y: np.ndarray, names: list[str] | None) -> list[Picture]:
    chosen = _spread(y, MAX_PICTURES)
    shown = images[chosen].astype(np.float32)
    # One brightness scale for every picture shown, so 0..1, 0..255 and standardized all draw;
    # percentiles, because standardizing each pixel makes a few rare ones huge.
    finite = shown[np.isfinite(shown)]
    low, high = ((float(np.percentile(finite, 1)), float(np.percentile(finite, 99)))
                 if finite.size else (0.0, 1.0))
    return [Picture(to_rgb(shrink(img), low, high), _label(y[i], names))
            for img, i in zip(shown, chosen, strict=True)]


def shrink(image: np.ndarray, side: int = PICTURE_SIDE) -> np.ndarray:
    """``image`` (h, w, c) averaged down by a whole factor until it is at most ``side`` across."""
    factor = max(1, math.ceil(max(image.shape[0], image.shape[1]) / side))
    if factor == 1:
        return image
    h, w = image.shape[0] // factor * factor, image.shape[1] // factor * factor
    blocks = image[:h, :w].reshape(h // factor, factor, w // factor, factor, image.shape[2])
    return blocks.mean(axis=(1, 3))


def to_rgb(image: np.ndarray, low: float, high: float) -> np.ndarray:
    """(h, w, c) values between ``low`` and ``high`` -> (h, w, 3) uint8 (grey, RGB, RGBA)."""
    scaled = (np.nan_to_num(image, nan=low) - low) / (high - low or 1.0)
    # 32 levels a channel: no terminal shows more in a 16-pixel picture, and fewer colours
    # mean fewer styles to build when drawing.
    pixels = (scaled.clip(0.0, 1.0) * 255.0 + 0.5).astype(np.uint8) & np.uint8(0xF8)
    if pixels.shape[2] == 1:
        return np.repeat(pixels, 3, axis=2)
    return pixels[:, :, :3]


# --- text ----------------------------------------------------------------------------------------

def _texts(x: np.ndarray, y: np.ndarray, names: list[str] | None, spec: DataSpec,
           notes: list[str]) -> list[tuple[str, str]]:
    chosen = _spread(y, MAX_TEXTS)
    index = cached_word_index(spec.target_name) if spec.scheme == "keras" else None
    if index is None:
        notes.append(_("{source}: the word index ({name}_word_index.json) is not in the Keras "
                       "cache, so samples show as word indices; keras.datasets.{name}."
                       "get_word_index() downloads it once").format(source=spec.source,
                                                                   name=spec.target_name))
        return [(_label(y[i], names), " ".join(str(int(v)) for v in x[i] if v)) for i in chosen]
    return [(_label(y[i], names), decode_sequence(x[i], index)) for i in chosen]


# --- tables --------------------------------------------------------------------------------------

def _columns(spec: DataSpec, count: int) -> list[str]:
    """Feature names (core/data/readable.py), else x0, x1, ..."""
    return feature_names(spec.source, spec.target, count) or [f"x{k}" for k in range(count)]


def _features(x: np.ndarray, columns: list[str]) -> list[Feature]:
    flat = x.reshape(len(x), -1).astype(np.float64)
    missing = (~np.isfinite(flat)).sum(axis=0)
    with np.errstate(all="ignore"):
        low, mean, high = (np.nanmin(flat, axis=0), np.nanmean(flat, axis=0),
                           np.nanmax(flat, axis=0))
    return [Feature(name, float(low[k]), float(mean[k]), float(high[k]), int(missing[k]))
            for k, name in enumerate(columns)]


# --- folders -------------------------------------------------------------------------------------

def _folder_preview(loaded: LoadedData, spec: DataSpec,
                    names: list[str] | None) -> DataPreview:
    info = loaded.info
    root = Path(spec.target_name).expanduser()
    split = (root / "train").is_dir() and (root / "test").is_dir()
    train_dir = root / "train" if split else root
    names = names or []
    suffixes = IMAGE_SUFFIXES if spec.scheme == "images" else (".txt",)
    files = {name: _files(train_dir / name, suffixes) for name in names}
    counts = [len(files[name]) for name in names]
    splits = [SplitSummary("train + validation" if info.val_samples else "train",
                           info.train_samples + info.val_samples, counts)]
    if split:
        splits.append(SplitSummary("test", info.test_samples,
                                   [len(_files(root / "test" / n, suffixes)) for n in names]))
    preview = DataPreview(info, spec.scheme, splits, names)
    if info.val_samples:
        preview.notes.append(_("class counts are the files in each class folder: Keras picks the "
                               "validation files from them at random"))
    picked = _round_robin(files, MAX_PICTURES if spec.scheme == "images" else MAX_TEXTS)
    if spec.scheme == "images":
        preview.pictures = _folder_pictures(picked, spec, preview.notes)
    else:
        preview.texts = [(label, _read_text(path)) for label, path in picked]
    return preview


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    try:
        return sorted(p for p in folder.rglob("*") if p.suffix.lower() in suffixes and p.is_file())
    except OSError:
        return []


def _round_robin(files: dict[str, list[Path]], count: int) -> list[tuple[str, Path]]:
    picked: list[tuple[str, Path]] = []
    for rank in range(count):
        picked.extend((name, paths[rank]) for name, paths in files.items() if rank < len(paths))
        if len(picked) >= count:
            break
    return picked[:count]


def _read_text(path: Path, limit: int = 2000) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            return f.read(limit)
    except OSError as exc:
        return f"(cannot read {path.name}: {exc.strerror or exc})"


def _folder_pictures(picked: list[tuple[str, Path]], spec: DataSpec,
                     notes: list[str]) -> list[Picture]:
    import tensorflow as tf

    channels = {"grayscale": 1, "rgba": 4}.get(spec.color_mode or "rgb", 3)
    pictures = []
    for label, path in picked:
        try:
            image = tf.io.decode_image(tf.io.read_file(str(path)), channels=channels,
                                       expand_animations=False)
            image = tf.image.resize(image, (PICTURE_SIDE, PICTURE_SIDE), antialias=True)
        except (tf.errors.OpError, ValueError) as exc:
            notes.append(_("{path}: not a readable image ({reason})").format(
                path=path, reason=" ".join(str(exc).split())[:120]))
            continue
        pictures.append(Picture(to_rgb(image.numpy(), 0.0, 255.0), label))
    return pictures
