"""A preset, or a run, as a plain Keras script: no nnbench import, ready for ``python``.

The script does what nnbench's Trainer does (core/data.py, core/training.py), step for step: the
same seed calls (``keras.utils.set_random_seed`` and op determinism), the same test split
(scikit-learn's ``train_test_split``, stratified, with the same seed), the same validation hold-out,
scaling, dtypes and label shapes, the same layer names, the same optimizer, metric objects and
callbacks. With a seed, the exported script of a run reproduces its history.csv.

Everything taken from a preset reaches the script as a Python literal (``repr``) or as a checked
identifier; text such as the description only ever appears in comments, one printable line each.
So a preset cannot make the script do anything but train.

``export_script(preset)`` exports a preset; ``export_run(run)`` a run folder, with the epochs the
run was given and the data facts (classes) it recorded.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import keyword
import math
import textwrap
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnbench.core import catalog
from nnbench.core.errors import NnbenchError, PresetError
from nnbench.core.preset import Preset

TASKS = ("binary", "multiclass", "regression")
CATEGORICAL_LOSSES = ("categorical_crossentropy", "kl_divergence")
"""Losses the Trainer one-hot encodes integer labels for (Trainer._prepare_labels)."""


class ExportError(NnbenchError):
    """The preset (or run) cannot be written as a script."""

    title = "Export failed"


# --- literals and names ------------------------------------------------------------------------


def literal(value: Any, where: str = "value") -> str:
    """``value`` as Python source that evaluates to it; only plain data is accepted."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else '-float("inf")'
        return repr(value)
    if isinstance(value, tuple):
        items = [literal(v, where) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v, where) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k, where)}: {literal(v, where)}"
                               for k, v in value.items()) + "}"
    raise ExportError(f"{where}: a {type(value).__name__} value ({value!r:.60}) cannot go into a "
                      "script; use a number, text, true/false or a list")


def _keyword_args(params: dict[str, Any], where: str) -> list[str]:
    out = []
    for key, value in params.items():
        if not (isinstance(key, str) and key.isidentifier() and not keyword.iskeyword(key)):
            raise ExportError(f"{where}: {key!r} is not a keyword argument name")
        out.append(f"{key}={literal(value, f'{where}.{key}')}")
    return out


def _call(function: str, params: dict[str, Any], where: str, *first: str) -> str:
    return f"{function}({', '.join([*first, *_keyword_args(params, where)])})"


def _attribute(name: str, where: str) -> str:
    """A Keras class name checked to be a plain identifier before it becomes ``keras.x.Name``."""
    if not (isinstance(name, str) and name.isidentifier() and name.isascii()
            and not keyword.iskeyword(name)):
        raise ExportError(f"{where}: {name!r} is not a Keras class name")
    return name


def comment(text: str) -> list[str]:
    """Text as comment lines: split where Python (or anything else) could see a line break, and
    every character that isn't printable shown as an escape."""
    lines = str(text).splitlines() or [""]
    out = []
    for line in lines:
        shown = line if line.isprintable() else repr(line)[1:-1]
        out.append(f"# {shown}".rstrip())
    return out


_SCRIPT_NAMES = {"np", "keras", "layers", "tf", "ops", "csv", "math", "pathlib", "Any", "model",
                 "inputs", "input_shape", "load_data", "build_model", "main", "hold_out_test",
                 "is_number", "encode_target", "numeric_target", "as_labels", "task",
                 "num_classes", "MeanAbsoluteScaledError"}


