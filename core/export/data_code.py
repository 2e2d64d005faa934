"""``load_data()`` of a script for an array source (sklearn, keras, csv, npz): the steps core/data/
takes, written out with NumPy, scikit-learn and Keras."""

from __future__ import annotations

from typing import Any

from nnbench.core.export.facts import Script
from nnbench.core.export.folder_code import folder_code
from nnbench.core.export.literals import ExportError, attribute, call, literal

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


def data_code(script: Script) -> list[str]:
    """``load_data()`` of a script: the preset's source loaded, split and scaled as core/data/ does."""
    if script.folders:
        return folder_code(script)
    spec, fit = script.preset.data, script.preset.fit
    scheme = spec.scheme
    sequences = False
    if scheme == "sklearn":
        body = _sklearn_lines(script)
    elif scheme == "keras":
        body, sequences = _keras_lines(script)
    elif scheme == "csv":
        body = _csv_lines(script)
    elif scheme == "npz":
        body = _npz_lines(script)
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


def _sklearn_lines(script: Script) -> list[str]:
    from nnbench.core import data as core_data

    spec = script.preset.data
    name = spec.target_name
    script.imports.add("train_test_split")
    script.helper(_HOLD_OUT_TEST)
    fraction = spec.test_split or core_data.DEFAULT_TEST_SPLIT
    regression = name == "diabetes"  # core/data/sklearn_sets.py's rule for scikit-learn's sets
    return [f"bunch = {attribute('load_' + name, 'data.source')}()",
            "x = np.asarray(bunch.data, dtype=np.float32)",
            "num_classes = " + ("None" if regression else "len(bunch.target_names)"),
            "x_train, x_test, y_train, y_test = hold_out_test(",
            f"    x, bunch.target, {literal(fraction)}, stratify={not regression})"]


def _keras_lines(script: Script) -> tuple[list[str], bool]:
    """The lines of a keras.datasets source, and whether its inputs are word-index sequences."""
    from nnbench.core import data as core_data

    spec = script.preset.data
    name = spec.target_name
    keras_set = core_data.KERAS_SETS[name]
    sequences = keras_set.sequences
    kwargs: dict[str, Any] = {}
    if name in ("imdb", "reuters"):
        kwargs["num_words"] = spec.num_words
    if name in ("boston_housing", "california_housing") and spec.test_split:
        kwargs["test_split"] = spec.test_split
    loader = f"keras.datasets.{attribute(name, 'data.source')}.load_data"
    body = [f"(x_train, y_train), (x_test, y_test) = {call(loader, kwargs, 'data')}",
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
    return body, sequences


def _csv_lines(script: Script) -> list[str]:
    spec = script.preset.data
    script.imports.update({"csv", "math"})
    for helper in (_IS_NUMBER, _numeric_target_helper(), _ENCODE_TARGET):
        script.helper(helper)
    body = ['with open(DATA, newline="", encoding="utf-8-sig") as handle:',
            "    reader = csv.reader(handle)",
            "    header = [h.strip() for h in next(reader, [])]",
            "    rows = [row for row in reader if row and any(cell.strip() for cell in row)]",
            f"target = header.index({literal(spec.target) if spec.target else 'header[-1]'})",
            "features = [i for i in range(len(header)) if i != target]",
            "x = np.array([[row[i].strip() for i in features] for row in rows], dtype=str)",
            "x = x.astype(np.float64).astype(np.float32)",
            "y, num_classes = encode_target([row[target] for row in rows])"]
    return body + _test_split_lines(script, "x", "y")


def _npz_lines(script: Script) -> list[str]:
    script.helper(_AS_LABELS)
    script.helper(_IS_NUMBER)
    script.helper(_numeric_target_helper())
    script.helper(_ENCODE_TARGET)
    script.imports.add("math")
    body = ["with np.load(DATA, allow_pickle=False) as archive:",
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
    return [*body, "else:", *[f"    {line}" for line in split]]


def _numeric_target_helper() -> list[str]:
    from nnbench.core.data import MAX_CLASSES

    return [line.replace("{max_classes}", str(MAX_CLASSES)) for line in _NUMERIC_TARGET]


def _test_split_lines(script: Script, x: str, y: str) -> list[str]:
    """csv and npz: a test split only when data.test_split asks for one."""
    fraction = script.preset.data.test_split
    if fraction is None:
        return ["x_test = y_test = None  # data.test_split is not set: no test split"]
    script.imports.add("train_test_split")
    script.helper(_HOLD_OUT_TEST)
    return [f"x_train, x_test, y_train, y_test = hold_out_test({x}, {y}, {literal(fraction)},",
            "                                                 stratify=num_classes is not None)"]


def _prepare_arrays_lines(spec: Any, fit: Any, sequences: bool) -> list[str]:
    """core/data/arrays.py's prepare_arrays: first samples, validation hold-out, scaling, dtypes."""
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
