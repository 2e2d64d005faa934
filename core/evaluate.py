"""Evaluate a finished run: what it gets right and wrong on data it never trained on.

``evaluate_run(run_dir)`` loads the run's ``preset.toml`` and ``model.keras`` (the model the run
ended with: the restored best weights when EarlyStopping restored them), reloads the data with
``core.data.load_data`` as training did (same preset, same seed, so the same split), and predicts
on the test split, or on the validation split when the run has no test split.

Classification: the confusion matrix (rows are true classes, columns predicted ones, as
scikit-learn's ``confusion_matrix``), per-class precision / recall / F1 / support (scikit-learn's
``precision_recall_fscore_support`` with ``zero_division=0``), accuracy, and the samples it gets
most confidently wrong. Regression: a residual summary and the largest residuals. The samples
shown carry what a person needs to see them (the text, the row with its column names, the
pixels); only theirs are kept (``core/evaluate_samples.py``).

The pieces: ``evaluate_types`` (what an evaluation holds), ``evaluate_metrics`` (the numbers),
``evaluate_samples`` (which samples are kept, read as a person sees them), ``evaluate_draw``
(mistakes drawn as the data preview draws samples), ``evaluate_report`` (``nnbench evaluate``'s
text) and ``evaluate_cli`` (its options). Their public names import from here too.

TensorFlow and Keras load only inside ``evaluate_run``; importing this module stays instant.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np

from nnbench.core.data.readable import decode_sequence as decode_sequence
from nnbench.core.errors import DataError, NnbenchError, PresetError
from nnbench.core.evaluate_metrics import as_probabilities as as_probabilities
from nnbench.core.evaluate_metrics import class_scores as class_scores
from nnbench.core.evaluate_metrics import confusion_matrix as confusion_matrix
from nnbench.core.evaluate_metrics import macro_average as macro_average
from nnbench.core.evaluate_metrics import residual_order, residual_summary
from nnbench.core.evaluate_report import evaluation_report as evaluation_report
from nnbench.core.evaluate_samples import ArraySamples, FolderSamples, mistakes_to_keep
from nnbench.core.evaluate_types import DEFAULT_MISTAKES as DEFAULT_MISTAKES
from nnbench.core.evaluate_types import QUANTILES as QUANTILES
from nnbench.core.evaluate_types import SHOWN
from nnbench.core.evaluate_types import ClassScores as ClassScores
from nnbench.core.evaluate_types import EvaluateError as EvaluateError
from nnbench.core.evaluate_types import Evaluation as Evaluation
from nnbench.core.evaluate_types import Example as Example
from nnbench.core.evaluate_types import Mistake as Mistake
from nnbench.core.evaluate_types import Residual as Residual
from nnbench.core.evaluate_types import ResidualSummary as ResidualSummary
from nnbench.core.i18n import _

Samples: TypeAlias = ArraySamples | FolderSamples


def evaluate_run(run_dir: str | Path, *, split: Literal["test", "validation"] | None = None
                 ) -> Evaluation:
    """Predict with a run's final model on the data it never trained on.

    ``split`` chooses the data; by default the test split, else the validation split.

    Raises:
        EvaluateError: no run folder, no model.keras, an unreadable preset.toml or model, no test
            or validation data, or data that cannot be reloaded (offline, moved or broken files).
    """
    run = Path(run_dir)
    preset, model_path = _read_run(run)
    from nnbench.core.keras_env import import_keras

    keras = import_keras()
    fit = preset.fit
    if fit.seed is not None:
        keras.utils.set_random_seed(fit.seed)  # as the Trainer does before loading the data
    data, raw = _load(preset, run)
    model = _load_model(keras, model_path)

    notes: list[str] = []
    chosen = choose_split(data, split, run.name, notes)
    info = data.info
    samples: Samples
    if data.x_train is not None:
        x, y = (data.x_test, data.y_test) if chosen == "test" else (data.x_val, data.y_val)
        assert y is not None  # choose_split chose a split that exists
        outputs = model.predict(x, batch_size=fit.batch_size, verbose=0)
        samples = ArraySamples(raw.x_test if chosen == "test" else raw.x_val, preset.data)
    else:
        ds = data.test_ds if chosen == "test" else data.val_ds
        outputs, y = _predict_batches(model, ds, preset.data.target_name)
        samples = FolderSamples(preset, chosen, info.class_names or [], len(y))

    evaluation = Evaluation(run_id=run.name, run_dir=str(run), preset_name=preset.name,
                            source=preset.data.source, task=data.task, split=chosen,
                            samples=len(y), notes=notes)
    if data.task == "regression":
        evaluation.y_true, evaluation.y_pred = np.asarray(y), np.asarray(outputs)
        evaluation.kept = samples.examples(residual_order(y, outputs)[:SHOWN].tolist())
        evaluation.residuals = residual_summary(np.asarray(y), np.asarray(outputs),
                                                evaluation.kept, largest=SHOWN)
        return evaluation
    _score(evaluation, np.asarray(outputs), np.asarray(y), info, model_path)
    assert evaluation.y_true is not None and evaluation.y_pred is not None
    evaluation.kept = samples.examples(
        mistakes_to_keep(evaluation.y_true, evaluation.y_pred, evaluation.confidence))
    return evaluation


def _read_run(run: Path) -> tuple[Any, Path]:
    """The run's preset and its model file; an ``EvaluateError`` says what is missing."""
    from nnbench.core.preset import loads_preset

    if not run.is_dir():
        raise EvaluateError(_("no run folder at {run}; `nnbench runs` lists the runs").format(run=run))
    preset_path, model_path = run / "preset.toml", run / "model.keras"
    try:
        text = preset_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvaluateError(_("{path}: cannot read the run's preset ({reason}); the run folder is "
                              "incomplete, so it cannot be evaluated").format(
            path=preset_path, reason=getattr(exc, "strerror", exc))) from None
    try:
        preset = loads_preset(text, file=str(preset_path))
    except PresetError as exc:
        raise EvaluateError(_("{problem}; fix the run's preset.toml to evaluate it").format(
            problem=exc.message)) from None
    if not model_path.is_file():
        status = _status(run)
        no_model = {
            "running": _("{run}: no model.keras (it is still training; evaluate it when it ends)"),
            "interrupted": _("{run}: no model.keras (it was interrupted before saving one; resume "
                             "it with `nnbench resume {run_id}`)"),
        }.get(status or "", _("{run}: no model.keras (the run ended without saving a model; train "
                              "it again)"))
        raise EvaluateError(no_model.format(run=run, run_id=run.name))
    return preset, model_path