class _Identifiers:
    """Unique, valid Python names for layer outputs, close to the names a person gave the layers."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self.taken = {unicodedata.normalize("NFKC", n) for n in reserved}

    def add(self, name: str, fallback: str) -> str:
        # Python compares identifiers after NFKC, so "ﬁ" and "fi" are one name: compare the same way.
        text = unicodedata.normalize("NFKC", name)
        cleaned = "".join(c if ("_" + c).isidentifier() else "_" for c in text).strip("_")
        if cleaned[:1].isdigit():
            cleaned = f"layer_{cleaned}"
        if not cleaned or not cleaned.isidentifier():
            cleaned = fallback
        if (keyword.iskeyword(cleaned) or keyword.issoftkeyword(cleaned)
                or hasattr(builtins, cleaned)):
            cleaned += "_out"
        candidate, n = cleaned, 2
        while unicodedata.normalize("NFKC", candidate) in self.taken:
            candidate, n = f"{cleaned}_{n}", n + 1
        self.taken.add(unicodedata.normalize("NFKC", candidate))
        return candidate


# --- what the exporter needs to know about the data ----------------------------------------------


@dataclass
class DataFacts:
    """What the export knows about the data before the script runs (from a run, or nothing)."""

    task: str | None = None
    """binary / multiclass / regression, or None: the script then decides where it matters."""
    input_shape: tuple[int | None, ...] | None = None


def _task_of(num_classes: int | None) -> str:
    # core/data.py: no classes is regression; two classes binary.
    return "regression" if num_classes is None else "binary" if num_classes == 2 else "multiclass"


def _static_facts(preset: Preset) -> DataFacts:
    from nnbench.core import data

    facts = DataFacts()
    if preset.data.scheme == "keras":
        keras_set = data.KERAS_SETS.get(preset.data.target_name)
        if keras_set is not None:
            facts.task = keras_set.task
    return facts


# --- the script ---------------------------------------------------------------------------------


@dataclass
class _Script:
    preset: Preset
    facts: DataFacts
    epochs: int
    imports: set[str] = field(default_factory=set)
    helpers: list[list[str]] = field(default_factory=list)

    @property
    def loss(self) -> str:
        return catalog.LOSS_ALIASES.get(self.preset.compile.loss, self.preset.compile.loss)

    @property
    def folders(self) -> bool:
        return self.preset.data.scheme in ("images", "text")

    def helper(self, lines: list[str]) -> None:
        if lines not in self.helpers:
            self.helpers.append(lines)


def export_script(preset: Preset, *, epochs: int | None = None,
                  facts: DataFacts | None = None) -> str:
    """The preset as a runnable Python script using Keras alone.

    Raises:
        NnbenchError: the preset cannot be built or written as a script (the message says where).
    """
    facts = facts or _static_facts(preset)
    script = _Script(preset, facts, epochs or preset.fit.epochs)
    data_lines = _data_code(script)  # first: a folder's input shape is known from its options
    model_lines = _model_code(script)
    compile_lines = _compile_code(script)
    main_lines = _main_code(script, compile_lines)
    text = "\n".join([*_head(script), *_helpers(script), *data_lines, "", "",
                      *model_lines, "", "", *main_lines, "", "",
                      'if __name__ == "__main__":', "    main()", ""])
    try:
        ast.parse(text)
    except SyntaxError as exc:  # a bug here, never the user's: say so rather than write it
        raise ExportError(f"the generated script does not parse (line {exc.lineno}: {exc.msg}); "
                          "this is an nnbench bug, please report it with the preset") from None
    return text


def _head(script: _Script) -> list[str]:
    preset, data, fit = script.preset, script.preset.data, script.preset.fit
    lines = [
        '"""Exported by nnbench: plain Keras, no nnbench needed. Run it with python.',
        "",
        "It does what nnbench's Trainer does: the same data split, scaling and labels, the same",
        "model, compile, callbacks and seed. It writes history.csv and model.keras here.",
        '"""',
        *comment(f"preset: {preset.name}"),
        *([line for line in comment(preset.description)] if preset.description else []),
        *comment(f"data: {data.source}"),
        "",
    ]
    std = sorted(m for m in script.imports if m in ("csv", "math", "pathlib"))
    lines += [f"import {m}" for m in std] + ([""] if std else [])
    if "typing" in script.imports:
        lines += ["from typing import Any", ""]
    lines += ["import keras", "import numpy as np"]
    if "tf" in script.imports:
        lines.append("import tensorflow as tf")
    lines.append("from keras import layers")
    if "ops" in script.imports:
        lines.append("from keras import ops")
    if data.scheme == "sklearn":
        lines.append(f"from sklearn.datasets import {_attribute('load_' + data.target_name, 'data.source')}")
    if "train_test_split" in script.imports:
        lines.append("from sklearn.model_selection import train_test_split")
    lines += [
        "",
        f"SEED = {literal(fit.seed)}"
        + ("  # fit.seed: the same seed gives the same history" if fit.seed is not None
           else "  # fit.seed is not set: every run differs"),
        f"SPLIT_SEED = {literal(fit.seed or 0)}  # seeds the test split and folder shuffles",
        f"EPOCHS = {literal(script.epochs)}",
        f"BATCH_SIZE = {literal(fit.batch_size)}",
    ]
    if data.scheme in ("csv", "npz", "images", "text"):
        lines.append(f"DATA = {literal(data.target_name)}")
    return lines


def _helpers(script: _Script) -> list[str]:
    out: list[str] = []
    for helper in script.helpers:
        out += ["", "", *helper]
    return out + ["", ""]


# --- data ----------------------------------------------------------------------------------------

_HOLD_OUT_TEST = [
    "def hold_out_test(x, y, fraction, stratify):",
    '    """A seeded test split, stratified by class when it can be."""',
    "    if stratify:",
    "        try:",
    "            return train_test_split(x, y, test_size=fraction, random_state=SPLIT_SEED,",
    "                                    stratify=y)",
    "        except ValueError:  # stratifying needs at least 2 samples of every class",
    "            pass",
    "    return train_test_split(x, y, test_size=fraction, random_state=SPLIT_SEED)",
]

