"""Evaluate a finished run: what it gets right and wrong on data it never trained on.

``evaluate_run(run_dir)`` loads the run's ``preset.toml`` and ``model.keras`` (the model the run
ended with: the restored best weights when EarlyStopping restored them), reloads the data with
``core.data.load_data`` exactly as training did (same preset, same seed, so the same split), and
predicts on the test split, or on the validation split when the run has no test split.

Classification: the confusion matrix (rows are true classes, columns predicted ones, as
scikit-learn's ``confusion_matrix``), per-class precision / recall / F1 / support (scikit-learn's
``precision_recall_fscore_support`` with ``zero_division=0``), accuracy, and the samples it gets
most confidently wrong. Regression: a residual summary and the largest residuals. Every sample
shown carries what a person needs to see it: the text, the row with its column names, or the
pixels.

TensorFlow and Keras load only inside ``evaluate_run``; importing this module stays instant.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from nnbench.core.data.readable import cached_word_index, decode_sequence, feature_names
from nnbench.core.errors import DataError, NnbenchError, PresetError

QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
"""The residual quantiles a summary reports."""

DEFAULT_MISTAKES = 20


class EvaluateError(NnbenchError):
    """A run cannot be evaluated: no model, an unreadable preset, data that is not available."""

    title = "Cannot evaluate"


# --- what an evaluation holds ----------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One sample as a person sees it.

    ``kind`` says which field holds it: ``text`` (text folders, decoded IMDB/Reuters reviews),
    ``row`` (tabular data: (column name, value) pairs, values as in the data file, before scaling),
    ``image`` (``pixels``: height x width x channels, or height x width), ``sequence`` (word
    indices that could not be decoded) or ``values`` (any other array, flattened into ``row``).
    """

    kind: Literal["text", "row", "image", "sequence", "values"]
    text: str | None = None
    row: tuple[tuple[str, float], ...] = ()
    pixels: np.ndarray | None = field(default=None, compare=False, repr=False)

    def one_line(self, width: int = 80) -> str:
        """A single-line description that fits ``width`` characters (for lists and the CLI)."""
        if self.kind == "text" and self.text is not None:
            line = " ".join(self.text.split())
        elif self.kind in ("row", "values"):
            line = "  ".join(f"{name}={_short(value)}" for name, value in self.row)
        elif self.kind == "image" and self.pixels is not None:
            shape = "x".join(str(d) for d in self.pixels.shape)
            line = (f"image {shape}, pixel values {_short(float(self.pixels.min()))}.."
                    f"{_short(float(self.pixels.max()))}")
        else:
            line = self.text or ""
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
    _examples: _ExampleSource | None = field(default=None, repr=False)

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
        if isinstance(name_or_index, (int, np.integer)) and 0 <= name_or_index < len(self.class_names):
            return int(name_or_index)
        text = str(name_or_index)
        if text in self.class_names:
            return self.class_names.index(text)
        if text.isdigit() and int(text) < len(self.class_names):
            return int(text)
        raise EvaluateError(f"no class {text!r} in run {self.run_id}; the classes are "
                            f"{', '.join(self.class_names)} (or their numbers 0.."
                            f"{len(self.class_names) - 1})")

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
        """Sample ``index`` of the evaluated split, as a person sees it."""
        if self._examples is None:
            return Example("values", text=f"sample {index}")
        return self._examples.example(index)


# --- metrics (from the confusion matrix, as scikit-learn computes them) -------------------------


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


