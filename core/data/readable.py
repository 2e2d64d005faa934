"""How a sample reads to a person: the words of an encoded text, the names of a table's columns.

One home for both, used by the data preview (core/preview.py) and the evaluation's examples
(core/evaluate.py). Neither ever downloads: a preview or a report must not wait on a network.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

INDEX_FROM = 3
"""keras.datasets.imdb/reuters shift every word's rank by 3: 0 = padding, 1 = start, 2 = a word
outside ``num_words``."""
_MARKS = {0: "", 1: "[START]", 2: "[OOV]"}


def decode_sequence(sequence: Iterable[Any], word_index: dict[str, int],
                    index_from: int = INDEX_FROM) -> str:
    """Word indices as Keras's imdb/reuters loaders give them -> the words, with Keras's
    ``[START]``/``[OOV]`` marks; padding disappears. ``word_index`` is the loader's own
    ``get_word_index()`` (word -> rank)."""
    words = {rank + index_from: word for word, rank in word_index.items()}
    out = []
    for value in sequence:
        k = int(value)
        out.append(_MARKS[k] if k in _MARKS else words.get(k, "[OOV]"))
    return " ".join(w for w in out if w)


def cached_word_index(name: str) -> dict[str, int] | None:
    """Keras's word index of imdb or reuters if it is in the download cache, else None."""
    if name not in ("imdb", "reuters"):
        return None
    from nnbench.core.data.keras_sets import keras_cache_dir

    path = keras_cache_dir() / "datasets" / f"{name}_word_index.json"
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(loaded, dict):
        return None
    return {str(w): int(i) for w, i in loaded.items() if isinstance(i, int)}


def feature_names(source: str, target: str | None, features: int) -> list[str] | None:
    """Column names of a tabular source (sklearn's feature names, a CSV header without the
    target), or None when the source has none or they don't match the ``features`` count."""
    scheme, _, rest = source.partition(":")
    names: list[str] | None = None
    try:
        if scheme == "sklearn":
            from sklearn import datasets

            # Bundled and small: the names are only in the Bunch, which reads the set once more.
            bunch = getattr(datasets, f"load_{rest}")()
            names = [str(n) for n in getattr(bunch, "feature_names", [])]
        elif scheme == "csv":
            with Path(rest).expanduser().open(newline="", encoding="utf-8-sig") as handle:
                header = [h.strip() for h in next(csv.reader(handle), [])]
            target = target or (header[-1] if header else None)
            names = [h for h in header if h != target]
    except (OSError, UnicodeDecodeError, csv.Error, AttributeError):
        return None
    return names if names is not None and len(names) == features else None