_NUMERIC_TARGET = [
    "def numeric_target(y):",
    '    """Whole numbers with at most {max_classes} values are classes 0..k-1; other numbers are',
    '    regression. Returns (labels, number of classes or None)."""',
    "    values = np.unique(y)",
    "    if len(values) > {max_classes} or not np.all(values == np.round(values)):",
    "        return y.astype(np.float32), None",
    "    if np.array_equal(values, np.arange(len(values))):",
    "        return y.astype(np.int32), len(values)",
    "    return np.searchsorted(values, y).astype(np.int32), len(values)",
]

_IS_NUMBER = [
    "def is_number(text):",
    "    try:",
    "        return math.isfinite(float(text))",
    "    except ValueError:",
    "        return False",
]

_ENCODE_TARGET = [
    "def encode_target(values):",
    '    """Text labels as class indices in sorted order; numbers as numeric_target says."""',
    "    texts = [str(v).strip() for v in values]",
    "    if not all(is_number(v) for v in texts):",
    "        names = sorted(set(texts))",
    "        index = {name: i for i, name in enumerate(names)}",
    "        return np.array([index[v] for v in texts], dtype=np.int32), len(names)",
    "    return numeric_target(np.array([float(v) for v in texts]))",
]

_AS_LABELS = [
    "def as_labels(y):",
    '    """(n,) labels from (n,), (n, 1) or one-hot (n, k) arrays."""',
    "    if y.ndim == 2 and y.shape[1] == 1:",
    "        return y.reshape(-1)",
    '    one_hot = (y.ndim == 2 and y.dtype.kind in "biuf" and bool(np.isin(y, (0, 1)).all())',
    "               and bool((y.sum(axis=1) == 1).all()))",
    "    return y.argmax(axis=1) if one_hot else y",
]


def _data_code(script: _Script) -> list[str]:
    if script.folders:
        return _folder_code(script)
    from nnbench.core import data as core_data

    spec, fit = script.preset.data, script.preset.fit
    scheme, name = spec.scheme, spec.target_name
    body: list[str] = []
    sequences = False
    if scheme == "sklearn":
        script.imports.add("train_test_split")
        script.helper(_HOLD_OUT_TEST)
        fraction = spec.test_split or core_data.DEFAULT_TEST_SPLIT
        regression = name == "diabetes"  # core/data.py's rule for scikit-learn's sets
        body += [f"bunch = {_attribute('load_' + name, 'data.source')}()",
                 "x = np.asarray(bunch.data, dtype=np.float32)",
                 "num_classes = " + ("None" if regression else "len(bunch.target_names)"),
                 "x_train, x_test, y_train, y_test = hold_out_test(",
                 f"    x, bunch.target, {literal(fraction)}, stratify={not regression})"]
    elif scheme == "keras":
        keras_set = core_data.KERAS_SETS[name]
        sequences = keras_set.sequences
        kwargs: dict[str, Any] = {}
        if name in ("imdb", "reuters"):
            kwargs["num_words"] = spec.num_words
        if name in ("boston_housing", "california_housing") and spec.test_split:
            kwargs["test_split"] = spec.test_split
        loader = f"keras.datasets.{_attribute(name, 'data.source')}.load_data"
        body += [f"(x_train, y_train), (x_test, y_test) = {_call(loader, kwargs, 'data')}",
                 "# labels as (n,): cifar10's come as (n, 1)",
                 "y_train, y_test = np.asarray(y_train).reshape(-1), np.asarray(y_test).reshape(-1)"]
        if sequences:
            maxlen = spec.maxlen or core_data.DEFAULT_SEQUENCE_LENGTH
            body += [f"# every sequence padded/truncated to {maxlen} words, zeros at the end",
                     f'x_train = keras.utils.pad_sequences(x_train, maxlen={maxlen}, padding="post")',
                     f'x_test = keras.utils.pad_sequences(x_test, maxlen={maxlen}, padding="post")']
        body += ["x_train, x_test = np.asarray(x_train), np.asarray(x_test)"]
        if keras_set.task == "regression":
            body += ["num_classes = None"]
        elif name == "reuters":
            body += ["num_classes = len(keras.datasets.reuters.get_label_names())"]
        else:
            body += [f"num_classes = {len(keras_set.class_names or ())}"]
    elif scheme == "csv":
        script.imports.update({"csv", "math"})
        for helper in (_IS_NUMBER, _numeric_target_helper(), _ENCODE_TARGET):
            script.helper(helper)
        body += ['with open(DATA, newline="", encoding="utf-8-sig") as handle:',
                 "    reader = csv.reader(handle)",
                 "    header = [h.strip() for h in next(reader, [])]",
                 "    rows = [row for row in reader if row and any(cell.strip() for cell in row)]",
                 f"target = header.index({literal(spec.target) if spec.target else 'header[-1]'})",
                 "features = [i for i in range(len(header)) if i != target]",
                 "x = np.array([[row[i].strip() for i in features] for row in rows], dtype=str)",
                 "x = x.astype(np.float64).astype(np.float32)",
                 "y, num_classes = encode_target([row[target] for row in rows])"]
        body += _test_split_lines(script, "x", "y")
    elif scheme == "npz":
        script.helper(_AS_LABELS)
        script.helper(_IS_NUMBER)
        script.helper(_numeric_target_helper())
        script.helper(_ENCODE_TARGET)
        script.imports.add("math")
        body += ["with np.load(DATA, allow_pickle=False) as archive:",
                 '    arrays = {k: archive[k] for k in ("x_train", "y_train", "x_test", "y_test")',
                 "              if k in archive.files}",
                 'n_train = len(arrays["y_train"])',
                 "# train and test labels together, so both get the same class indices",
                 'y = np.concatenate([as_labels(arrays[k]) for k in ("y_train", "y_test") '
                 "if k in arrays])",
                 "if y.ndim > 1:  # several numbers per sample: regression",
                 "    y, num_classes = y.astype(np.float32), None",
                 'elif y.dtype.kind in "US":',
                 "    y, num_classes = encode_target(y)",
                 "else:",
                 "    y, num_classes = numeric_target(y)",
                 'x_train, y_train = arrays["x_train"], y[:n_train]',
                 'if "x_test" in arrays:',
                 '    x_test, y_test = arrays["x_test"], y[n_train:]']
        split = _test_split_lines(script, "x_train", "y_train")
        body += ["else:", *[f"    {line}" for line in split]]
    else:  # pragma: no cover - the preset's validator allows no other scheme
        raise ExportError(f"data.source: cannot export the scheme '{scheme}'")
    if fit.validation_split is not None:
        script.imports.add("math")
    body += _prepare_arrays_lines(spec, fit, sequences)
    return ["def load_data():",
            '    """The data as nnbench prepares it: train, validation and test arrays and the',
            '    number of classes (None for regression)."""',
            *[f"    {line}" if line else "" for line in body],
            "    return x_train, y_train, x_val, y_val, x_test, y_test, num_classes"]


