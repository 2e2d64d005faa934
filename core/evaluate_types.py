"""What an evaluation holds: the scores, the predictions, and the samples worth showing.

An ``Evaluation`` keeps every sample's true and predicted class (cheap: two numbers a sample) but
only the *samples* (pixels, text, rows) of the mistakes a person can be shown: the most confident
ones of every filter (``core/evaluate_samples.py`` picks them). A sample that was not kept reads
as an ``Example`` of kind ``none`` that says so; nothing loads the data set again to show one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from nnbench.core.errors import NnbenchError
from nnbench.core.i18n import N_, _

QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
"""The residual quantiles a summary reports."""

DEFAULT_MISTAKES = 20
SHOWN = 64
"""Mistakes (or residuals) drawn at most for one filter: a grid of 64 pictures, as the data
preview's; their samples are the ones an evaluation keeps."""


class EvaluateError(NnbenchError):
    """A run cannot be evaluated: no model, an unreadable preset, data that is not available."""

    title = N_("Cannot evaluate")


@dataclass(frozen=True)
class Example:
    """One sample as a person sees it.

    ``kind`` says which field holds it: ``text`` (text folders, decoded IMDB/Reuters reviews),
    ``row`` (tabular data: (column name, value) pairs, values as in the data file, before scaling),
    ``image`` (``pixels``: height x width x channels, or height x width, values as on disk),
    ``sequence`` (word indices that could not be decoded), ``values`` (any other array, flattened
    into ``row``) or ``none`` (no sample to show: ``text`` says why). ``path`` names the file a
    folder sample came from.
    """

    kind: Literal["text", "row", "image", "sequence", "values", "none"]
    text: str | None = None
    row: tuple[tuple[str, float], ...] = ()
    pixels: np.ndarray | None = field(default=None, compare=False, repr=False)
    path: str | None = None

    def one_line(self, width: int = 80) -> str:
        """A single-line description that fits ``width`` characters (for lists and the CLI)."""
        if self.kind == "text" and self.text is not None:
            line = " ".join(self.text.split())
        elif self.kind in ("row", "values") and self.row:
            line = "  ".join(f"{name}={short(value)}" for name, value in self.row)
        elif self.kind == "image" and self.pixels is not None:
            shape = "x".join(str(d) for d in self.pixels.shape)
            line = _("image {shape}, pixel values {low}..{high}").format(
                shape=shape, low=short(float(self.pixels.min())), high=short(float(self.pixels.max())))
        else:
            line = self.text or ""
        if self.path and self.kind != "none":
            line = f"{self.path.rsplit('/', 1)[-1]}: {line}"
        return line if len(line) <= width else line[: max(width - 1, 0)] + "…"


@dataclass(frozen=True)
class ClassScores:
    """Precision, recall, F1 and support of one class (or their macro average)."""

    name: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Mistake:
    """A sample the model got wrong: its position in the evaluated split, the true class, the
    predicted class and the probability the model gave the predicted class."""

    index: int
    true: int
    predicted: int
    probability: float
    true_name: str
    predicted_name: str
    example: Example


@dataclass(frozen=True)
class Residual:
    """A regression sample: ``residual = true - predicted``."""

    index: int
    true: float
    predicted: float
    residual: float
    example: Example


@dataclass(frozen=True)
class ResidualSummary:
    count: int
    mean: float
    """Mean residual (true - predicted): the bias; positive means the model predicts too low."""
    mae: float
    rmse: float
    r2: float | None
    quantiles: dict[float, float]
    largest: list[Residual]
    """The largest absolute residuals, largest first."""


