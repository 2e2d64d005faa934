"""A preset as a plain Keras script: the same data preparation, model, compile and fit, with no
nnbench import, so a learner can read it, change it and run it with ``python``."""

from __future__ import annotations

import inspect
import keyword
from typing import Any

from nnbench.core import catalog
from nnbench.core.preset import Preset

METRIC_CODE = {
    "precision": 'keras.metrics.Precision(name="precision")',
    "recall": 'keras.metrics.Recall(name="recall")',
    "auc": 'keras.metrics.AUC(name="auc")',
    "rmse": 'keras.metrics.RootMeanSquaredError(name="rmse")',
    "r2": 'keras.metrics.R2Score(name="r2")',
    "mase": 'MeanAbsoluteScaledError(name="mase")',
}
SKLEARN_LOADERS = {"digits": "load_digits", "breast_cancer": "load_breast_cancer",
                   "iris": "load_iris", "wine": "load_wine", "diabetes": "load_diabetes"}


def _args(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_py(v)}" for k, v in params.items())


def _py(value: Any) -> str:
    if isinstance(value, list):
        return "(" + ", ".join(_py(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


def _var(name: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in name).strip("_") or "x"
    if cleaned[0].isdigit() or keyword.iskeyword(cleaned):
        cleaned = "x_" + cleaned
    return cleaned


def _data_code(preset: Preset) -> list[str]:
    data, fit = preset.data, preset.fit
    scheme, name = data.scheme, data.target_name
    seed = fit.seed if fit.seed is not None else 0
    lines = [f"# --- data: {data.source} ---"]
    if scheme == "sklearn":
        task_is_regression = name == "diabetes"
        lines += [
            f"x, y = {SKLEARN_LOADERS[name]}(return_X_y=True)",
            f"x = x.astype(\"float32\"); y = y.astype(\"{'float32' if task_is_regression else 'int32'}\")",
            "x_train, x_test, y_train, y_test = train_test_split(",
            f"    x, y, test_size={data.test_split or 0.2}, random_state={seed}"
            + ("" if task_is_regression else ", stratify=y") + ")",
        ]
    elif scheme == "keras":
        kwargs = f"num_words={data.num_words}" if name in ("imdb", "reuters") and data.num_words else ""
        lines += [f"(x_train, y_train), (x_test, y_test) = keras.datasets.{name}.load_data({kwargs})",
                  "y_train, y_test = y_train.reshape(-1), y_test.reshape(-1)"]
        if name in ("imdb", "reuters"):
            maxlen = data.maxlen or 256
            lines += [f"x_train = keras.utils.pad_sequences(x_train, maxlen={maxlen}, padding=\"post\")",
                      f"x_test = keras.utils.pad_sequences(x_test, maxlen={maxlen}, padding=\"post\")"]
        else:
            lines += ["x_train, x_test = x_train.astype(\"float32\"), x_test.astype(\"float32\")"]
    elif scheme == "npz":
        lines += [f"arrays = np.load({name!r}, allow_pickle=False)",
                  "x_train, y_train = arrays[\"x_train\"], arrays[\"y_train\"]",
                  "x_test = arrays[\"x_test\"] if \"x_test\" in arrays else None",
                  "y_test = arrays[\"y_test\"] if \"y_test\" in arrays else None"]
    elif scheme == "csv":
        lines += [
            "import csv",
            "",
            f"with open({name!r}, newline=\"\") as handle:",
            "    rows = list(csv.reader(handle))",
            "header, rows = rows[0], rows[1:]",
            f"target = header.index({data.target!r})" if data.target else "target = len(header) - 1",
            "labels = [row[target] for row in rows]",
            "x = np.array([[float(v) for i, v in enumerate(row) if i != target] for row in rows],",
            "             dtype=\"float32\")",
            "try:",
            "    y = np.array([float(v) for v in labels], dtype=\"float32\")",
            "except ValueError:  # class names: encode them as 0..K-1",
            "    class_names = sorted(set(labels))",
            "    y = np.array([class_names.index(v) for v in labels], dtype=\"int32\")",
            f"split_at = int(len(x) * (1 - {data.test_split or 0.2}))",
            "x_train, y_train, x_test, y_test = x[:split_at], y[:split_at], x[split_at:], y[split_at:]",
        ]
    else:
        reader = "image" if scheme == "images" else "text"
        extra = (f", image_size={_py(list(data.image_size or (64, 64)))}" if reader == "image" else "")
        lines += [
            f"train_ds, val_ds = keras.utils.{reader}_dataset_from_directory(",
            f"    {name!r}, validation_split={fit.validation_split or 0.2}, subset=\"both\",",
            f"    seed={seed}, batch_size={fit.batch_size}{extra})",
        ]
        if reader == "text":
            lines += [
                f"vectorize = keras.layers.TextVectorization(max_tokens={data.num_words or 10000}, "
                f"output_sequence_length={data.maxlen or 256})",
                "vectorize.adapt(train_ds.map(lambda text, label: text))",
                "train_ds = train_ds.map(lambda text, label: (vectorize(text), label))",
                "val_ds = val_ds.map(lambda text, label: (vectorize(text), label))",
            ]
        return lines
    if data.max_samples:
        lines.append(f"x_train, y_train = x_train[:{data.max_samples}], y_train[:{data.max_samples}]")
    if fit.validation_split is not None:
        lines += ["# validation: the last fraction of the training samples, as fit(validation_split=) takes",
                  f"split_at = int(np.floor(len(x_train) * (1 - {fit.validation_split})))",
                  "x_train, x_val = x_train[:split_at], x_train[split_at:]",
                  "y_train, y_val = y_train[:split_at], y_train[split_at:]"]
    elif fit.validation_first is not None:
        n = fit.validation_first
        lines += [f"# validation: the first {n:,} training samples",
                  f"x_val, y_val = x_train[:{n}], y_train[:{n}]",
                  f"x_train, y_train = x_train[{n}:], y_train[{n}:]"]
    elif fit.validation_data == "test":
        lines += ["x_val, y_val = x_test, y_test"]
    has_val = fit.has_validation
    if data.scaling == "divide255":
        lines += ["x_train, x_test = x_train / 255.0, x_test / 255.0"]
        if has_val:
            lines += ["x_val = x_val / 255.0"]
    elif data.scaling == "standardize" and name not in ("imdb", "reuters"):
        lines += ["# standardize with the training samples' statistics only",
                  "mean, std = x_train.mean(axis=0), x_train.std(axis=0)",
                  "std[std == 0] = 1.0",
                  "x_train, x_test = (x_train - mean) / std, (x_test - mean) / std"]
        if has_val:
            lines += ["x_val = (x_val - mean) / std"]
    loss = catalog.LOSS_ALIASES.get(preset.compile.loss, preset.compile.loss)
    if loss in ("categorical_crossentropy", "kl_divergence"):
        lines += ["# integer labels -> one-hot columns for " + loss,
                  "num_classes = int(y_train.max()) + 1",
                  "y_train = keras.utils.to_categorical(y_train, num_classes)",
                  "y_test = keras.utils.to_categorical(y_test, num_classes)"]
        if has_val:
            lines += ["y_val = keras.utils.to_categorical(y_val, num_classes)"]
    return lines


def _model_code(preset: Preset) -> list[str]:
    lines = ["# --- model ---"]
    layers = list(preset.model.layers)
    names: dict[str, str] = {}
    if layers and layers[0].type == "Input":
        first = layers.pop(0)
        lines.append(f"inputs = keras.Input(shape={_py(first.params['shape'])})")
        if first.name:
            names[first.name] = "inputs"
    else:
        lines.append("inputs = keras.Input(shape=x_train.shape[1:])")
    current = "inputs"
    for layer in layers:
        params = dict(layer.params)
        if layer.name:
            params["name"] = layer.name
        source = "[" + ", ".join(names[n] for n in layer.inputs) + "]" if layer.inputs else current
        var = _var(layer.name) if layer.name else "x"
        if layer.name:
            var = f"{var}_out" if var in ("inputs", "keras", "layers", "model", "np") else var
        lines.append(f"{var} = layers.{layer.type}({_args(params)})({source})")
        if layer.name:
            names[layer.name] = var
        current = var
    lines += [f"model = keras.Model(inputs=inputs, outputs={current}, name={_var(preset.name)!r})",
              "model.summary()"]
    return lines


def _compile_code(preset: Preset) -> list[str]:
    opt = preset.compile.optimizer
    metrics = []
    for m in preset.compile.metrics:
        m = m.lower()
        if m == "f1":
            metrics.append('keras.metrics.F1Score(average="micro", threshold=0.5, name="f1")'
                           if preset.compile.loss == "binary_crossentropy"
                           else 'keras.metrics.F1Score(average="macro", name="f1")')
        else:
            metrics.append(METRIC_CODE.get(m, repr(m)))
    return [
        "",
        "# --- compile ---",
        "model.compile(",
        f"    loss={catalog.LOSS_ALIASES.get(preset.compile.loss, preset.compile.loss)!r},",
        f"    optimizer=keras.optimizers.{catalog.OPTIMIZER_CLASSES[opt.type.lower()]}({_args(opt.params)}),",
        f"    metrics=[{', '.join(metrics)}],",
        ")",
    ]


def _fit_code(preset: Preset, epochs: int | None) -> list[str]:
    fit = preset.fit
    callbacks = ["keras.callbacks.TerminateOnNaN()"]
    for name, params in preset.callbacks.items():
        params = dict(params)
        if name == "ModelCheckpoint":
            params.setdefault("save_best_only", True)
            callbacks.append(f"keras.callbacks.ModelCheckpoint(\"best.keras\", {_args(params)})")
        else:
            callbacks.append(f"keras.callbacks.{name}({_args(params)})")
    folders = preset.data.scheme in ("images", "text")
    lines = ["", "# --- fit, evaluate, save ---", "history = model.fit("]
    if folders:
        lines += ["    train_ds,", "    validation_data=val_ds,"]
    else:
        lines += ["    x_train, y_train,", f"    batch_size={fit.batch_size},"]
        if fit.has_validation:
            lines += ["    validation_data=(x_val, y_val),"]
        lines += [f"    shuffle={fit.shuffle},"]
    lines += [f"    epochs={epochs or fit.epochs},", "    callbacks=[",
              *[f"        {c}," for c in callbacks], "    ],", ")"]
    if preset.data.scheme == "npz":
        lines += ["if x_test is not None:",
                  "    print(model.evaluate(x_test, y_test, return_dict=True, verbose=0))"]
    elif not folders:
        lines += ["print(model.evaluate(x_test, y_test, return_dict=True, verbose=0))"]
    lines += ["model.save(\"model.keras\")"]
    return lines


def _mase_code() -> list[str]:
    from nnbench.core import metrics

    source = inspect.getsource(metrics.mean_absolute_scaled_error_class)
    body = source.split("    @keras.saving.register_keras_serializable(package=\"nnbench\")\n", 1)[1]
    body = body.rsplit("    return MeanAbsoluteScaledError", 1)[0]
    return ["from typing import Any", "", "from keras import ops", "", "",
            *[line[4:] for line in body.rstrip().splitlines()], ""]


def export_script(preset: Preset, *, epochs: int | None = None) -> str:
    """The preset as a runnable Python script using Keras alone."""
    head = [
        f'"""{preset.name}: exported by nnbench. Plain Keras; run it with `python`.',
        "",
        *([preset.description, ""] if preset.description else []),
        '"""',
        "",
        "import numpy as np",
        "import keras",
        "from keras import layers",
        *([f"from sklearn.datasets import {SKLEARN_LOADERS[preset.data.target_name]}",
           "from sklearn.model_selection import train_test_split"]
          if preset.data.scheme == "sklearn" else []),
        "",
    ]
    if preset.fit.seed is not None:
        head += [f"keras.utils.set_random_seed({preset.fit.seed})", ""]
    if any(m.lower() == "mase" for m in preset.compile.metrics):
        head += _mase_code()
    body = [*_data_code(preset), "", *_model_code(preset), *_compile_code(preset),
            *_fit_code(preset, epochs)]
    return "\n".join(head + body) + "\n"