def _numeric_target_helper() -> list[str]:
    from nnbench.core.data import MAX_CLASSES

    return [line.replace("{max_classes}", str(MAX_CLASSES)) for line in _NUMERIC_TARGET]


def _test_split_lines(script: _Script, x: str, y: str) -> list[str]:
    """csv and npz: a test split only when data.test_split asks for one."""
    fraction = script.preset.data.test_split
    if fraction is None:
        return ["x_test = y_test = None  # data.test_split is not set: no test split"]
    script.imports.add("train_test_split")
    script.helper(_HOLD_OUT_TEST)
    return [f"x_train, x_test, y_train, y_test = hold_out_test({x}, {y}, {literal(fraction)},",
            "                                                 stratify=num_classes is not None)"]


def _prepare_arrays_lines(spec: Any, fit: Any, sequences: bool) -> list[str]:
    """core/data.py's _prepare_arrays: first samples, validation hold-out, scaling, dtypes."""
    lines: list[str] = []
    if spec.max_samples:
        n = spec.max_samples
        lines += [f"x_train, y_train = x_train[:{n}], y_train[:{n}]  # data.max_samples"]
    if fit.validation_split is not None:
        lines += ["# validation: the last fraction of the training samples, as Keras's "
                  "validation_split takes it",
                  f"split_at = math.floor(len(x_train) * (1.0 - {literal(fit.validation_split)}))",
                  "x_train, x_val = x_train[:split_at], x_train[split_at:]",
                  "y_train, y_val = y_train[:split_at], y_train[split_at:]"]
    elif fit.validation_first is not None:
        n = fit.validation_first
        lines += [f"# validation: the first {n} training samples",
                  f"x_train, x_val = x_train[{n}:], x_train[:{n}]",
                  f"y_train, y_val = y_train[{n}:], y_train[:{n}]"]
    elif fit.validation_data == "test":
        lines += ["x_val, y_val = x_test, y_test  # validation on the test split"]
    else:
        lines += ["x_val = y_val = None  # no validation data"]
    splits = "x_train, x_val, x_test"
    if spec.scaling != "none" and not sequences:
        if spec.scaling == "divide255":
            lines += ["# pixel values divided by 255, so they lie between 0 and 1",
                      f"{splits} = [None if a is None else a.astype(np.float32) / np.float32(255.0)",
                      "                          for a in (x_train, x_val, x_test)]"]
        else:
            lines += ["# standardized with the training samples' mean/std only",
                      "mean = x_train.mean(axis=0, dtype=np.float64)",
                      "std = x_train.std(axis=0, dtype=np.float64)",
                      "std[std == 0] = 1.0  # a constant feature stays centred at 0",
                      f"{splits} = [None if a is None else ((a - mean) / std).astype(np.float32)",
                      "                          for a in (x_train, x_val, x_test)]"]
    x_dtype = "np.int32" if sequences else "np.float32"
    lines += [f"{splits} = [None if a is None else np.ascontiguousarray(a, dtype={x_dtype})",
              "                          for a in (x_train, x_val, x_test)]",
              "y_dtype = np.float32 if num_classes is None else np.int32",
              "y_train, y_val, y_test = [None if a is None else np.ascontiguousarray(a, dtype=y_dtype)",
              "                          for a in (y_train, y_val, y_test)]"]
    if sequences:
        lines.insert(0, "# word indices: never scaled, kept as int32")
    return lines