def residual_summary(y_true: np.ndarray, y_pred: np.ndarray, examples: _ExampleSource | None,
                     largest: int = 10) -> ResidualSummary:
    y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
    residual = y_true - y_pred
    flat = residual.reshape(-1)
    variance = float(np.var(y_true.reshape(-1)))
    r2 = 1.0 - float(np.mean(flat ** 2)) / variance if variance > 0 else None
    # One residual per sample for the ranking: the largest of its outputs.
    per_sample = np.abs(residual).max(axis=1)
    order = np.argsort(-per_sample, kind="stable")[:largest]
    rows = []
    for i in order:
        j = int(np.argmax(np.abs(residual[i])))
        rows.append(Residual(int(i), float(y_true[i, j]), float(y_pred[i, j]), float(residual[i, j]),
                             examples.example(int(i)) if examples else Example("values")))
    return ResidualSummary(
        count=len(y_true), mean=float(flat.mean()), mae=float(np.abs(flat).mean()),
        rmse=float(math.sqrt(float(np.mean(flat ** 2)))), r2=r2,
        quantiles={q: float(np.quantile(flat, q)) for q in QUANTILES}, largest=rows)


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
            notes.append("the model's output is not a probability (no sigmoid on the last layer): "
                         "a sigmoid was applied to read it as one")
            p = 1.0 / (1.0 + np.exp(-p))
        return np.stack([1.0 - p, p], axis=1)
    sums = outputs.sum(axis=1)
    if outputs.size and (outputs.min() < 0 or not np.allclose(sums, 1.0, atol=1e-3)):
        notes.append("the model's outputs are not probabilities (no softmax on the last layer): "
                     "a softmax was applied to read them as probabilities")
        shifted = outputs - outputs.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        return exp / exp.sum(axis=1, keepdims=True)
    return outputs


# --- how samples are shown ----------------------------------------------------------------------


class _ExampleSource:
    """Turns an index of the evaluated split into an ``Example``."""

    def __init__(self, *, x: np.ndarray | None = None, feature_names: list[str] | None = None,
                 texts: list[str] | None = None,
                 word_index: dict[str, int] | None = None, image_scale: float = 1.0,
                 image: bool = False) -> None:
        self.x = x
        self.feature_names = feature_names
        self.texts = texts
        self.word_index = word_index
        self.image_scale = image_scale
        self.image = image

    def example(self, index: int) -> Example:
        if self.texts is not None:
            return Example("text", text=self.texts[index])
        if self.x is None:
            return Example("values", text=f"sample {index}")
        sample = self.x[index]
        if self.image:
            return Example("image", pixels=np.asarray(sample, dtype=np.float32) * self.image_scale)
        if sample.dtype.kind in "iu" and sample.ndim == 1 and self.feature_names is None:
            if self.word_index is not None:
                return Example("text", text=decode_sequence(sample, self.word_index))
            words = [int(v) for v in sample if v != 0]
            return Example("sequence", text=" ".join(str(v) for v in words))
        flat = np.asarray(sample).reshape(-1)
        names = self.feature_names if self.feature_names and len(self.feature_names) == len(flat) \
            else [f"x{i}" for i in range(len(flat))]
        kind: Literal["row", "values"] = "row" if self.feature_names else "values"
        # float32 -> its shortest decimal (5.8, not 5.800000190734863), as in the data file
        values = [float(str(v)) if isinstance(v, np.floating) else float(v) for v in flat]
        return Example(kind, row=tuple(zip(names, values, strict=True)))


# --- evaluating a run -----------------------------------------------------------------------------


