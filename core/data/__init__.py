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
importing this package stays instant.

One module per kind of source: ``arrays`` (what every array source shares: the splits, scaling and
``LoadedData``), ``sklearn_sets``, ``keras_sets``, ``files`` (csv, npz) and ``folders`` (images,
text). ``load_data`` here picks the loader by scheme. ``notes`` holds what a loader can say it did
(English as a run's files keep it, said in the reader's language where shown).
"""

from __future__ import annotations

from collections.abc import Callable

from nnbench.core.data.arrays import (
    DEFAULT_SEQUENCE_LENGTH,
    DEFAULT_TEST_SPLIT,
    LoadedData,
    Source,
    prepare_arrays,
)
from nnbench.core.data.files import MAX_CLASSES, load_csv, load_npz
from nnbench.core.data.folders import DEFAULT_IMAGE_SIZE, DEFAULT_VOCABULARY, load_folder
from nnbench.core.data.keras_sets import (
    CIFAR10_CLASSES,
    DIGIT_CLASSES,
    DOWNLOAD_TIMEOUT,
    FASHION_MNIST_CLASSES,
    IMDB_CLASSES,
    KERAS_SETS,
    load_keras,
)
from nnbench.core.data.sklearn_sets import OFFLINE_PRESETS, load_sklearn
from nnbench.core.preset import DataSpec, FitSpec

__all__ = [
    "CIFAR10_CLASSES", "DEFAULT_IMAGE_SIZE", "DEFAULT_SEQUENCE_LENGTH", "DEFAULT_TEST_SPLIT",
    "DEFAULT_VOCABULARY", "DIGIT_CLASSES", "DOWNLOAD_TIMEOUT", "FASHION_MNIST_CLASSES",
    "IMDB_CLASSES", "KERAS_SETS", "MAX_CLASSES", "OFFLINE_PRESETS", "LoadedData", "load_data",
]


def load_data(spec: DataSpec, fit: FitSpec) -> LoadedData:
    """Load ``spec.source``, hold out validation data as ``fit`` asks, and scale as ``spec`` asks.

    Raises:
        DataError: the source is missing, unreadable or cannot be downloaded, or it cannot be split
            the way ``fit`` asks.
    """
    if spec.scheme in ("images", "text"):
        return load_folder(spec, fit)
    loaders: dict[str, Callable[[DataSpec, FitSpec], Source]] = {
        "sklearn": load_sklearn, "keras": load_keras, "csv": load_csv, "npz": load_npz,
    }
    return prepare_arrays(loaders[spec.scheme](spec, fit), spec, fit)