def _folder_code(script: _Script) -> list[str]:
    """core/data.py's _load_folder for image and text folders: Keras's *_dataset_from_directory."""
    from nnbench.core import data as core_data

    spec, fit = script.preset.data, script.preset.fit
    images = spec.scheme == "images"
    script.imports.update({"pathlib", "tf"})
    if fit.validation_first is not None:
        raise PresetError("fit.validation_first works only for array sources; for a folder use "
                          "fit.validation_split", key="fit.validation_first")
    reader = "keras.utils.image_dataset_from_directory" if images else \
        "keras.utils.text_dataset_from_directory"
    options = {"batch_size": fit.batch_size, "verbose": False}
    if images:
        size = tuple(spec.image_size or core_data.DEFAULT_IMAGE_SIZE)
        options.update(image_size=size, color_mode=spec.color_mode or "rgb")
    body = ["root = pathlib.Path(DATA)",
            'split = (root / "train").is_dir() and (root / "test").is_dir()',
            'train_dir, test_dir = (root / "train", root / "test") if split else (root, None)',
            f"options = {_call('dict', options, 'data')}",
            "# shuffle=True: Keras picks the validation files from the shuffled file list"]
    if fit.validation_split is not None:
        body += [f"train_ds, val_ds = {reader}(",
                 f'    train_dir, validation_split={literal(fit.validation_split)}, subset="both",',
                 "    shuffle=True, seed=SPLIT_SEED, **options)"]
    else:
        body += [f"train_ds, val_ds = {reader}(train_dir, shuffle=True, seed=SPLIT_SEED, **options), None"]
    body += ["class_names = list(train_ds.class_names)",
             "test_ds = None",
             "if test_dir is not None:",
             f"    test_ds = {reader}(test_dir, class_names=class_names, shuffle=False, **options)"]
    if images:
        body += ["count = len(train_ds.file_paths)"]
    else:
        script.helper(["def count_samples(ds):",
                       "    sizes = ds.map(lambda x, y: tf.shape(y)[0])",
                       "    return int(sizes.reduce(0, lambda total, n: total + n))"])
        # core counts every split (iterating each once) before anything else reads them
        body += ["counts = [0 if ds is None else count_samples(ds)",
                 "          for ds in (train_ds, val_ds, test_ds)]",
                 "count = counts[0]"]
    if spec.max_samples:
        script.imports.add("math")
        n = spec.max_samples
        body += [f"if {n} < count:  # data.max_samples: the first {n} samples, the same ones each epoch",
                 f"    train_ds = train_ds.unbatch().take({n}).cache().shuffle({n}, seed=SPLIT_SEED)",
                 "    train_ds = train_ds.batch(BATCH_SIZE).apply(",
                 f"        tf.data.experimental.assert_cardinality(math.ceil({n} / BATCH_SIZE)))"]
    if images:
        if spec.scaling == "divide255":
            body += ["train_ds, val_ds, test_ds = [",
                     "    None if ds is None else ds.map(lambda x, y: (x / 255.0, y)).prefetch(-1)",
                     "    for ds in (train_ds, val_ds, test_ds)]"]
        elif spec.scaling == "standardize":
            body += ["normalize = keras.layers.Normalization(axis=-1)  # per colour channel",
                     "normalize.adapt(train_ds.map(lambda x, y: x))",
                     "train_ds, val_ds, test_ds = [",
                     "    None if ds is None else ds.map(lambda x, y: (normalize(x), y)).prefetch(-1)",
                     "    for ds in (train_ds, val_ds, test_ds)]"]
        channels = {"rgb": 3, "grayscale": 1, "rgba": 4}[spec.color_mode or "rgb"]
        shape: tuple[int, ...] = (*size, channels)
    else:
        maxlen = spec.maxlen or core_data.DEFAULT_SEQUENCE_LENGTH
        words = spec.num_words or core_data.DEFAULT_VOCABULARY
        body += [f"vectorize = keras.layers.TextVectorization(max_tokens={words}, "
                 f"output_sequence_length={maxlen})",
                 "vectorize.adapt(train_ds.map(lambda text, label: text))  # training text only",
                 "train_ds, val_ds, test_ds = [",
                 "    None if ds is None else",
                 "    ds.map(lambda text, label: (tf.cast(vectorize(text), tf.int32), label))",
                 "    .prefetch(tf.data.AUTOTUNE) for ds in (train_ds, val_ds, test_ds)]"]
        shape = (maxlen,)
    if fit.validation_data == "test":
        body += ["val_ds = test_ds  # validation on the test split"]
    body += ["num_classes = len(class_names)"]
    script.facts.input_shape = script.facts.input_shape or shape
    return ["def load_data():",
            '    """The data as nnbench prepares it: batched tf.data datasets of (x, y) and the',
            '    number of classes."""',
            *[f"    {line}" for line in body],
            "    return train_ds, val_ds, test_ds, num_classes"]