def evaluate_run(run_dir: str | Path, *, split: Literal["test", "validation"] | None = None
                 ) -> Evaluation:
    """Predict with a run's final model on the data it never trained on.

    ``split`` chooses the data; by default the test split, else the validation split.

    Raises:
        EvaluateError: no run folder, no model.keras, an unreadable preset.toml or model, no test
            or validation data, or data that cannot be reloaded (offline, moved files).
    """
    from nnbench.core.preset import loads_preset

    run = Path(run_dir)
    if not run.is_dir():
        raise EvaluateError(f"no run folder at {run}; `nnbench runs` lists the runs")
    preset_path, model_path = run / "preset.toml", run / "model.keras"
    try:
        text = preset_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvaluateError(f"{preset_path}: cannot read the run's preset ({getattr(exc, 'strerror', exc)}); "
                            "the run folder is incomplete, so it cannot be evaluated") from None
    try:
        preset = loads_preset(text, file=str(preset_path))
    except PresetError as exc:
        raise EvaluateError(f"{exc.message}; fix the run's preset.toml to evaluate it") from None
    if not model_path.is_file():
        status = _status(run)
        why = {"running": "it is still training; evaluate it when it ends",
               "interrupted": "it was interrupted before saving one; resume it with "
                              f"`nnbench resume {run.name}`"}.get(
            status or "", "the run ended without saving a model; train it again")
        raise EvaluateError(f"{run}: no model.keras ({why})")

    from nnbench.core.data import load_data
    from nnbench.core.keras_env import import_keras

    keras = import_keras()
    fit = preset.fit
    if fit.seed is not None:
        keras.utils.set_random_seed(fit.seed)  # as the Trainer does before loading the data
    try:
        data = load_data(preset.data, fit)
    except DataError as exc:
        raise EvaluateError(f"cannot reload the data of run {run.name}: {exc.message}") from None
    try:
        model = keras.saving.load_model(model_path, compile=False)
    except Exception as exc:  # a truncated or foreign file: say which, never a traceback
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise EvaluateError(f"{model_path}: cannot load the model ({reason}); the file may be "
                            "incomplete; train the run again") from None

    notes: list[str] = []
    chosen = _choose_split(data, split, run.name, notes)
    info = data.info
    if data.x_train is not None:
        x, y = (data.x_test, data.y_test) if chosen == "test" else (data.x_val, data.y_val)
        outputs = model.predict(x, batch_size=fit.batch_size, verbose=0)
        examples = _array_examples(preset, data, x, chosen)
    else:
        ds = data.test_ds if chosen == "test" else data.val_ds
        x_kept, y_parts, out_parts = [], [], []
        image = preset.data.scheme == "images"
        for x_batch, y_batch in ds:  # one pass: labels and predictions stay in step
            out_parts.append(np.asarray(model.predict_on_batch(x_batch)))
            y_parts.append(np.asarray(y_batch))
            if image:
                x_kept.append(np.asarray(x_batch))
        outputs, y = np.concatenate(out_parts), np.concatenate(y_parts)
        x = np.concatenate(x_kept) if x_kept else None
        examples = _folder_examples(preset, chosen, info.class_names or [], x)

    evaluation = Evaluation(run_id=run.name, run_dir=str(run), preset_name=preset.name,
                            source=preset.data.source, task=data.task, split=chosen,
                            samples=len(y), notes=notes, _examples=examples)
    if data.task == "regression":
        evaluation.y_true, evaluation.y_pred = np.asarray(y), np.asarray(outputs)
        evaluation.residuals = residual_summary(np.asarray(y), np.asarray(outputs), examples)
        return evaluation
    probabilities = as_probabilities(np.asarray(outputs), notes)
    k = probabilities.shape[1]
    names = list(info.class_names or [str(i) for i in range(max(k, info.num_classes or 0))])
    if len(names) != k:
        raise EvaluateError(f"{model_path}: the model has {k} outputs but the data has "
                            f"{len(names)} classes; it cannot be read as a classifier of this data")
    y_true = np.asarray(y).reshape(-1).astype(np.int64)
    y_pred = probabilities.argmax(axis=1)
    matrix = confusion_matrix(y_true, y_pred, k)
    scores = class_scores(matrix, names)
    evaluation.class_names = names
    evaluation.confusion = matrix
    evaluation.per_class = scores
    evaluation.macro = macro_average(scores)
    evaluation.accuracy = float(np.trace(matrix) / max(int(matrix.sum()), 1))
    evaluation.y_true, evaluation.y_pred = y_true, y_pred
    evaluation.probabilities = probabilities
    return evaluation


def _status(run: Path) -> str | None:
    from nnbench.core.runs import RunStore

    try:
        return RunStore(run.parent).read(run).status
    except (NnbenchError, OSError):
        return None


