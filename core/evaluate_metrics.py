"""The numbers of an evaluation, computed as scikit-learn computes them: the confusion matrix,
per-class precision / recall / F1, a residual summary; and a model's outputs read as
probabilities. NumPy only."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from nnbench.core.evaluate_types import QUANTILES, ClassScores, Example, Residual, ResidualSummary
from nnbench.core.i18n import _


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    """Counts with rows = true class, columns = predicted class (scikit-learn's layout)."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return matrix


def class_scores(matrix: np.ndarray, class_names: Sequence[str]) -> list[ClassScores]:
    """Per-class precision, recall, F1, support; 0 where a ratio has nothing to divide by (as
    scikit-learn's ``zero_division=0``)."""
    tp = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0).astype(np.float64)
    support = matrix.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(tp), where=total > 0)
    return [ClassScores(str(name), float(p), float(r), float(f), int(s))
            for name, p, r, f, s in zip(class_names, precision, recall, f1, support, strict=True)]


def macro_average(scores: Sequence[ClassScores]) -> ClassScores:
    return ClassScores("macro avg", float(np.mean([s.precision for s in scores])),
                       float(np.mean([s.recall for s in scores])),
                       float(np.mean([s.f1 for s in scores])), int(sum(s.support for s in scores)))


def residual_order(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Sample indices by the size of their residual, largest first (ties: lower index first);
    a sample with several outputs ranks by its largest."""
    residual = _as_2d(y_true) - _as_2d(y_pred)
    return np.argsort(-np.abs(residual).max(axis=1), kind="stable")


def residual_summary(y_true: np.ndarray, y_pred: np.ndarray,
                     examples: Mapping[int, Example] | None = None,
                     largest: int = 10) -> ResidualSummary:
    y_true, y_pred = _as_2d(y_true), _as_2d(y_pred)
    residual = y_true - y_pred
    flat = residual.reshape(-1)
    variance = float(np.var(y_true.reshape(-1)))
    r2 = 1.0 - float(np.mean(flat ** 2)) / variance if variance > 0 else None
    rows = []
    for i in residual_order(y_true, y_pred)[:largest]:
        j = int(np.argmax(np.abs(residual[i])))
        example = (examples or {}).get(int(i)) or Example("none", text=f"sample {int(i)}")
        rows.append(Residual(int(i), float(y_true[i, j]), float(y_pred[i, j]),
                             float(residual[i, j]), example))
    return ResidualSummary(
        count=len(y_true), mean=float(flat.mean()), mae=float(np.abs(flat).mean()),
        rmse=float(math.sqrt(float(np.mean(flat ** 2)))), r2=r2,
        quantiles={q: float(np.quantile(flat, q)) for q in QUANTILES}, largest=rows)


def _as_2d(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values.reshape(len(values), -1)


def as_probabilities(outputs: np.ndarray, notes: list[str]) -> np.ndarray:
    """(samples, classes) probabilities from a model's outputs: a sigmoid column p becomes
    [1 - p, p]; outputs that are not probabilities (a linear last layer: logits) get a softmax or
    sigmoid first, and a note says so."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim == 1:
        outputs = outputs.reshape(-1, 1)
    if outputs.shape[1] == 1:
        p = outputs[:, 0]
        if p.size and (p.min() < 0 or p.max() > 1):
            notes.append(_("the model's output is not a probability (no sigmoid on the last "
                           "layer): a sigmoid was applied to read it as one"))
            p = 1.0 / (1.0 + np.exp(-p))
        return np.stack([1.0 - p, p], axis=1)
    sums = outputs.sum(axis=1)
    if outputs.size and (outputs.min() < 0 or not np.allclose(sums, 1.0, atol=1e-3)):
        notes.append(_("the model's outputs are not probabilities (no softmax on the last layer): "
                       "a softmax was applied to read them as probabilities"))
        shifted = outputs - outputs.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        return exp / exp.sum(axis=1, keepdims=True)
    return outputs
