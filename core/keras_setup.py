"""What the Trainer hands Keras: the model's name, its optimizer and metrics, labels shaped for the
loss, and the ``fit`` call itself (arrays or a tf.data pipeline).

TensorFlow and Keras are imported inside the functions, so importing this module loads neither
(tests/test_import_hygiene.py); core/export/ asks the same functions so a script trains as the
Trainer does.
"""

from __future__ import annotations

from typing import Any

from nnbench.core import catalog
from nnbench.core.errors import PresetError
from nnbench.core.keras_env import import_keras
from nnbench.core.preset import FitSpec, Preset

ONE_HOT_LOSSES = ("categorical_crossentropy", "kl_divergence")
"""Losses that want one column per class: integer labels are one-hot encoded for them."""


def model_name(name: str) -> str:
    """The Keras model name for a preset name: letters, digits and ``_`` kept, the rest ``_``."""
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return cleaned or "model"


def make_optimizer(keras: Any, preset: Preset) -> Any:
    """The preset's optimizer; raises PresetError (at ``compile.optimizer``) when Keras refuses it."""
    spec = preset.compile.optimizer
    cls = getattr(keras.optimizers, catalog.OPTIMIZER_CLASSES[spec.type.lower()])
    try:
        return cls(**spec.params)
    except (TypeError, ValueError) as exc:
        raise PresetError(f"{cls.__name__} rejected its parameters: {exc}",
                          key="compile.optimizer") from None


def make_metrics(preset: Preset, task: str) -> list[Any]:
    """Keras metrics for the preset; core/compat.py has already refused the ones that can't fit."""
    from nnbench.core.metrics import make_metric

    return [make_metric(name, task) for name in preset.compile.metrics]


def shape_labels(data: Any, loss: str, model: Any) -> list[str]:
    """Reshape labels for the loss, in place: one-hot for categorical losses, a column for one
    output. Returns the notices that say what was done."""
    import numpy as np

    keras = import_keras()
    notices: list[str] = []
    units = model.output.shape[-1]
    if loss in ONE_HOT_LOSSES and data.info.num_classes:
        k = data.info.num_classes
        if data.y_train is not None and data.y_train.ndim == 1:
            for split in ("y_train", "y_val", "y_test"):
                y = getattr(data, split)
                if y is not None:
                    setattr(data, split, keras.utils.to_categorical(y, k).astype("float32"))
        elif data.train_ds is not None:
            for split in ("train_ds", "val_ds", "test_ds"):
                ds = getattr(data, split)
                if ds is not None:
                    setattr(data, split, ds.map(lambda x, y, k=k: (x, _one_hot(y, k))))
        notices.append(f"integer labels one-hot encoded into {k} columns for {loss}")
    elif units == 1 and data.y_train is not None and data.y_train.ndim == 1:
        for split in ("y_train", "y_val", "y_test"):
            y = getattr(data, split)
            if y is not None:
                setattr(data, split, np.asarray(y).reshape(-1, 1).astype("float32"))
    elif units == 1 and data.train_ds is not None:
        # Folder labels come as a (batch,) int vector; metrics such as F1 need the (batch, 1)
        # float column the single output gives, as the array branch above makes.
        for split in ("train_ds", "val_ds", "test_ds"):
            ds = getattr(data, split)
            if ds is not None:
                setattr(data, split, ds.map(lambda x, y: (x, _column(y))))
    return notices


def keras_fit(model: Any, data: Any, epochs: int, fit: FitSpec, callbacks: list[Any]) -> None:
    """``model.fit`` on the data's arrays or its tf.data pipeline, quietly (verbose=0)."""
    if data.x_train is not None:
        validation = (data.x_val, data.y_val) if data.x_val is not None else None
        model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=fit.batch_size,
                  validation_data=validation, shuffle=fit.shuffle, callbacks=callbacks, verbose=0)
    else:
        # shuffle=False: the folder loader shuffles the dataset itself, and Keras's default
        # True only prints a UserWarning for a tf.data input.
        model.fit(data.train_ds, epochs=epochs, validation_data=data.val_ds, shuffle=False,
                  callbacks=callbacks, verbose=0)


def cardinality(ds: Any) -> int | None:
    """The batches a tf.data pipeline yields, or None when TensorFlow cannot tell."""
    n = int(ds.cardinality())
    return n if n >= 0 else None


def _one_hot(y: Any, k: int) -> Any:
    import tensorflow as tf

    return tf.one_hot(tf.cast(tf.reshape(y, [-1]), tf.int32), k)


def _column(y: Any) -> Any:
    import tensorflow as tf

    return tf.reshape(tf.cast(y, tf.float32), [-1, 1])