def _choose_split(data: Any, split: str | None, run_id: str,
                  notes: list[str]) -> Literal["test", "validation"]:
    has_test = data.x_test is not None or data.test_ds is not None
    has_val = data.x_val is not None or data.val_ds is not None
    if split == "test" and not has_test:
        raise EvaluateError(f"run {run_id} has no test split; evaluate its validation split, or set "
                            "data.test_split (e.g. 0.2) and train again")
    if split == "validation" and not has_val:
        raise EvaluateError(f"run {run_id} has no validation split; evaluate its test split, or set "
                            "fit.validation_split and train again")
    if split is None:
        if has_test:
            split = "test"
        elif has_val:
            split = "validation"
            notes.append("the run has no test split, so these numbers are on the validation split "
                         "(which EarlyStopping and checkpoints may have seen); set data.test_split "
                         "for unseen data")
        else:
            raise EvaluateError(f"run {run_id} has neither a test nor a validation split, so there "
                                "is no unseen data to evaluate on; set data.test_split (e.g. 0.2) "
                                "and train again")
    if split == "test" and getattr(data, "x_val", None) is data.x_test and data.x_test is not None:
        notes.append("the run also validated on this test split (fit.validation_data = \"test\")")
    return split  # type: ignore[return-value]


def _array_examples(preset: Any, data: Any, x: np.ndarray, split: str) -> _ExampleSource:
    spec = preset.data
    if x.dtype.kind in "iu":  # word indices (imdb, reuters)
        return _ExampleSource(x=x, word_index=cached_word_index(spec.source.partition(":")[2])
                              if spec.source.startswith("keras:") else None)
    if x.ndim >= 3:  # images: height x width (x channels)
        return _ExampleSource(x=x, image=True,
                              image_scale=255.0 if spec.scaling == "divide255" else 1.0)
    raw = x
    if spec.scaling == "standardize":
        # The row as it is in the data file: the same split without scaling (splitting doesn't
        # depend on scaling, so the rows line up).
        from nnbench.core.data import load_data

        unscaled = load_data(spec.model_copy(update={"scaling": "none"}), preset.fit)
        raw = unscaled.x_test if split == "test" else unscaled.x_val
    elif spec.scaling == "divide255":
        raw = x * np.float32(255.0)
    return _ExampleSource(x=raw, feature_names=feature_names(
        spec.source, spec.target, int(np.prod(x.shape[1:]))))


def _folder_examples(preset: Any, split: str, class_names: list[str],
                     x: np.ndarray | None) -> _ExampleSource:
    spec = preset.data
    if spec.scheme == "images":
        return _ExampleSource(x=x, image=True,
                              image_scale=255.0 if spec.scaling == "divide255" else 1.0)
    return _ExampleSource(texts=_folder_texts(preset, split, class_names))


def _folder_texts(preset: Any, split: str, class_names: list[str]) -> list[str] | None:
    """The texts of a text folder's evaluated split, in the order its dataset yields them (Keras
    yields test files and the validation subset unshuffled, so a second read lines up)."""
    from nnbench.core.keras_env import import_keras

    keras = import_keras()
    root = Path(preset.data.target_name).expanduser()
    fit = preset.fit
    has_split = (root / "train").is_dir() and (root / "test").is_dir()
    train_dir, test_dir = (root / "train", root / "test") if has_split else (root, None)
    read = keras.utils.text_dataset_from_directory
    try:
        if split == "test" or fit.validation_data == "test":
            ds = read(test_dir, class_names=class_names, shuffle=False, batch_size=fit.batch_size,
                      verbose=False)
        else:
            ds = read(train_dir, validation_split=fit.validation_split, subset="both", shuffle=True,
                      seed=fit.seed or 0, batch_size=fit.batch_size, verbose=False)[1]
        return [bytes(t).decode("utf-8", errors="replace")
                for texts, _ in ds for t in texts.numpy()]
    except (ValueError, TypeError):
        return None


def _short(value: float) -> str:
    if value is None or not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    size = abs(value)
    return f"{value:.3g}" if size < 1e-3 or size >= 1e5 else f"{value:.4g}"