# --- model ---------------------------------------------------------------------------------------


def _model_code(script: _Script) -> list[str]:
    """build_model(), layer by layer as core/model.py's build_model calls Keras."""
    from nnbench.core import model as core_model
    from nnbench.core.errors import ModelError

    preset = script.preset
    spec = preset.model
    if not spec.layers:
        raise ModelError("the model has no layers; add one (an Input, then Dense layers)")
    keras_names, input_name = _keras_layer_names(script)
    shown = _shown_names(spec)
    variables = _Identifiers(_SCRIPT_NAMES)
    by_name: dict[str, str] = {}
    lines: list[str] = []
    has_input = spec.layers[0].type == "Input"
    if has_input:
        first = spec.layers[0]
        if first.params.get("shape") is None:
            raise PresetError("Input needs a shape, e.g. shape = [28, 28]", key="model.layers[0].shape")
        try:
            shape = core_model._shape(first.params["shape"])
        except (TypeError, ValueError):
            raise PresetError(f"bad Input shape {first.params['shape']!r}",
                              key="model.layers[0].shape") from None
        var = variables.add(shown[0], "inputs")
        lines.append(f"{var} = keras.Input(shape={literal(shape)}, name={literal(keras_names[0])})")
        if first.name:
            by_name[first.name] = var
        by_name[shown[0]] = var
    else:
        var = "inputs"
        lines.append(f"inputs = keras.Input(shape=input_shape, name={literal(input_name)})")
    model_input = current = var
    for i, layer in enumerate(spec.layers):
        if i == 0 and has_input:
            continue
        if layer.type == "Input":
            raise ModelError(f"layer {i + 1}: Input can only be the first layer", layer_index=i)
        if layer.type not in catalog.LAYERS:
            raise PresetError(f"unknown layer type '{layer.type}'", key=f"model.layers[{i}].type")
        kwargs = dict(core_model._kwargs(layer, i))
        kwargs["name"] = keras_names[i]
        if layer.inputs:
            missing = [n for n in layer.inputs if n not in by_name]
            if missing:
                raise ModelError(f"layer {i + 1} ({layer.type}): no earlier layer named "
                                 f"{missing[0]!r}", layer_index=i)
            sources = [by_name[n] for n in layer.inputs]
        else:
            sources = [current]
        merges = catalog.LAYERS[layer.type].merges
        if merges and len(sources) < 2:
            raise ModelError(f"layer {i + 1} ({layer.type}) merges several layers: list them in "
                             'inputs = ["a", "b"]', layer_index=i)
        if not merges and len(sources) != 1:
            raise ModelError(f"layer {i + 1} ({layer.type}) takes one input, got {len(sources)}",
                             layer_index=i)
        argument = "[" + ", ".join(sources) + "]" if merges else sources[0]
        var = variables.add(shown[i], core_model.snake_case(layer.type))
        layer_class = "layers." + _attribute(layer.type, f"model.layers[{i}].type")
        lines.append(f"{var} = {_call(layer_class, kwargs, f'model.layers[{i}]')}({argument})")
        by_name[shown[i]] = var
        current = var
    name = _model_name(preset.name)
    lines.append(f"return keras.Model(inputs={model_input}, outputs={current}, "
                 f"name={literal(name)})")
    signature = "def build_model():" if has_input else "def build_model(input_shape):"
    return [signature, '    """The layers of the preset, named as nnbench names them."""',
            *[f"    {line}" for line in lines]]


def _shown_names(spec: Any) -> list[str]:
    """The names a person sees and references in ``inputs`` (the one naming rule, core/names.py)."""
    from nnbench.core.names import auto_names

    return list(auto_names(spec))


def _keras_layer_names(script: _Script) -> tuple[list[str], str]:
    """The names core's build_model gives Keras: each layer's, and an implicit input's.

    When the input shape is known the model is built once, as the Trainer would build it, so a
    model that can't be built is refused here with build_model's own message.
    """
    from nnbench.core.model import build_model
    from nnbench.core.names import INPUT_NAME, keras_names, unused_name

    spec = script.preset.model
    if spec.layers[0].type == "Input" or script.facts.input_shape is not None:
        try:
            build_model(spec, script.facts.input_shape)
        except NnbenchError:
            raise
        except Exception as exc:  # Keras refusing something the checks let through
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ExportError(f"the model cannot be built: {type(exc).__name__}: {first}") from None
    scoped = list(keras_names(_shown_names(spec), [layer.type for layer in spec.layers]))
    return scoped, unused_name(INPUT_NAME, scoped)


