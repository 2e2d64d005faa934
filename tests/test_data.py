"""load_data: every source a preset can name, split and scaled as Keras examples do, on real data.

The Keras loaders run against tiny files placed in a temporary Keras cache. Keras reads KERAS_HOME
once, when it is imported, so those checks run in a fresh interpreter (one for all of them, to pay
TensorFlow's import once).
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnbench.core.data import FASHION_MNIST_CLASSES, OFFLINE_PRESETS, LoadedData, load_data
from nnbench.core.errors import DataError
from nnbench.core.preset import DataSpec, FitSpec


def load(source: str, fit: FitSpec | None = None, **data: Any) -> LoadedData:
    return load_data(DataSpec(source=source, **data), fit or FitSpec())


# --- sklearn: the offline data sets --------------------------------------------------------------


def test_digits_splits_add_up_with_shapes_and_class_names() -> None:
    d = load("sklearn:digits")
    assert d.task == "multiclass"
    assert d.info.num_classes == 10
    assert d.info.class_names == [str(i) for i in range(10)]
    assert (d.info.train_samples, d.info.val_samples, d.info.test_samples) == (1437, 0, 360)
    assert d.x_train.shape == (1437, 64) and d.x_test.shape == (360, 64)
    assert d.info.input_shape == (64,)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int32
    assert d.x_val is None and d.y_val is None


def test_breast_cancer_is_binary_with_sklearn_target_names() -> None:
    d = load("sklearn:breast_cancer", test_split=0.25)
    assert d.task == "binary"
    assert d.info.class_names == ["malignant", "benign"]
    assert d.info.train_samples + d.info.test_samples == 569
    assert d.info.test_samples == 143  # ceil(0.25 * 569), as train_test_split rounds


def test_diabetes_is_regression_with_float_targets() -> None:
    d = load("sklearn:diabetes")
    assert d.task == "regression"
    assert d.info.num_classes is None and d.info.class_names is None
    assert d.y_train.dtype == np.float32
    assert d.y_train.max() > 1  # real target values, not class indices


def test_test_split_is_stratified_and_the_same_for_the_same_seed() -> None:
    first = load("sklearn:iris", FitSpec(seed=7))
    again = load("sklearn:iris", FitSpec(seed=7))
    other = load("sklearn:iris", FitSpec(seed=8))
    np.testing.assert_array_equal(first.x_test, again.x_test)
    np.testing.assert_array_equal(first.y_test, again.y_test)
    assert not np.array_equal(first.x_test, other.x_test)
    # 150 iris flowers, 50 per class: a stratified 20% test split has exactly 10 of each.
    assert np.bincount(first.y_test).tolist() == [10, 10, 10]


def test_standardize_uses_training_statistics_only() -> None:
    fit = FitSpec(validation_split=0.25, seed=3)
    raw = load("sklearn:wine", fit)
    scaled = load("sklearn:wine", fit, scaling="standardize")
    mean, std = raw.x_train.astype(np.float64).mean(0), raw.x_train.astype(np.float64).std(0)
    np.testing.assert_allclose(scaled.x_train.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(scaled.x_train.std(0), 1, atol=1e-4)
    np.testing.assert_allclose(scaled.x_val, (raw.x_val - mean) / std, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scaled.x_test, (raw.x_test - mean) / std, rtol=1e-5, atol=1e-5)
    assert np.abs(scaled.x_test.mean(0)).max() > 0.05  # fitted on test too, this would be ~0
    assert any("standardized" in note for note in scaled.info.notes)


def test_standardize_leaves_a_constant_feature_finite() -> None:
    d = load("sklearn:digits", scaling="standardize")  # the digits' corner pixels are always 0
    assert np.isfinite(d.x_train).all() and np.isfinite(d.x_test).all()


# --- validation hold-out --------------------------------------------------------------------------


def test_validation_split_holds_out_the_last_fraction() -> None:
    whole = load("sklearn:digits")
    d = load("sklearn:digits", FitSpec(validation_split=0.2))
    split_at = int(1437 * 0.8)  # 1149, Keras's floor(n * (1 - split))
    np.testing.assert_array_equal(d.x_train, whole.x_train[:split_at])
    np.testing.assert_array_equal(d.x_val, whole.x_train[split_at:])
    np.testing.assert_array_equal(d.y_val, whole.y_train[split_at:])
    assert (d.info.train_samples, d.info.val_samples) == (1149, 288)
    np.testing.assert_array_equal(d.x_test, whole.x_test)


def test_validation_first_holds_out_the_first_samples() -> None:
    whole = load("sklearn:digits")
    d = load("sklearn:digits", FitSpec(validation_first=100))
    np.testing.assert_array_equal(d.x_val, whole.x_train[:100])
    np.testing.assert_array_equal(d.y_val, whole.y_train[:100])
    np.testing.assert_array_equal(d.x_train, whole.x_train[100:])
    assert (d.info.train_samples, d.info.val_samples) == (1337, 100)
    assert any("first 100" in note for note in d.info.notes)


def test_validation_first_larger_than_the_training_data_is_an_error() -> None:
    with pytest.raises(DataError, match="validation_first = 1,437 but there are only 1,437"):
        load("sklearn:digits", FitSpec(validation_first=1437))


def test_validation_data_test_validates_on_the_test_split() -> None:
    d = load("sklearn:digits", FitSpec(validation_data="test"))
    np.testing.assert_array_equal(d.x_val, d.x_test)
    np.testing.assert_array_equal(d.y_val, d.y_test)
    assert (d.info.train_samples, d.info.val_samples, d.info.test_samples) == (1437, 360, 360)


def test_max_samples_keeps_the_first_training_samples_before_the_validation_split() -> None:
    whole = load("sklearn:digits")
    d = load("sklearn:digits", FitSpec(validation_split=0.25), max_samples=100)
    np.testing.assert_array_equal(d.x_train, whole.x_train[:75])
    np.testing.assert_array_equal(d.x_val, whole.x_train[75:100])
    assert d.info.test_samples == 360  # the test split is not shortened


# --- Keras's own loaders, on tiny files in a temporary Keras cache --------------------------------

KERAS_SCENARIOS = r"""
import dataclasses, json, socket, sys
import numpy as np
socket.setdefaulttimeout(10)  # an offline download must fail, not hang
from nnbench.core.data import load_data
from nnbench.core.errors import DataError
from nnbench.core.keras_env import import_keras
from nnbench.core.preset import DataSpec, FitSpec