# --- the report `nnbench evaluate` prints ---------------------------------------------------------


def evaluation_report(evaluation: Evaluation, *, limit: int = 10, true: int | str | None = None,
                      predicted: int | str | None = None, width: int = 100) -> str:
    """The confusion matrix with class names, the per-class table and the top mistakes (or, for
    regression, the residual summary and the largest residuals), as plain text lines."""
    from nnbench.core.text import cell_cut, cell_pad, printable

    e = evaluation
    lines = [f"run {printable(e.run_id)} ({printable(e.preset_name)})  data {printable(e.source)}  "
             f"{e.split} split, {e.samples:,} samples"]
    lines += [f"note: {printable(note)}" for note in e.notes]
    if not e.is_classification:
        r = e.residuals
        assert r is not None
        lines += ["", "residuals (true - predicted)",
                  f"  mean {_short(r.mean)}  MAE {_short(r.mae)}  RMSE {_short(r.rmse)}"
                  + (f"  R2 {r.r2:.4f}" if r.r2 is not None else ""),
                  "  quantiles  " + "  ".join(f"{q:.0%} {_short(v)}" for q, v in r.quantiles.items()),
                  "", f"largest residuals ({min(limit, len(r.largest))} of {r.count:,})"]
        for item in r.largest[:limit]:
            head = (f"  #{item.index:<5} true {_short(item.true):>9}  predicted "
                    f"{_short(item.predicted):>9}  residual {_short(item.residual):>9}  ")
            lines.append(head + printable(item.example.one_line(max(width - len(head), 10))))
        return "\n".join(lines)

    names = [printable(n) for n in e.class_names]
    matrix = e.confusion
    assert matrix is not None and e.accuracy is not None and e.macro is not None
    label_w = min(max(len("true \\ predicted"), *(len(n) for n in names)), 20)
    digits = len(f"{int(matrix.max()) if matrix.size else 0:,}")
    cell_w = max(digits, min(max(len(n) for n in names), 10)) + 2
    lines += ["", f"accuracy {e.accuracy:.4f}  ({int(np.trace(matrix)):,} of {int(matrix.sum()):,})",
              "", "confusion matrix (rows: true class, columns: predicted class)"]
    header = cell_pad("true \\ predicted", label_w) + "".join(
        cell_pad(cell_cut(n, cell_w - 2), cell_w, ">") for n in names)
    lines.append(header)
    for name, row in zip(names, matrix, strict=True):
        lines.append(cell_pad(cell_cut(name, label_w), label_w)
                     + "".join(f"{int(v):>{cell_w},}" for v in row))
    lines += ["", cell_pad("class", label_w) + f"{'precision':>11}{'recall':>9}{'f1':>9}{'support':>9}"]
    for s in [*e.per_class, e.macro]:
        lines.append(cell_pad(cell_cut(printable(s.name), label_w), label_w)
                     + f"{s.precision:>11.4f}{s.recall:>9.4f}{s.f1:>9.4f}{s.support:>9,}")
    wrong = e.mistake_indices(true=true, predicted=predicted)
    which = []
    if true is not None:
        which.append(f"true {names[e.class_index(true)]}")
    if predicted is not None:
        which.append(f"predicted {names[e.class_index(predicted)]}")
    shown = e.mistakes(true=true, predicted=predicted, limit=limit)
    lines += ["", f"most confident mistakes{' (' + ', '.join(which) + ')' if which else ''}: "
                  f"{len(shown)} of {len(wrong):,}"]
    for m in shown:
        head = (f"  #{m.index:<5} true {cell_pad(cell_cut(printable(m.true_name), 14), 14)} "
                f"predicted {cell_pad(cell_cut(printable(m.predicted_name), 14), 14)} "
                f"p={m.probability:.3f}  ")
        lines.append(head + printable(m.example.one_line(max(width - len(head), 10))))
    if not shown:
        lines.append("  none")
    return "\n".join(lines)