@dataclass
class Evaluation:
    run_id: str
    run_dir: str
    preset_name: str
    source: str
    task: str
    """"binary", "multiclass" or "regression"."""
    split: Literal["test", "validation"]
    samples: int
    notes: list[str] = field(default_factory=list)
    """What a person should know about how the numbers came about (which split, and why)."""
    class_names: list[str] = field(default_factory=list)
    confusion: np.ndarray | None = None
    """(classes, classes) counts: row = true class, column = predicted class."""
    per_class: list[ClassScores] = field(default_factory=list)
    macro: ClassScores | None = None
    accuracy: float | None = None
    y_true: np.ndarray | None = field(default=None, repr=False)
    y_pred: np.ndarray | None = field(default=None, repr=False)
    """Predicted class indices (classification) or predicted values (regression)."""
    probabilities: np.ndarray | None = field(default=None, repr=False)
    """(samples, classes) probabilities (a sigmoid output p becomes [1 - p, p])."""
    residuals: ResidualSummary | None = None
    kept: dict[int, Example] = field(default_factory=dict, repr=False)
    """The samples kept to show, by index in the evaluated split: the mistakes' (or the largest
    residuals'), never the whole split."""

    @property
    def is_classification(self) -> bool:
        return self.task != "regression"

    @property
    def confidence(self) -> np.ndarray:
        """The probability the model gave the class it predicted, per sample."""
        assert self.probabilities is not None and self.y_pred is not None
        return self.probabilities[np.arange(len(self.y_pred)), self.y_pred]

    def class_index(self, name_or_index: int | str) -> int:
        """A class given by index or by name; an ``EvaluateError`` names the choices."""
        if not self.is_classification:
            raise EvaluateError(_("run {run_id} is a regression: it has no classes to filter by; "
                                  "its largest residuals are listed instead").format(
                run_id=self.run_id))
        if isinstance(name_or_index, (int, np.integer)) and 0 <= name_or_index < len(self.class_names):
            return int(name_or_index)
        text = str(name_or_index)
        if text in self.class_names:
            return self.class_names.index(text)
        if text.isdigit() and int(text) < len(self.class_names):
            return int(text)
        raise EvaluateError(_("no class {name} in run {run_id}; the classes are {classes} (or "
                              "their numbers 0..{last})").format(
            name=repr(text), run_id=self.run_id, classes=", ".join(self.class_names),
            last=len(self.class_names) - 1))

    def mistake_indices(self, *, true: int | str | None = None,
                        predicted: int | str | None = None) -> np.ndarray:
        """Indices of the wrong predictions, most confident first (ties: lower index first)."""
        if not self.is_classification:
            return np.array([], dtype=np.int64)
        assert self.y_true is not None and self.y_pred is not None
        wrong = self.y_true != self.y_pred
        if true is not None:
            wrong &= self.y_true == self.class_index(true)
        if predicted is not None:
            wrong &= self.y_pred == self.class_index(predicted)
        indices = np.flatnonzero(wrong)
        # Stable sort on -confidence keeps equal confidences in index order.
        return indices[np.argsort(-self.confidence[indices], kind="stable")]

    def mistakes(self, *, true: int | str | None = None, predicted: int | str | None = None,
                 limit: int | None = DEFAULT_MISTAKES) -> list[Mistake]:
        """The samples the model gets most confidently wrong, filtered by true or predicted class."""
        if not self.is_classification:
            return []
        indices = self.mistake_indices(true=true, predicted=predicted)
        if limit is not None:
            indices = indices[:limit]
        assert self.y_true is not None and self.y_pred is not None
        confidence = self.confidence
        return [Mistake(index=int(i), true=int(self.y_true[i]), predicted=int(self.y_pred[i]),
                        probability=float(confidence[i]),
                        true_name=self.class_names[int(self.y_true[i])],
                        predicted_name=self.class_names[int(self.y_pred[i])],
                        example=self.example(int(i)))
                for i in indices]

    def example(self, index: int) -> Example:
        """Sample ``index`` of the evaluated split, as a person sees it (if it was kept)."""
        found = self.kept.get(index)
        if found is not None:
            return found
        return Example("none", text=_("sample {index} was not kept (an evaluation keeps the "
                                      "{shown} most confident mistakes of each filter)").format(
            index=index, shown=SHOWN))


def short(value: float | None) -> str:
    """A number as short as it reads well: 5.8, 1.23e+05, 0.000123."""
    if value is None or not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    size = abs(value)
    return f"{value:.3g}" if size < 1e-3 or size >= 1e5 else f"{value:.4g}"
