"""``main()`` of a script: compile with the Trainer's optimizer and metric objects, fit with its
callbacks, evaluate on the test split and save the model."""

from __future__ import annotations

import inspect
import textwrap
from typing import Any

from nnbench.core import catalog
from nnbench.core.errors import PresetError
from nnbench.core.export.facts import Script
from nnbench.core.export.literals import ExportError, attribute, call, literal
from nnbench.core.export.schedule_code import callbacks_brackets
from nnbench.core.keras_setup import ONE_HOT_LOSSES

TASKS = ("binary", "multiclass", "regression")


def _metric_code(metric: Any, script: Script) -> str:
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
        return call(f"keras.metrics.{cls.__name__}", kwargs, "compile.metrics")
    if cls.__name__ == "MeanAbsoluteScaledError":
        script.imports.update({"typing", "ops"})
        script.helper(_mase_source(cls))
        return call(cls.__name__, kwargs, "compile.metrics")
    raise ExportError(f"compile.metrics: {cls.__name__} is not a Keras metric the script can make")


def _mase_source(cls: type) -> list[str]:
    """nnbench's MASE metric, its own source, so the script needs Keras only."""
    return textwrap.dedent(inspect.getsource(cls)).rstrip().splitlines()


def _metric_codes(script: Script) -> list[str]:
    from nnbench.core.metrics import make_metric

    preset, task = script.preset, script.facts.task
    if task is not None:
        from nnbench.core.keras_setup import make_metrics  # the Trainer's checks and choices

        return [_metric_code(m, script) for m in make_metrics(preset, task)]
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


def compile_code(script: Script) -> list[str]:
    """``model.compile(...)``: the preset's optimizer, loss and metrics as the Trainer compiles."""
    opt = script.preset.compile.optimizer
    try:
        cls = catalog.OPTIMIZER_CLASSES[opt.type.lower()]
    except KeyError:
        raise PresetError(f"unknown optimizer '{opt.type}'", key="compile.optimizer") from None
    optimizer = call(f"keras.optimizers.{attribute(cls, 'compile.optimizer')}", opt.params,
                      "compile.optimizer")
    metrics = _metric_codes(script)
    return ["model.compile(",
            f"    optimizer={optimizer},",
            f"    loss={literal(script.loss)},",
            "    metrics=[" + ", ".join(metrics) + "],",
            ")"]


def _callback_codes(script: Script) -> list[str]:
    """Trainer._callbacks: TerminateOnNaN, the preset's callbacks in order, CSVLogger last."""
    out = ["keras.callbacks.TerminateOnNaN()"]
    for name, params in script.preset.callbacks.items():
        params = {"monitor": "val_loss", **params}  # Trainer._make_callback's default
        cls = f"keras.callbacks.{attribute(name, f'callbacks.{name}')}"
        if name == "ModelCheckpoint":
            out.append(call(cls, {"save_best_only": True, **params}, f"callbacks.{name}",
                             '"best.keras"'))
        else:
            out.append(call(cls, params, f"callbacks.{name}"))
    out.append('keras.callbacks.CSVLogger("history.csv")')
    return out


def main_code(script: Script, compile_lines: list[str]) -> list[str]:
    """``main()``: seed, data, model, ``compile_lines``, the callbacks and the fit, as the Trainer runs."""
    body = _seed_lines(script)
    body += _folder_setup_lines(script) if script.folders else _array_setup_lines(script)
    body += ["model.summary()"]
    if "task" in script.imports:
        body += ['task = "regression" if num_classes is None else "binary" if num_classes == 2 '
                 'else "multiclass"']
    body += compile_lines
    body += _fit_lines(script)
    body += ['model.save("model.keras")']
    return ["def main():", *[f"    {line}" for line in body]]


def _seed_lines(script: Script) -> list[str]:
    if script.preset.fit.seed is None:
        return []
    script.imports.add("tf")
    return ["# the same seed, the same history: Python, NumPy and TensorFlow seeded, and",
            "# TensorFlow's ops made deterministic, before any data is read",
            "keras.utils.set_random_seed(SEED)",
            "tf.config.experimental.enable_op_determinism()"]


def _folder_setup_lines(script: Script) -> list[str]:
    """The datasets and the model, labels one-hot encoded where the loss wants them so."""
    body = ["train_ds, val_ds, test_ds, num_classes = load_data()",
            "model = build_model()" if script.preset.model.layers[0].type == "Input"
            else f"model = build_model({literal(script.facts.input_shape)})"]
    if script.loss in ONE_HOT_LOSSES:
        body += ["# integer labels one-hot encoded for " + script.loss,
                 "train_ds, val_ds, test_ds = [",
                 "    None if ds is None else ds.map(lambda x, y: (x, tf.one_hot(",
                 "        tf.cast(tf.reshape(y, [-1]), tf.int32), num_classes)))",
                 "    for ds in (train_ds, val_ds, test_ds)]"]
    return body


def _array_setup_lines(script: Script) -> list[str]:
    """The arrays and the model, labels shaped as core/keras_setup.py's shape_labels shapes them."""
    body = ["x_train, y_train, x_val, y_val, x_test, y_test, num_classes = load_data()",
            "model = build_model()" if script.preset.model.layers[0].type == "Input"
            else "model = build_model(x_train.shape[1:])"]
    one_column = ["if model.output.shape[-1] == 1 and y_train.ndim == 1:",
                  "    # one output: labels as a column of floats",
                  "    y_train, y_val, y_test = [None if y is None else",
                  "                              np.asarray(y).reshape(-1, 1).astype(\"float32\")",
                  "                              for y in (y_train, y_val, y_test)]"]
    if script.loss not in ONE_HOT_LOSSES:
        return body + one_column
    return body + ["if num_classes:",
                   "    if y_train.ndim == 1:  # integer labels one-hot encoded for " + script.loss,
                   "        y_train, y_val, y_test = [",
                   "            None if y is None else",
                   '            keras.utils.to_categorical(y, num_classes).astype("float32")',
                   "            for y in (y_train, y_val, y_test)]",
                   "el" + one_column[0], *one_column[1:]]


def _fit_lines(script: Script) -> list[str]:
    """``model.fit`` with the Trainer's callbacks, then the test split evaluated."""
    fit = script.preset.fit
    callbacks = _callback_codes(script)
    body = ["model.fit("]
    if script.folders:
        body += ["    train_ds,", "    validation_data=val_ds,"]
    else:
        body += ["    x_train, y_train,", "    batch_size=BATCH_SIZE,",
                 "    validation_data=None if x_val is None else (x_val, y_val),",
                 f"    shuffle={literal(fit.shuffle)},"]
    opens, closes = callbacks_brackets(script)  # a steered run's changes as a schedule
    body += ["    epochs=EPOCHS,", f"    callbacks={opens}", *[f"        {c}," for c in callbacks],
             f"    {closes}", ")"]
    if script.folders:
        body += ["if test_ds is not None:",
                 "    print(model.evaluate(test_ds, verbose=0, return_dict=True))"]
    else:
        body += ["if x_test is not None:",
                 "    print(model.evaluate(x_test, y_test, batch_size=BATCH_SIZE, verbose=0,",
                 "                         return_dict=True))"]
    return body
