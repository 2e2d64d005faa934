"""``sklearn:NAME``: the small data sets bundled with scikit-learn, which work offline."""

from __future__ import annotations

import numpy as np

from nnbench.core.data.arrays import DEFAULT_TEST_SPLIT, Source, hold_out_test, labels_task
from nnbench.core.preset import DataSpec, FitSpec

OFFLINE_PRESETS = ("digits-mlp", "digits-cnn", "cancer-binary", "diabetes-regression")
"""Bundled presets whose data ships with scikit-learn, so they train without internet."""


def load_sklearn(spec: DataSpec, fit: FitSpec) -> Source:
    """A bundled scikit-learn data set, offline (``sklearn:`` sources)."""
    from sklearn import datasets

    name = spec.target_name
    bunch = getattr(datasets, f"load_{name}")()
    x = np.asarray(bunch.data, dtype=np.float32)
    if name == "diabetes":
        task, class_names = "regression", None
    else:
        class_names = [str(n) for n in bunch.target_names]
        task = labels_task(len(class_names))
    fraction = spec.test_split or DEFAULT_TEST_SPLIT
    x_train, x_test, y_train, y_test, note = hold_out_test(x, bunch.target, fraction, fit.seed,
                                                            task, spec.source)
    return Source(x_train, y_train, x_test, y_test, task, class_names, notes=[note])