def _model_name(name: str) -> str:
    try:
        from nnbench.core.training import _model_name as trainer_model_name
    except ImportError:  # pragma: no cover - the Trainer's rule, kept here if it moves
        return "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "model"
    return trainer_model_name(name)


# --- compile, fit ---------------------------------------------------------------------------------


def _metric_code(metric: Any, script: _Script) -> str:
    """A metric object (or identifier) nnbench compiles with, as the constructor call that makes it."""
    import keras

    if isinstance(metric, str):
        return literal(metric)
    cls = type(metric)
    config = metric.get_config()
    parameters = inspect.signature(cls.__init__).parameters
    kwargs = {}
    for key, value in config.items():
        if key == "name" or key not in parameters:
            continue
        default = parameters[key].default
        if key == "dtype" and value == keras.config.floatx() and default is None:
            continue
        if default is inspect.Parameter.empty or value != default:
            kwargs[key] = value
    kwargs["name"] = config.get("name", metric.name)
    if getattr(keras.metrics, cls.__name__, None) is cls:
        return _call(f"keras.metrics.{cls.__name__}", kwargs, "compile.metrics")
    if cls.__name__ == "MeanAbsoluteScaledError":
        script.imports.update({"typing", "ops"})
        script.helper(_mase_source(cls))
        return _call(cls.__name__, kwargs, "compile.metrics")
    raise ExportError(f"compile.metrics: {cls.__name__} is not a Keras metric the script can make")


def _mase_source(cls: type) -> list[str]:
    """nnbench's MASE metric, its own source, so the script needs Keras only."""
    return textwrap.dedent(inspect.getsource(cls)).rstrip().splitlines()


def _metric_codes(script: _Script) -> list[str]:
    from nnbench.core.metrics import make_metric

    preset, task = script.preset, script.facts.task
    if task is not None:
        from nnbench.core.training import _make_metrics  # the Trainer's checks and choices

        return [_metric_code(m, script) for m in _make_metrics(preset, task)]
    codes = []
    for name in preset.compile.metrics:
        per_task = {t: _metric_code(make_metric(name, t), script) for t in TASKS}
        distinct = list(dict.fromkeys(per_task.values()))
        if len(distinct) == 1:
            codes.append(distinct[0])
            continue
        script.imports.add("task")
        expr = distinct[-1]
        for code in reversed(distinct[:-1]):
            tasks = tuple(t for t in TASKS if per_task[t] == code)
            expr = f"{code} if task in {literal(tasks)} else {expr}"
        codes.append(f"({expr})")
    return codes


def _compile_code(script: _Script) -> list[str]:
    opt = script.preset.compile.optimizer
    try:
        cls = catalog.OPTIMIZER_CLASSES[opt.type.lower()]
    except KeyError:
        raise PresetError(f"unknown optimizer '{opt.type}'", key="compile.optimizer") from None
    optimizer = _call(f"keras.optimizers.{_attribute(cls, 'compile.optimizer')}", opt.params,
                      "compile.optimizer")
    metrics = _metric_codes(script)
    return ["model.compile(",
            f"    optimizer={optimizer},",
            f"    loss={literal(script.loss)},",
            "    metrics=[" + ", ".join(metrics) + "],",
            ")"]


def _callback_codes(script: _Script) -> list[str]:
    """Trainer._callbacks: TerminateOnNaN, the preset's callbacks in order, CSVLogger last."""
    out = ["keras.callbacks.TerminateOnNaN()"]
    for name, params in script.preset.callbacks.items():
        params = {"monitor": "val_loss", **params}  # Trainer._make_callback's default
        cls = f"keras.callbacks.{_attribute(name, f'callbacks.{name}')}"
        if name == "ModelCheckpoint":
            out.append(_call(cls, {"save_best_only": True, **params}, f"callbacks.{name}",
                             '"best.keras"'))
        else:
            out.append(_call(cls, params, f"callbacks.{name}"))
    out.append('keras.callbacks.CSVLogger("history.csv")')
    return out