report, arrays = {}, {}

def attempt(name, spec, fit):
    try:
        data = load_data(spec, fit)
    except Exception as exc:
        report[name] = {"error": type(exc).__name__, "message": str(exc)}
        return
    report[name] = {"task": data.task, "info": dataclasses.asdict(data.info)}
    for split in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        if getattr(data, split) is not None:
            arrays[f"{name}_{split}"] = getattr(data, split)

import_keras()
attempt("mnist", DataSpec(source="keras:mnist"), FitSpec())
attempt("fashion_mnist", DataSpec(source="keras:fashion_mnist", scaling="divide255"), FitSpec())
# Keras pins imdb.npz to the real file's sha256; let the tiny stand-in through.
from keras.src.utils import file_utils
file_utils.validate_file = lambda *args, **kwargs: True
attempt("imdb", DataSpec(source="keras:imdb", num_words=20, maxlen=8, scaling="standardize"),
        FitSpec(validation_first=2))
np.savez(sys.argv[1], **arrays)
print("\n" + json.dumps(report))
"""

FASHION_TRAIN, FASHION_TEST = 20, 10
# Word indices as stored in imdb.npz (before Keras adds index_from=3 and the start mark 1).
IMDB_TRAIN = [[5, 6, 7], [8, 9, 10, 11, 12, 13, 14, 15, 16, 17], [18], [4, 4, 30, 4],
              [11, 12], [1, 2, 3, 4, 5, 6, 7, 8]]
IMDB_TRAIN_LABELS = [0, 1, 0, 1, 1, 0]
IMDB_TEST = [[9, 9], [13, 14, 15], [16, 1, 1, 1, 1, 1, 1, 1, 1, 1]]
IMDB_TEST_LABELS = [1, 0, 1]


def _write_idx(path: Path, array: np.ndarray) -> None:
    """The idx format of the MNIST family: a magic number, the dimensions, then the bytes."""
    magic = 0x0800 | array.ndim
    header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _ragged(rows: list[list[int]]) -> np.ndarray:
    out = np.empty(len(rows), dtype=object)
    out[:] = [list(row) for row in rows]
    return out


@pytest.fixture(scope="module")
def keras_cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Tiny fashion_mnist and imdb files in a fresh Keras cache (no mnist.npz), loaded via Keras."""
    root = tmp_path_factory.mktemp("keras")
    home = root / "keras_home"
    fashion = home / "datasets" / "fashion-mnist"
    fashion.mkdir(parents=True)
    rng = np.random.default_rng(0)
    originals = {
        "x_train": rng.integers(0, 256, (FASHION_TRAIN, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, FASHION_TRAIN, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (FASHION_TEST, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, FASHION_TEST, dtype=np.uint8),
    }
    _write_idx(fashion / "train-images-idx3-ubyte.gz", originals["x_train"])
    _write_idx(fashion / "train-labels-idx1-ubyte.gz", originals["y_train"])
    _write_idx(fashion / "t10k-images-idx3-ubyte.gz", originals["x_test"])
    _write_idx(fashion / "t10k-labels-idx1-ubyte.gz", originals["y_test"])
    np.savez(home / "datasets" / "imdb.npz", x_train=_ragged(IMDB_TRAIN),
             y_train=np.array(IMDB_TRAIN_LABELS), x_test=_ragged(IMDB_TEST),
             y_test=np.array(IMDB_TEST_LABELS))
    env = {**os.environ, "KERAS_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = root / "arrays.npz"
    proc = subprocess.run([sys.executable, "-c", KERAS_SCENARIOS, str(out)], env=env,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.rstrip("\n").split("\n")[-1])
    with np.load(out) as arrays:
        loaded = {k: arrays[k] for k in arrays.files}
    return {"home": home, "report": report, "arrays": loaded, "fashion": originals}


def test_fashion_mnist_comes_through_keras_loader_from_the_cache(keras_cache: dict) -> None:
    result = keras_cache["report"]["fashion_mnist"]
    assert "error" not in result, result
    arrays, originals = keras_cache["arrays"], keras_cache["fashion"]
    np.testing.assert_array_equal(arrays["fashion_mnist_x_train"],
                                  originals["x_train"].astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(arrays["fashion_mnist_y_train"], originals["y_train"])
    np.testing.assert_array_equal(arrays["fashion_mnist_y_test"], originals["y_test"])
    assert arrays["fashion_mnist_x_test"].max() <= 1.0
    assert arrays["fashion_mnist_x_train"].dtype == np.float32
    assert arrays["fashion_mnist_y_train"].dtype == np.int32
    info = result["info"]
    assert (info["train_samples"], info["val_samples"], info["test_samples"]) == (20, 0, 10)
    assert info["input_shape"] == [28, 28]
    assert info["class_names"] == list(FASHION_MNIST_CLASSES)
    assert result["task"] == "multiclass"


def _imdb_as_keras_gives_it(review: list[int], num_words: int, maxlen: int) -> tuple[int, ...]:
    """Start mark 1, indices + 3, rare words as 2; zeros after, long reviews cut in front."""
    words = [1] + [w + 3 if w + 3 < num_words else 2 for w in review]
    words = words[-maxlen:]
    return tuple(words + [0] * (maxlen - len(words)))


def test_imdb_sequences_are_padded_at_the_end_and_never_scaled(keras_cache: dict) -> None:
    result = keras_cache["report"]["imdb"]
    assert "error" not in result, result
    arrays = keras_cache["arrays"]
    x_seen = np.concatenate([arrays["imdb_x_val"], arrays["imdb_x_train"]])
    y_seen = np.concatenate([arrays["imdb_y_val"], arrays["imdb_y_train"]])
    assert x_seen.dtype == np.int32 and x_seen.shape == (6, 8)
    # Keras shuffles the reviews, so compare as sets of (sequence, label) pairs.
    expected = sorted((_imdb_as_keras_gives_it(r, 20, 8), label)
                      for r, label in zip(IMDB_TRAIN, IMDB_TRAIN_LABELS, strict=True))
    assert sorted((tuple(int(w) for w in x), int(y)) for x, y in zip(x_seen, y_seen,
                                                                      strict=True)) == expected
    expected_test = sorted(_imdb_as_keras_gives_it(r, 20, 8) for r in IMDB_TEST)
    assert sorted(tuple(int(w) for w in x) for x in arrays["imdb_x_test"]) == expected_test
    info = result["info"]
    assert (info["train_samples"], info["val_samples"], info["test_samples"]) == (4, 2, 3)
    assert info["class_names"] == ["negative", "positive"] and result["task"] == "binary"
    assert any("skipped" in note for note in info["notes"])


def test_offline_mnist_says_which_file_goes_where_and_which_presets_work(
        keras_cache: dict) -> None:
    result = keras_cache["report"]["mnist"]
    assert result["error"] == "DataError", result
    message = result["message"]
    assert "mnist.npz" in message
    assert str(keras_cache["home"] / "datasets") in message
    assert "could not be downloaded" in message
    for preset in OFFLINE_PRESETS:
        assert preset in message
    assert "Traceback" not in message


# --- csv ---------------------------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_string_labels_are_encoded_and_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "flowers.csv", "length,width,species\n"
                  "6.3,3.3,virginica\n5.1,3.5,setosa\n7.0,3.2,versicolor\n4.9,3.0,setosa\n")
    d = load(f"csv:{path}")
    assert d.info.class_names == ["setosa", "versicolor", "virginica"]  # sorted, not as they come
    assert d.y_train.tolist() == [2, 0, 1, 0]
    np.testing.assert_array_equal(d.x_train, np.array([[6.3, 3.3], [5.1, 3.5], [7.0, 3.2],
                                                       [4.9, 3.0]], dtype=np.float32))
    assert d.task == "multiclass" and d.info.input_shape == (2,)
    assert d.x_test is None  # a csv has no test split unless data.test_split asks for one


def test_csv_target_column_whole_numbers_are_classes_and_fractions_regression(
        tmp_path: Path) -> None:
    path = _write(tmp_path / "houses.csv", "rooms,price,age\n"
                  + "".join(f"{r},{100 + 7.5 * r},{r % 2 + 1}\n" for r in range(1, 11)))
    by_age = load(f"csv:{path}")
    assert by_age.task == "binary"
    assert by_age.info.class_names == ["1", "2"]  # labels 1 and 2 became 0 and 1
    assert sorted(set(by_age.y_train.tolist())) == [0, 1]
    by_price = load(f"csv:{path}", target="price", test_split=0.2)
    assert by_price.task == "regression" and by_price.y_train.dtype == np.float32
    assert (by_price.info.train_samples, by_price.info.test_samples) == (8, 2)


def test_csv_non_numeric_feature_names_the_column_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", "length,width,species\n5.1,3.5,a\n7.0,wide,b\n")
    with pytest.raises(DataError) as caught:
        load(f"csv:{path}")
    message = str(caught.value)
    assert "'width'" in message and "line 3" in message and "'wide'" in message
    assert str(path) in message


def test_csv_unknown_target_column_lists_the_columns(tmp_path: Path) -> None:
    path = _write(tmp_path / "data.csv", "a,b,label\n1,2,x\n3,4,y\n")
    with pytest.raises(DataError, match="no column 'lable'.*a, b, label.*Did you mean 'label'"):
        load(f"csv:{path}", target="lable")


def test_missing_csv_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(DataError, match=f"no file at {missing}"):
        load(f"csv:{missing}")


# --- npz ---------------------------------------------------------------------------------------


def test_npz_arrays_load_with_their_test_split(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x_train, x_test = rng.normal(size=(30, 4)), rng.normal(size=(10, 4))
    y_train, y_test = rng.integers(0, 3, 30), rng.integers(0, 3, 10)
    y_train[:3] = [0, 1, 2]  # all three classes present
    path = tmp_path / "data.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    d = load(f"npz:{path}")
    np.testing.assert_allclose(d.x_train, x_train.astype(np.float32))
    np.testing.assert_array_equal(d.y_test, y_test)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int32
    assert (d.info.train_samples, d.info.test_samples, d.info.num_classes) == (30, 10, 3)
    assert d.task == "multiclass"


def test_npz_object_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ragged.npz"
    np.savez(path, x_train=_ragged([[1, 2], [3]]), y_train=np.array([0, 1]))
    with pytest.raises(DataError, match="'x_train' is an object array.*must be a numeric array"):
        load(f"npz:{path}")


def test_npz_without_x_train_lists_the_keys_found(tmp_path: Path) -> None:
    path = tmp_path / "wrong.npz"
    np.savez(path, features=np.zeros((2, 2)), labels=np.zeros(2))
    with pytest.raises(DataError,
                       match="no x_train or y_train; the keys found are features, labels"):
        load(f"npz:{path}")


# --- image and text folders --------------------------------------------------------------------


def _write_png(path: Path, value: int) -> None:
    import tensorflow as tf

    pixels = np.full((10, 12, 3), value, dtype=np.uint8)
    path.write_bytes(tf.io.encode_png(pixels).numpy())


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train/ and test/, each with dark 'cats' and bright 'dogs', so a label shows in its pixels."""
    root = tmp_path_factory.mktemp("images")
    for split, count in (("train", 6), ("test", 2)):
        for label, value in (("cats", 20), ("dogs", 230)):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(count):
                _write_png(folder / f"{i}.png", value + i)
    return root


def _samples(ds: Any) -> list[tuple[np.ndarray, int]]:
    return [(x, int(y)) for xb, yb in ds for x, y in zip(xb.numpy(), yb.numpy(), strict=True)]


def test_image_folder_splits_counts_and_class_names(image_folder: Path) -> None:
    d = load(f"images:{image_folder}", FitSpec(validation_split=0.25, batch_size=4, seed=1),
             image_size=(8, 8), scaling="divide255")
    assert d.x_train is None and d.train_ds is not None
    assert (d.info.train_samples, d.info.val_samples, d.info.test_samples) == (9, 3, 4)
    assert d.info.class_names == ["cats", "dogs"] and d.task == "binary"
    assert d.info.input_shape == (8, 8, 3)
    samples = _samples(d.train_ds) + _samples(d.val_ds) + _samples(d.test_ds)
    assert len(samples) == 16
    for x, label in samples:
        assert x.shape == (8, 8, 3) and x.dtype == np.float32 and x.max() <= 1.0
        assert (x.mean() > 0.5) == (label == 1)  # dogs are bright, cats dark


def test_image_folder_max_samples_keeps_the_same_samples_every_epoch(image_folder: Path) -> None:
    d = load(f"images:{image_folder / 'train'}", FitSpec(batch_size=2, seed=2), max_samples=5,
             image_size=(8, 8))
    first = sorted(float(x.mean()) for x, _ in _samples(d.train_ds))
    second = sorted(float(x.mean()) for x, _ in _samples(d.train_ds))
    assert len(first) == 5 and d.info.train_samples == 5
    assert first == second


def test_folder_source_refuses_validation_first(image_folder: Path) -> None:
    with pytest.raises(DataError, match="use fit.validation_split"):
        load(f"images:{image_folder}", FitSpec(validation_first=2))


def test_missing_image_folder_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=f"no folder at {tmp_path / 'pictures'}"):
        load(f"images:{tmp_path / 'pictures'}")


@pytest.fixture(scope="module")
def text_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("text")
    texts = {"train": {"neg": ["awful bad film", "bad boring plot", "awful", "boring bad bad"],
                       "pos": ["great fun film", "good great", "fun fun plot", "good"]},
             "test": {"neg": ["zebra zebra", "bad"], "pos": ["great", "good fun"]}}
    for split, classes in texts.items():
        for label, reviews in classes.items():
            folder = root / split / label
            folder.mkdir(parents=True)
            for i, review in enumerate(reviews):
                (folder / f"{i}.txt").write_text(review, encoding="utf-8")
    return root


def test_text_folder_becomes_int_sequences_with_a_training_vocabulary(text_folder: Path) -> None:
    d = load(f"text:{text_folder}", FitSpec(validation_data="test", batch_size=3, seed=1),
             maxlen=6, num_words=50, scaling="standardize")
    assert (d.info.train_samples, d.info.val_samples, d.info.test_samples) == (8, 4, 4)
    assert d.info.class_names == ["neg", "pos"] and d.info.input_shape == (6,)
    train = _samples(d.train_ds)
    assert len(train) == 8
    for x, _ in train:
        assert x.shape == (6,) and x.dtype == np.int32
        assert x[0] > 1  # every training word is in the vocabulary, none out of it (1)
    test = [x.tolist() for x, _ in _samples(d.test_ds)]
    # "zebra" is only in the test text: out of vocabulary, as only the training text is adapted.
    assert [1, 1, 0, 0, 0, 0] in test
    assert any("skipped" in note for note in d.info.notes)


# --- import hygiene -------------------------------------------------------------------------------


def test_importing_data_loads_neither_tensorflow_nor_sklearn() -> None:
    code = ("import sys, nnbench.core.data\n"
            "print(sorted({m.partition('.')[0] for m in sys.modules}"
            " & {'tensorflow', 'keras', 'sklearn', 'textual'}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_a_binary_image_folder_trains_with_one_sigmoid_unit_and_f1(image_folder: Path,
                                                                    tmp_path: Path) -> None:
    """Folder labels come as a vector; F1 on a Dense(1) sigmoid needs them as a column."""
    from nnbench.core.preset import preset_from_dict
    from nnbench.core.training import Trainer

    preset = preset_from_dict({
        "name": "cats-dogs",
        "data": {"source": f"images:{image_folder}", "image_size": [8, 8],
                 "scaling": "divide255"},
        "model": {"layers": [{"type": "Input", "shape": [8, 8, 3]}, {"type": "Flatten"},
                             {"type": "Dense", "units": 1, "activation": "sigmoid"}]},
        "compile": {"loss": "binary_crossentropy", "optimizer": "adam",
                    "metrics": ["accuracy", "f1"]},
        "fit": {"epochs": 2, "batch_size": 4, "validation_split": 0.25, "seed": 1},
    })
    final = Trainer(preset, tmp_path / "runs").run()
    assert final.status == "finished", final.error
    from nnbench.core.runs import RunStore

    record = RunStore(tmp_path / "runs").read(Path(final.run_dir or ""))
    assert {"f1", "val_f1"} <= set(record.final_logs)
