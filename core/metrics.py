"""Metrics Keras lacks, written as Keras metrics, and the name -> metric mapping nnbench uses."""

from __future__ import annotations

from typing import Any


def mean_absolute_scaled_error_class() -> type:
    """Build the MASE metric class (deferred so importing this module doesn't import Keras)."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="nnbench")
    class MeanAbsoluteScaledError(keras.metrics.Metric):
        """MASE: the model's mean absolute error divided by that of the naive forecast.

        The naive forecast predicts each target as the one before it, so the scale is the mean of
        ``|y[t] - y[t-1]|`` over consecutive targets seen in each batch. Below 1 beats naive.
        """

        def __init__(self, name: str = "mase", **kwargs: Any) -> None:
            super().__init__(name=name, **kwargs)
            self.abs_error = self.add_variable(shape=(), initializer="zeros", name="abs_error")
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")
            self.naive_error = self.add_variable(shape=(), initializer="zeros", name="naive_error")
            self.naive_count = self.add_variable(shape=(), initializer="zeros", name="naive_count")

        def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
            y_true = ops.reshape(ops.cast(y_true, "float32"), (-1,))
            y_pred = ops.reshape(ops.cast(y_pred, "float32"), (-1,))
            self.abs_error.assign_add(ops.sum(ops.abs(y_true - y_pred)))
            self.count.assign_add(ops.cast(ops.size(y_true), "float32"))
            self.naive_error.assign_add(ops.sum(ops.abs(y_true[1:] - y_true[:-1])))
            self.naive_count.assign_add(ops.cast(ops.maximum(ops.size(y_true) - 1, 0), "float32"))

        def result(self) -> Any:
            mae = ops.divide_no_nan(self.abs_error, self.count)
            naive = ops.divide_no_nan(self.naive_error, self.naive_count)
            return ops.divide_no_nan(mae, naive)

    return MeanAbsoluteScaledError


_MASE: type | None = None


def make_metric(name: str, task: str) -> Any:
    """A Keras metric (object or identifier) for a catalog metric name."""
    global _MASE
    import keras

    name = name.lower()
    if name in ("accuracy", "mae", "mse"):
        return name
    if name == "precision":
        return keras.metrics.Precision(name="precision")
    if name == "recall":
        return keras.metrics.Recall(name="recall")
    if name == "auc":
        return keras.metrics.AUC(name="auc")
    if name == "f1":
        if task == "binary":
            return keras.metrics.F1Score(average="micro", threshold=0.5, name="f1")
        return keras.metrics.F1Score(average="macro", name="f1")
    if name == "rmse":
        return keras.metrics.RootMeanSquaredError(name="rmse")
    if name == "r2":
        return keras.metrics.R2Score(name="r2")
    if name == "mase":
        if _MASE is None:
            _MASE = mean_absolute_scaled_error_class()
        return _MASE(name="mase")
    raise ValueError(name)