def _main_code(script: _Script, compile_lines: list[str]) -> list[str]:
    preset, fit = script.preset, script.preset.fit
    body: list[str] = []
    if fit.seed is not None:
        script.imports.add("tf")
        body += ["# the same seed, the same history: Python, NumPy and TensorFlow seeded, and",
                 "# TensorFlow's ops made deterministic, before any data is read",
                 "keras.utils.set_random_seed(SEED)",
                 "tf.config.experimental.enable_op_determinism()"]
    categorical = script.loss in CATEGORICAL_LOSSES
    if script.folders:
        body += ["train_ds, val_ds, test_ds, num_classes = load_data()",
                 "model = build_model()" if preset.model.layers[0].type == "Input"
                 else f"model = build_model({literal(script.facts.input_shape)})"]
        if categorical:
            body += ["# integer labels one-hot encoded for " + script.loss,
                     "train_ds, val_ds, test_ds = [",
                     "    None if ds is None else ds.map(lambda x, y: (x, tf.one_hot(",
                     "        tf.cast(tf.reshape(y, [-1]), tf.int32), num_classes)))",
                     "    for ds in (train_ds, val_ds, test_ds)]"]
    else:
        body += ["x_train, y_train, x_val, y_val, x_test, y_test, num_classes = load_data()",
                 "model = build_model()" if preset.model.layers[0].type == "Input"
                 else "model = build_model(x_train.shape[1:])"]
        one_column = ["if model.output.shape[-1] == 1 and y_train.ndim == 1:",
                      "    # one output: labels as a column of floats",
                      "    y_train, y_val, y_test = [None if y is None else",
                      "                              np.asarray(y).reshape(-1, 1).astype(\"float32\")",
                      "                              for y in (y_train, y_val, y_test)]"]
        if categorical:
            body += ["if num_classes:",
                     "    if y_train.ndim == 1:  # integer labels one-hot encoded for " + script.loss,
                     "        y_train, y_val, y_test = [",
                     "            None if y is None else",
                     '            keras.utils.to_categorical(y, num_classes).astype("float32")',
                     "            for y in (y_train, y_val, y_test)]",
                     "el" + one_column[0], *one_column[1:]]
        else:
            body += one_column
    body += ["model.summary()"]
    if "task" in script.imports:
        body += ['task = "regression" if num_classes is None else "binary" if num_classes == 2 '
                 'else "multiclass"']
    body += compile_lines
    callbacks = _callback_codes(script)
    body += ["model.fit("]
    if script.folders:
        body += ["    train_ds,", "    validation_data=val_ds,"]
    else:
        body += ["    x_train, y_train,", "    batch_size=BATCH_SIZE,",
                 "    validation_data=None if x_val is None else (x_val, y_val),",
                 f"    shuffle={literal(fit.shuffle)},"]
    body += ["    epochs=EPOCHS,", "    callbacks=[", *[f"        {c}," for c in callbacks],
             "    ],", ")"]
    if script.folders:
        body += ["if test_ds is not None:",
                 "    print(model.evaluate(test_ds, verbose=0, return_dict=True))"]
    else:
        body += ["if x_test is not None:",
                 "    print(model.evaluate(x_test, y_test, batch_size=BATCH_SIZE, verbose=0,",
                 "                         return_dict=True))"]
    body += ['model.save("model.keras")']
    return ["def main():", *[f"    {line}" for line in body]]


# --- runs and the command line -------------------------------------------------------------------


def export_run(run: str | Path, runs_dir: str | Path | None = None, *,
               epochs: int | None = None) -> str:
    """The script of a run: its preset.toml, the epochs it was given, the classes it saw.

    Raises:
        NnbenchError: no such run, or its preset cannot be read or exported.
    """
    from nnbench.core.events import RunStarted
    from nnbench.core.preset import loads_preset
    from nnbench.core.runs import RunStore, read_events

    folder = RunStore(runs_dir).resolve(str(run))
    preset_file = folder / "preset.toml"
    try:
        text = preset_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"{preset_file}: cannot read the run's preset ({exc}); the run folder "
                          "may be incomplete") from None
    preset = loads_preset(text, file=str(preset_file))
    started = [e for e in read_events(folder / "events.jsonl") if isinstance(e, RunStarted)]
    facts = _static_facts(preset)
    if started:
        info = started[0].data
        facts = DataFacts(task=_task_of(info.num_classes),
                          input_shape=tuple(info.input_shape) if info.input_shape else None)
        epochs = epochs or started[0].epochs
    return export_script(preset, epochs=epochs, facts=facts)


def export_target(target: str, runs_dir: str | Path | None = None, *,
                  epochs: int | None = None) -> str:
    """``nnbench export TARGET``: a run folder, a preset file or name, or a run id."""
    from nnbench.core.preset import load_preset

    path = Path(target).expanduser()
    if path.is_dir():
        return export_run(path, runs_dir, epochs=epochs)
    try:
        preset = load_preset(target)
    except PresetError as preset_error:
        if path.exists() or target.endswith(".toml"):
            raise
        try:
            return export_run(target, runs_dir, epochs=epochs)
        except NnbenchError:
            raise preset_error from None
    return export_script(preset, epochs=epochs)


def refuse_overwrite(output: str | Path, *, force: bool = False) -> Path:
    """``output`` as a path to write, refused when it is a folder or (without ``force``) exists."""
    path = Path(output)
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name with -o, e.g. -o train.py")
    if path.exists() and not force:
        raise ExportError(f"{path} already exists; pass --force to overwrite it, or choose "
                          "another file with -o")
    return path


def write_script(script: str, output: str | Path, *, force: bool = False) -> Path:
    """Write ``script`` to ``output`` (through a temporary file); an existing file is kept unless
    ``force``."""
    path = refuse_overwrite(output, force=force)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(script, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}; choose another path "
                          "with -o") from None
    return path
