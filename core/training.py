"""The Trainer: preset in, events out. Runs in whichever thread calls ``run()``.

Keras does the work (fit, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, CSVLogger,
TerminateOnNaN); ``_EventAdapter`` is a thin callback that turns what they did into plain events
and reads the stop / stop-after-epoch / pause Events the caller holds.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnbench.core import catalog
from nnbench.core.errors import ModelError, NnbenchError, PresetError, TrainingError
from nnbench.core.events import (
    BatchProgress,
    CheckpointSaved,
    EarlyStopped,
    EarlyStoppingState,
    EpochEnded,
    EpochStarted,
    Evaluated,
    LearningRateChanged,
    Listener,
    NonFiniteLoss,
    Notice,
    Paused,
    RunFinished,
    RunStarted,
)
from nnbench.core.keras_env import import_keras
from nnbench.core.preset import Preset
from nnbench.core.runs import RunRecorder, RunStore

log = logging.getLogger(__name__)

BATCH_EVENT_INTERVAL = 0.1
"""Seconds between batch progress events: at most ~10 a second, whatever the batch rate."""

BINARY_ONLY_METRICS = ("precision", "recall", "auc")


@dataclass
class TrainControls:
    """What the caller can do to a running fit, from any thread."""

    stop: threading.Event = field(default_factory=threading.Event)
    """Stop now: before the next batch starts."""
    stop_after_epoch: threading.Event = field(default_factory=threading.Event)
    pause: threading.Event = field(default_factory=threading.Event)


class _StopNow(Exception):
    """Raised inside fit() to leave it before the next batch."""


class Trainer:
    def __init__(self, preset: Preset, runs_dir: str | Path | None = None, *,
                 listeners: Iterable[Listener] = (),
                 controls: TrainControls | None = None, epochs: int | None = None) -> None:
        self.preset = preset
        self.store = RunStore(runs_dir)
        self.listeners = list(listeners)
        self.controls = controls or TrainControls()
        self.epochs = epochs or preset.fit.epochs
        self.epochs_done = 0

    def emit(self, event: Any) -> None:
        for listener in [*self._recorders, *self.listeners]:
            try:
                listener(event)
            except Exception:  # a broken listener must not kill the run
                log.exception("listener %r failed on %s", listener, type(event).__name__)

    def run(self) -> RunFinished:
        """Train, evaluate and save; always ends by emitting (and returning) ``RunFinished``."""
        run_dir: Path | None = None
        status, error, title = "finished", None, None
        self._recorders, self.non_finite = [], None
        try:
            # Everything that can be wrong with the preset, data or model is found before the run
            # folder exists: a run on disk is one that trained.
            prepared = self._prepare()
            run_dir = self.store.create(self.preset)
            self._recorders = [RunRecorder(run_dir)]
            status = self._fit(prepared, run_dir)
        except _StopNow:
            status = "stopped"
        except KeyboardInterrupt:
            status = "stopped"
        except NnbenchError as exc:
            status, error, title = "failed", exc.message, exc.title
        except Exception as exc:
            status, title = "failed", TrainingError.title
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            error = f"{type(exc).__name__}: {first_line}"
            if run_dir is not None:
                error += f" (finished epochs are kept in {run_dir}; details in error.log)"
                (run_dir / "error.log").write_text(traceback.format_exc(), encoding="utf-8")
        finally:
            if self._model is not None and run_dir is not None and status in ("stopped", "failed"):
                self._save_model(run_dir)
            final = RunFinished(status=status, run_dir=str(run_dir) if run_dir else None,
                                epochs_done=self.epochs_done, error=error, error_title=title)
            self.emit(final)
        return final

    _model: Any = None
    _recorders: list[Listener] = []
    non_finite: NonFiniteLoss | None = None
    """Set when the loss went NaN/inf: the run then ends as failed, not finished."""

    def _save_model(self, run_dir: Path) -> None:
        try:
            self._model.save(run_dir / "model.keras")
        except Exception:
            log.exception("could not save the model")

    def _prepare(self) -> _Prepared:
        """Load the data, build and compile the model, check the callbacks: no files written."""
        from nnbench.core.data import load_data
        from nnbench.core.model import build_model, output_problem

        keras = import_keras()
        preset, fit = self.preset, self.preset.fit
        if fit.seed is not None:
            import tensorflow as tf

            keras.utils.set_random_seed(fit.seed)
            tf.config.experimental.enable_op_determinism()
        data = load_data(preset.data, fit)
        info = data.info
        model = build_model(preset.model, info.input_shape, name=_model_name(preset.name))
        loss = catalog.LOSS_ALIASES.get(preset.compile.loss, preset.compile.loss)
        problem = output_problem(tuple(model.output.shape), loss, info.num_classes)
        if problem:
            raise ModelError(problem, layer_index=len(preset.model.layers) - 1)
        notices = self._prepare_labels(data, loss, model)
        model.compile(optimizer=_make_optimizer(keras, preset), loss=loss,
                      metrics=_make_metrics(preset, data.task))
        self._check_callbacks(data)
        self._model = model
        return _Prepared(data, model, notices)

    def _fit(self, prepared: _Prepared, run_dir: Path) -> str:
        from nnbench.core.model import summarize

        keras = import_keras()
        preset, fit = self.preset, self.preset.fit
        data, model, notices = prepared.data, prepared.model, prepared.notices
        info = data.info
        callbacks, es, ckpt = self._callbacks(keras, run_dir)
        n_train = info.train_samples
        if data.x_train is not None:
            steps = math.ceil(n_train / fit.batch_size)
        else:
            steps = _cardinality(data.train_ds)
        self.emit(RunStarted(
            run_id=run_dir.name, run_dir=str(run_dir), preset_name=preset.name, epochs=self.epochs,
            steps_per_epoch=steps, summary=summarize(model), data=info,
            monitor=(es or ckpt).monitor if (es or ckpt) else ("val_loss" if info.val_samples else "loss"),
        ))
        for text in [*info.notes, *notices]:
            self.emit(Notice(text))
        adapter = _EventAdapter(self, steps, fit.batch_size, es, ckpt)
        try:
            if data.x_train is not None:
                validation = (data.x_val, data.y_val) if data.x_val is not None else None
                model.fit(data.x_train, data.y_train, epochs=self.epochs, batch_size=fit.batch_size,
                          validation_data=validation, shuffle=fit.shuffle,
                          callbacks=[*callbacks, adapter], verbose=0)
            else:
                model.fit(data.train_ds, epochs=self.epochs, validation_data=data.val_ds,
                          callbacks=[*callbacks, adapter], verbose=0)
        finally:
            # "Stop now" leaves fit() by an exception, skipping on_train_end where CSVLogger
            # closes history.csv; closing twice is harmless.
            callbacks[-1].on_train_end()
        if self.non_finite is not None:
            bad = self.non_finite
            raise TrainingError(
                f"the loss became {bad.value} at epoch {bad.epoch}, batch {bad.batch}, so training "
                "stopped; lower compile.optimizer.learning_rate or scale the data "
                f"(data.scaling = \"standardize\"). Finished epochs are kept in {run_dir}")
        status = "stopped" if self.controls.stop_after_epoch.is_set() else "finished"
        if data.x_test is not None or data.test_ds is not None:
            if data.x_test is not None:
                results = model.evaluate(data.x_test, data.y_test, batch_size=fit.batch_size,
                                         verbose=0, return_dict=True)
            else:
                results = model.evaluate(data.test_ds, verbose=0, return_dict=True)
            self.emit(Evaluated({k: _to_float(v) for k, v in results.items()
                                 if _to_float(v) is not None}))
        model.save(run_dir / "model.keras")
        return status

    def _prepare_labels(self, data: Any, loss: str, model: Any) -> list[str]:
        """Reshape labels for the loss: one-hot for categorical losses, a column for one output."""
        import numpy as np

        keras = import_keras()
        notices: list[str] = []
        units = model.output.shape[-1]
        if loss in ("categorical_crossentropy", "kl_divergence") and data.info.num_classes:
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
        return notices

    def _check_callbacks(self, data: Any) -> None:
        """Each callback must watch something this model logs, and val_* needs validation data."""
        has_val = data.info.val_samples > 0
        metric_names = {"loss", *(m.lower() for m in self.preset.compile.metrics)}
        for name, params in self.preset.callbacks.items():
            monitor = params.get("monitor", "val_loss")
            base = monitor.removeprefix("val_")
            if base not in metric_names:
                raise PresetError(f"'{monitor}' is not something this model logs; use loss or one "
                                  f"of the metrics ({', '.join(sorted(metric_names))}), with val_ "
                                  "in front for the validation value", key=f"callbacks.{name}.monitor")
            if monitor.startswith("val_") and not has_val:
                raise PresetError(f"'{monitor}' needs validation data; set fit.validation_split "
                                  f"(e.g. 0.2) or monitor '{base}'", key=f"callbacks.{name}.monitor")
            try:  # let Keras judge the values now, not after the run folder exists
                self._make_callback(import_keras(), name, params, Path("check.keras"))
            except (TypeError, ValueError) as exc:
                raise PresetError(f"{name} refused its parameters: {exc}",
                                  key=f"callbacks.{name}") from None

    @staticmethod
    def _make_callback(keras: Any, name: str, params: dict[str, Any], checkpoint: Path) -> Any:
        params = {"monitor": "val_loss", **params}
        if name == "ModelCheckpoint":
            return keras.callbacks.ModelCheckpoint(str(checkpoint), **{"save_best_only": True,
                                                                        **params})
        return getattr(keras.callbacks, name)(**params)

    def _callbacks(self, keras: Any, run_dir: Path) -> tuple[list[Any], Any, Any]:
        callbacks: list[Any] = [_TerminateOnNonFinite(self)]
        es = ckpt = None
        for name, params in self.preset.callbacks.items():
            callback = self._make_callback(keras, name, params, run_dir / "best.keras")
            callbacks.append(callback)
            if name == "EarlyStopping":
                es = callback
            elif name == "ModelCheckpoint":
                ckpt = callback
        # CSVLogger last of Keras's own, so it sees the learning_rate ReduceLROnPlateau logs.
        callbacks.append(keras.callbacks.CSVLogger(str(run_dir / "history.csv")))
        return callbacks, es, ckpt


@dataclass
class _Prepared:
    data: Any
    model: Any
    notices: list[str]


def _one_hot(y: Any, k: int) -> Any:
    import tensorflow as tf

    return tf.one_hot(tf.cast(tf.reshape(y, [-1]), tf.int32), k)


def _cardinality(ds: Any) -> int | None:
    n = int(ds.cardinality())
    return n if n >= 0 else None


def _model_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return cleaned or "model"


def _make_optimizer(keras: Any, preset: Preset) -> Any:
    spec = preset.compile.optimizer
    cls = getattr(keras.optimizers, catalog.OPTIMIZER_CLASSES[spec.type.lower()])
    try:
        return cls(**spec.params)
    except (TypeError, ValueError) as exc:
        raise PresetError(f"{cls.__name__} rejected its parameters: {exc}",
                          key="compile.optimizer") from None


def _make_metrics(preset: Preset, task: str) -> list[Any]:
    from nnbench.core.metrics import make_metric

    loss = catalog.LOSS_ALIASES.get(preset.compile.loss, preset.compile.loss)
    metrics = []
    for i, name in enumerate(preset.compile.metrics):
        name = name.lower()
        if name in BINARY_ONLY_METRICS and task != "binary":
            raise PresetError(f"{name} works on two classes (one sigmoid output); this data is "
                              f"{task}: use accuracy" + (" or r2/mae" if task == "regression" else ""),
                              key=f"compile.metrics[{i}]")
        if name == "f1" and task == "multiclass" and loss != "categorical_crossentropy":
            raise PresetError("f1 over several classes needs one-hot labels: use the loss "
                              "categorical_crossentropy (nnbench one-hot encodes the labels)",
                              key=f"compile.metrics[{i}]")
        metrics.append(make_metric(name, task))
    return metrics


def _to_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _floats(logs: dict[str, Any] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in (logs or {}).items():
        number = _to_float(value)
        if number is not None:
            out[key] = number
    return out


def _terminate_on_nan_class() -> type:
    keras = import_keras()

    class TerminateOnNonFinite(keras.callbacks.TerminateOnNaN):
        """Keras's TerminateOnNaN, also telling the listeners which batch went non-finite."""

        def __init__(self, trainer: Trainer) -> None:
            super().__init__()
            self.trainer = trainer
            self.epoch = 0

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self.epoch = epoch + 1

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            # Overrides the train hook itself (not the on_batch_end alias) and checks once with
            # math.isfinite; Keras's own check (np.isnan/np.isinf, message, stop) runs only then.
            loss = _to_float(logs.get("loss")) if logs else None
            if loss is not None and not math.isfinite(loss):
                self.trainer.non_finite = NonFiniteLoss(epoch=self.epoch, batch=batch + 1, value=loss)
                self.trainer.emit(self.trainer.non_finite)
                super().on_batch_end(batch, logs)

    return TerminateOnNonFinite


