"""``load_data()`` of a script for an image or text folder: core/data/folders.py's steps, with
Keras's ``*_dataset_from_directory`` and ``tf.data``."""

from __future__ import annotations

from typing import Any

from nnbench.core.errors import PresetError
from nnbench.core.export.facts import Script
from nnbench.core.export.literals import call, literal

_COUNT_SAMPLES = ["def count_samples(ds):",
                  "    sizes = ds.map(lambda x, y: tf.shape(y)[0])",
                  "    return int(sizes.reduce(0, lambda total, n: total + n))"]


def folder_code(script: Script) -> list[str]:
    """core/data/folders.py's load_folder for image and text folders: Keras's
    *_dataset_from_directory."""
    from nnbench.core import data as core_data

    spec, fit = script.preset.data, script.preset.fit
    images = spec.scheme == "images"
    script.imports.update({"pathlib", "tf"})
    if fit.validation_first is not None:
        raise PresetError("fit.validation_first works only for array sources; for a folder use "
                          "fit.validation_split", key="fit.validation_first")
    options: dict[str, Any] = {"batch_size": fit.batch_size, "verbose": False}
    if images:
        size = tuple(spec.image_size or core_data.DEFAULT_IMAGE_SIZE)
        options.update(image_size=size, color_mode=spec.color_mode or "rgb")
    body = _read_lines(script, options) + _count_lines(script, images)
    body += _max_samples_lines(script)
    if images:
        body += _image_scaling_lines(spec.scaling)
        channels = {"rgb": 3, "grayscale": 1, "rgba": 4}[spec.color_mode or "rgb"]
        shape: tuple[int, ...] = (*size, channels)
    else:
        text_lines, shape = _vectorize_lines(script)
        body += text_lines
    if fit.validation_data == "test":
        body += ["val_ds = test_ds  # validation on the test split"]
    body += ["num_classes = len(class_names)"]
    script.facts.input_shape = script.facts.input_shape or shape
    return ["def load_data():",
            '    """The data as nnbench prepares it: batched tf.data datasets of (x, y) and the',
            '    number of classes."""',
            *[f"    {line}" for line in body],
            "    return train_ds, val_ds, test_ds, num_classes"]


def _read_lines(script: Script, options: dict[str, Any]) -> list[str]:
    """The train (and validation) datasets from train/ or the folder itself, the test one from
    test/."""
    fit = script.preset.fit
    reader = "keras.utils.image_dataset_from_directory" if script.preset.data.scheme == "images" \
        else "keras.utils.text_dataset_from_directory"
    body = ["root = pathlib.Path(DATA)",
            'split = (root / "train").is_dir() and (root / "test").is_dir()',
            'train_dir, test_dir = (root / "train", root / "test") if split else (root, None)',
            f"options = {call('dict', options, 'data')}",
            "# shuffle=True: Keras picks the validation files from the shuffled file list"]
    if fit.validation_split is not None:
        body += [f"train_ds, val_ds = {reader}(",
                 f'    train_dir, validation_split={literal(fit.validation_split)}, subset="both",',
                 "    shuffle=True, seed=SPLIT_SEED, **options)"]
    else:
        body += [f"train_ds, val_ds = {reader}(train_dir, shuffle=True, seed=SPLIT_SEED, **options), None"]
    return body + ["class_names = list(train_ds.class_names)",
                   "test_ds = None",
                   "if test_dir is not None:",
                   f"    test_ds = {reader}(test_dir, class_names=class_names, shuffle=False, **options)"]


def _count_lines(script: Script, images: bool) -> list[str]:
    if images:
        return ["count = len(train_ds.file_paths)"]
    script.helper(_COUNT_SAMPLES)
    # core counts every split (iterating each once) before anything else reads them
    return ["counts = [0 if ds is None else count_samples(ds)",
            "          for ds in (train_ds, val_ds, test_ds)]",
            "count = counts[0]"]


def _max_samples_lines(script: Script) -> list[str]:
    n = script.preset.data.max_samples
    if not n:
        return []
    script.imports.add("math")
    return [f"if {n} < count:  # data.max_samples: the first {n} samples, the same ones each epoch",
            f"    train_ds = train_ds.unbatch().take({n}).cache().shuffle({n}, seed=SPLIT_SEED)",
            "    train_ds = train_ds.batch(BATCH_SIZE).apply(",
            f"        tf.data.experimental.assert_cardinality(math.ceil({n} / BATCH_SIZE)))"]


def _image_scaling_lines(scaling: str) -> list[str]:
    if scaling == "divide255":
        return ["train_ds, val_ds, test_ds = [",
                "    None if ds is None else ds.map(lambda x, y: (x / 255.0, y)).prefetch(-1)",
                "    for ds in (train_ds, val_ds, test_ds)]"]
    if scaling == "standardize":
        return ["normalize = keras.layers.Normalization(axis=-1)  # per colour channel",
                "normalize.adapt(train_ds.map(lambda x, y: x))",
                "train_ds, val_ds, test_ds = [",
                "    None if ds is None else ds.map(lambda x, y: (normalize(x), y)).prefetch(-1)",
                "    for ds in (train_ds, val_ds, test_ds)]"]
    return []


def _vectorize_lines(script: Script) -> tuple[list[str], tuple[int, ...]]:
    """Text as word indices, the vocabulary learnt from the training text; and the input shape."""
    from nnbench.core import data as core_data

    spec = script.preset.data
    maxlen = spec.maxlen or core_data.DEFAULT_SEQUENCE_LENGTH
    words = spec.num_words or core_data.DEFAULT_VOCABULARY
    return [f"vectorize = keras.layers.TextVectorization(max_tokens={words}, "
            f"output_sequence_length={maxlen})",
            "vectorize.adapt(train_ds.map(lambda text, label: text))  # training text only",
            "train_ds, val_ds, test_ds = [",
            "    None if ds is None else",
            "    ds.map(lambda text, label: (tf.cast(vectorize(text), tf.int32), label))",
            "    .prefetch(tf.data.AUTOTUNE) for ds in (train_ds, val_ds, test_ds)]"], (maxlen,)