def _load(preset: Any, run: Path) -> tuple[Any, Any]:
    """The data as the run trained on it, and the same data as in its files (unscaled).

    An array source loads once, unscaled, and is scaled here as ``load_data`` scales it (its own
    ``scale_inputs``, the training statistics): the rows a person is shown stay as in the data file
    without loading the data set a second time. Folders scale inside their pipelines; their
    samples are read from the files.
    """
    from nnbench.core.data import load_data

    spec = preset.data
    folder = spec.scheme in ("images", "text")
    try:
        raw = load_data(spec if folder or spec.scaling == "none"
                        else spec.model_copy(update={"scaling": "none"}), preset.fit)
    except DataError as exc:
        raise EvaluateError(_("cannot reload the data of run {run_id}: {problem}").format(
            run_id=run.name, problem=exc.message)) from None
    if folder or spec.scaling == "none":
        return raw, raw
    from nnbench.core.data.arrays import scale_inputs

    sequences = raw.x_train.dtype.kind in "iu"
    x_train, x_val, x_test = scale_inputs(raw.x_train, raw.x_val, raw.x_test, spec.scaling,
                                          sequences, [])
    if raw.x_val is not None and raw.x_val is raw.x_test:
        x_val = x_test  # fit.validation_data = "test": one array, as load_data gives it

    def as_x(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else np.ascontiguousarray(a, dtype=raw.x_train.dtype)

    return dataclasses.replace(raw, x_train=as_x(x_train), x_val=as_x(x_val),
                               x_test=as_x(x_test)), raw


def _load_model(keras: Any, model_path: Path) -> Any:
    try:
        return keras.saving.load_model(model_path, compile=False)
    except Exception as exc:  # a truncated or foreign file: say which, never a traceback
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise EvaluateError(_("{path}: cannot load the model ({reason}); the file may be "
                              "incomplete; train the run again").format(path=model_path,
                                                                        reason=reason)) from None


def _predict_batches(model: Any, ds: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    """One pass over a folder's dataset: labels and predictions stay in step; no sample kept."""
    import tensorflow as tf

    y_parts, out_parts = [], []
    try:
        for x_batch, y_batch in ds:
            out_parts.append(np.asarray(model.predict_on_batch(x_batch)))
            y_parts.append(np.asarray(y_batch))
    except tf.errors.OpError as exc:  # a file that decoded at training time and no longer does
        reason = " ".join(str(exc.message).split())[:200]
        raise EvaluateError(_("{where}: a file of the evaluated split cannot be read ({reason}); "
                              "remove or replace it, then evaluate again").format(
            where=where, reason=reason)) from None
    if not y_parts:
        raise EvaluateError(_("{where}: the evaluated split holds no files; put some in it, or "
                              "evaluate the other split with --split").format(where=where))
    return np.concatenate(out_parts), np.concatenate(y_parts)


def _score(evaluation: Evaluation, outputs: np.ndarray, y: np.ndarray, info: Any,
           model_path: Path) -> None:
    """Fill in a classifier's probabilities, confusion matrix and scores."""
    probabilities = as_probabilities(outputs, evaluation.notes)
    k = probabilities.shape[1]
    names = list(info.class_names or [str(i) for i in range(max(k, info.num_classes or 0))])
    if len(names) != k:
        raise EvaluateError(_("{path}: the model has {outputs} outputs but the data has {classes} "
                              "classes; it cannot be read as a classifier of this data").format(
            path=model_path, outputs=k, classes=len(names)))
    y_true = y.reshape(-1).astype(np.int64)
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


def _status(run: Path) -> str | None:
    from nnbench.core.runs import RunStore

    try:
        return RunStore(run.parent).read(run).status
    except (NnbenchError, OSError):
        return None


def choose_split(data: Any, split: str | None, run_id: str,
                 notes: list[str]) -> Literal["test", "validation"]:
    """The split to evaluate: ``split`` (refused when the run lacks it), else test, else validation."""
    has_test = data.x_test is not None or data.test_ds is not None
    has_val = data.x_val is not None or data.val_ds is not None
    if split == "test" and not has_test:
        raise EvaluateError(_("run {run_id} has no test split; evaluate its validation split, or "
                              "set data.test_split (e.g. 0.2) and train again").format(run_id=run_id))
    if split == "validation" and not has_val:
        raise EvaluateError(_("run {run_id} has no validation split; evaluate its test split, or "
                              "set fit.validation_split and train again").format(run_id=run_id))
    if split is None:
        if has_test:
            split = "test"
        elif has_val:
            split = "validation"
            notes.append(_("the run has no test split, so these numbers are on the validation "
                           "split (which EarlyStopping and checkpoints may have seen); set "
                           "data.test_split for unseen data"))
        else:
            raise EvaluateError(_("run {run_id} has neither a test nor a validation split, so "
                                  "there is no unseen data to evaluate on; set data.test_split "
                                  "(e.g. 0.2) and train again").format(run_id=run_id))
    if split == "test" and getattr(data, "x_val", None) is data.x_test and data.x_test is not None:
        notes.append(_('the run also validated on this test split (fit.validation_data = "test")'))
    return split  # type: ignore[return-value]