def _TerminateOnNonFinite(trainer: Trainer) -> Any:  # noqa: N802 - reads as the class it builds
    return _terminate_on_nan_class()(trainer)


def _EventAdapter(trainer: Trainer, steps: int | None, batch_size: int, es: Any,  # noqa: N802
                  ckpt: Any) -> Any:
    keras = import_keras()

    class EventAdapter(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.controls = trainer.controls
            self.epoch = 0
            self.epoch_start = 0.0
            self.paused_time = 0.0
            self.last_emit = 0.0
            self.last_batch = 0.0
            self.step_seconds = math.inf
            """A batch's time in the steady state (not an epoch's first batch, which also waits for
            the epoch's data iterator); inf until known."""
            self.lr: float | None = None
            self.lr_before: float | None = None
            self.ckpt_best_before: float | None = None

        def _learning_rate(self) -> float | None:
            try:
                # float() on the variable: ~50 us; keras.ops.convert_to_numpy took ~300-400 us.
                return float(self.model.optimizer.learning_rate)
            except Exception:
                return None

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            self.lr = self._learning_rate()

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self.epoch = epoch + 1
            self.epoch_start = self.last_batch = time.monotonic()
            self.paused_time = 0.0
            # last_emit is not reset: the throttle spans epochs. The learning rate is the one read
            # at the end of the last epoch (nothing changes it between two epochs).
            self.lr_before = self.lr
            self.ckpt_best_before = getattr(ckpt, "best", None)
            trainer.emit(EpochStarted(self.epoch, trainer.epochs))

        def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            controls = self.controls
            if controls.pause.is_set() and not controls.stop.is_set():
                trainer.emit(Paused(True))
                began = time.monotonic()
                while controls.pause.is_set() and not controls.stop.is_set():
                    controls.stop.wait(0.05)
                self.paused_time += time.monotonic() - began
                trainer.emit(Paused(False))
            if controls.stop.is_set():
                raise _StopNow

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            now = time.monotonic()
            done = batch + 1
            if done > 1:
                self.step_seconds = now - self.last_batch
            self.last_batch = now
            if done != steps and (
                now - self.last_emit < BATCH_EVENT_INTERVAL
                # the epoch's last batch, always reported, is due within the interval anyway
                or (steps is not None and (steps - done) * self.step_seconds < BATCH_EVENT_INTERVAL)
            ):
                return  # throttled: no float conversion, no event
            self.last_emit = now
            elapsed = max(now - self.epoch_start - self.paused_time, 1e-9)
            rate = done / elapsed
            eta = (steps - done) / rate if steps else None
            trainer.emit(BatchProgress(self.epoch, trainer.epochs, done, steps, _floats(logs),
                                       rate * batch_size, eta))

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            values = _floats(logs)
            trainer.epochs_done = self.epoch
            lr = self.lr = self._learning_rate()
            if lr is not None and self.lr_before is not None and not math.isclose(lr, self.lr_before):
                trainer.emit(LearningRateChanged(self.epoch, self.lr_before, lr))
            if ckpt is not None and ckpt.best is not None and ckpt.best != self.ckpt_best_before:
                trainer.emit(CheckpointSaved(self.epoch, str(ckpt.filepath), ckpt.monitor,
                                             _to_float(ckpt.best)))
            state = None
            if es is not None:
                best_epoch = getattr(es, "best_epoch", None)
                state = EarlyStoppingState(
                    monitor=es.monitor, wait=int(es.wait), patience=int(es.patience),
                    best=_finite_or_none(es.best),
                    best_epoch=best_epoch + 1 if best_epoch is not None and
                    _finite_or_none(es.best) is not None else None,
                )
            trainer.emit(EpochEnded(self.epoch, trainer.epochs, values, lr,
                                    time.monotonic() - self.epoch_start - self.paused_time, state))
            if self.controls.stop_after_epoch.is_set():
                self.model.stop_training = True

        def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
            if es is not None and es.stopped_epoch > 0:
                best_epoch = getattr(es, "best_epoch", None)
                trainer.emit(EarlyStopped(
                    monitor=es.monitor, stopped_epoch=es.stopped_epoch + 1,
                    best_epoch=best_epoch + 1 if best_epoch is not None else None,
                    best_value=_finite_or_none(es.best),
                    restored_weights=bool(es.restore_best_weights and es.best_weights is not None),
                ))

    return EventAdapter()


def _finite_or_none(value: Any) -> float | None:
    number = _to_float(value)
    return number if number is not None and math.isfinite(number) else None
