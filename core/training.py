"""The Trainer: preset in, events out. Runs in whichever thread calls ``run()``.

Keras does the work (fit, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, CSVLogger,
TerminateOnNaN, BackupAndRestore); core/keras_callbacks.py's ``EventAdapter`` turns what they did
into plain events and reads the stop / stop-after-epoch / pause wishes of the caller, in this
process or (through the run folder's control file) another one.

A run folder is resumable after every finished epoch: BackupAndRestore keeps the weights and the
optimizer's state in ``<run>/backup/``; ``Trainer(..., resume=run_dir)`` goes on from there, appending
to the same history.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import math
import os
import shutil
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnbench.core import catalog
from nnbench.core.control import ControlFile, StopNow, TrainControls
from nnbench.core.errors import NnbenchError, PresetError, RunStoreError, TrainingError
from nnbench.core.events import (
    Evaluated,
    Event,
    Listener,
    NonFiniteLoss,
    Notice,
    RunFinished,
    RunStarted,
)
from nnbench.core.keras_env import import_keras
from nnbench.core.keras_setup import (
    cardinality,
    keras_fit,
    make_metrics,
    make_optimizer,
    model_name,
    shape_labels,
)
from nnbench.core.preset import Preset
from nnbench.core.runs import RunRecorder, RunStore
from nnbench.core.strategy import worker_store
from nnbench.core.system_load import SYSTEM_CSV, SystemMonitor

log = logging.getLogger(__name__)

BACKUP_DIR = "backup"
"""BackupAndRestore's folder inside a run: the last finished epoch's weights and optimizer state."""

__all__ = ["TrainControls", "Trainer", "resumable"]


class Trainer:
    def __init__(self, preset: Preset, runs_dir: str | Path | None = None, *,
                 listeners: Iterable[Listener] = (),
                 controls: TrainControls | None = None, epochs: int | None = None,
                 resume: str | Path | None = None, note: str = "") -> None:
        self.preset = preset
        self.note = note
        """Kept in summary.json: what was edited, or the user's words (``--note``)."""
        self.store = RunStore(runs_dir)
        self.listeners = list(listeners)
        self.controls = controls or TrainControls()
        self.epochs = epochs or preset.fit.epochs
        self.epochs_done = 0
        self.resume = Path(resume) if resume is not None else None
        """A run folder to go on with (see ``resumable``), instead of a new one."""

    def emit(self, event: Event) -> None:
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
            if self.resume is not None:
                run_dir = self.resume
                self._recorders = [RunRecorder(run_dir, resumed=True)]
            else:
                # Only the chief of a cluster writes the run store; another worker keeps its own
                # log folder (core/strategy.py's worker_store), outside the runs folder.
                store = self.store if prepared.placement.is_chief else worker_store()
                run_dir = store.create(self.preset, self.note, devices=prepared.placement.devices)
                self._recorders = [RunRecorder(run_dir)]
            status = self._fit(prepared, run_dir)
        except (StopNow, KeyboardInterrupt):
            status = "stopped"
        except NnbenchError as exc:
            status, error, title = "failed", exc.message, exc.title
        except Exception as exc:
            status, title = "failed", TrainingError.title
            error = _describe_crash(exc, run_dir)
            if run_dir is not None:
                with contextlib.suppress(OSError):
                    (run_dir / "error.log").write_text(traceback.format_exc(), encoding="utf-8")
        finally:
            self._restore_precision()
            if self._model is not None and run_dir is not None and status in ("stopped", "failed"):
                self._save_model(run_dir)
            final = RunFinished(status=status, run_dir=str(run_dir) if run_dir else None,
                                epochs_done=self.epochs_done, error=error, error_title=title)
            self.emit(final)
        return final

    _model: Any = None
    _restore_precision: Any = staticmethod(lambda: None)
    _recorders: list[Listener] = []
    non_finite: NonFiniteLoss | None = None
    """Set when the loss went NaN/inf: the run then ends as failed, not finished."""

    def _save_model(self, run_dir: Path) -> None:
        try:
            save_model(self._model, run_dir / "model.keras")
        except Exception:
            log.exception("could not save the model")

    def _prepare(self) -> _Prepared:
        """Load the data, build and compile the model, check the callbacks: no files written."""
        from nnbench.core.compat import problems
        from nnbench.core.data import load_data
        from nnbench.core.model import build_model
        from nnbench.core.strategy import apply_precision, check_jit, place

        keras = import_keras()
        preset, fit = self.preset, self.preset.fit
        # First: a multi_worker strategy starts TensorFlow's runtime itself.
        placement = place(fit, on_timeout=self._on_peer_timeout)
        if fit.seed is not None:
            import tensorflow as tf

            keras.utils.set_random_seed(fit.seed)
            tf.config.experimental.enable_op_determinism()
        data = load_data(preset.data, fit)
        info = data.info
        self._restore_precision = apply_precision(fit.mixed_precision)
        with placement.scope():  # variables made under the strategy: mirrored on its devices
            model = build_model(preset.model, info.input_shape, name=model_name(preset.name))
        loss = catalog.LOSS_ALIASES.get(preset.compile.loss, preset.compile.loss)
        found = problems(preset, info, tuple(model.output.shape))  # core/compat.py: the one home
        if found:
            raise PresetError(found[0].message, key=found[0].key)
        notices = shape_labels(data, loss, model)
        with placement.scope():
            model.compile(optimizer=make_optimizer(keras, preset), loss=loss,
                          metrics=make_metrics(preset, data.task),
                          # false leaves it to Keras ("auto": XLA on a GPU, not on a CPU)
                          jit_compile=True if fit.jit_compile else "auto")
        check_jit(fit, model)
        self._check_callbacks(data)
        self._model = model
        return _Prepared(data, model, notices, placement)

    def _on_peer_timeout(self, message: str) -> None:
        """The cluster never came together (core/strategy.py ends the process next): say so."""
        self.emit(RunFinished(status="failed", run_dir=None, epochs_done=0, error=message,
                              error_title="Devices"))

    def _fit(self, prepared: _Prepared, run_dir: Path) -> str:
        from nnbench.core.keras_callbacks import EventAdapter

        keras = import_keras()
        fit, data, model = self.preset.fit, prepared.data, prepared.model
        callbacks, es, ckpt = self._callbacks(keras, run_dir)
        if data.x_train is not None:
            steps = math.ceil(data.info.train_samples / fit.batch_size)
        else:
            steps = cardinality(data.train_ds)
        control_file = self._start(prepared, run_dir, steps)
        # The machine's load per epoch (core/system_load.py): sampled on a thread of its own.
        system = SystemMonitor(self.emit, run_dir / SYSTEM_CSV).start()
        self.listeners.append(system)
        adapter = EventAdapter(self.emit, epochs=self.epochs, steps=steps, batch_size=fit.batch_size,
                               controls=self.controls, control_file=control_file,
                               early_stopping=es, checkpoint=ckpt, on_epoch_done=self._epoch_done)
        # Layer health and the confusion matrix after each epoch, on fixed samples (bounded cost).
        from nnbench.core.health_callback import inside_callbacks
        inside = inside_callbacks(self.emit, model, data, run_dir)
        # The adapter writes the epoch to events.jsonl before BackupAndRestore saves it: a process
        # killed between the two repeats that epoch on resume rather than losing it.
        backup = keras.callbacks.BackupAndRestore(str(run_dir / BACKUP_DIR), double_checkpoint=True,
                                                  delete_checkpoint=False)
        csv_logger = callbacks[-1]
        try:
            keras_fit(model, data, self.epochs, fit, [*callbacks, adapter, *inside, backup])
        finally:
            # "Stop now" leaves fit() by an exception, skipping on_train_end where CSVLogger
            # closes history.csv; closing twice is harmless.
            csv_logger.on_train_end()
            system.close()
            self.listeners.remove(system)
        self._raise_if_non_finite(run_dir)
        status = "stopped" if self.controls.stop_after_epoch.is_set() else "finished"
        self._evaluate(model, data)
        save_model(model, run_dir / "model.keras")
        if status == "finished":  # nothing left to resume: the backup is only disk now
            shutil.rmtree(run_dir / BACKUP_DIR, ignore_errors=True)
        return status

    def _start(self, prepared: _Prepared, run_dir: Path, steps: int | None) -> ControlFile:
        """Tell listeners the run started (RunStarted, then the data's and the build's notices);
        the control file a stop or steer arrives through."""
        from nnbench.core.model import summarize
        from nnbench.core.monitor import Monitor

        preset, info = self.preset, prepared.data.info
        monitor = Monitor.from_callbacks(preset.callbacks, info.val_samples > 0)
        initial_epoch = resumable(run_dir, None) if self.resume is not None else 0
        self.epochs_done = initial_epoch
        # Before RunStarted: clearing a stale control file must not swallow a stop or steer that
        # someone sends the moment they see the run start.
        control_file = ControlFile(run_dir)
        self.emit(RunStarted(
            run_id=run_dir.name, run_dir=str(run_dir), preset_name=preset.name, epochs=self.epochs,
            steps_per_epoch=steps, summary=summarize(prepared.model), data=info,
            monitor=monitor.name, monitor_mode=monitor.mode, min_delta=monitor.min_delta,
            initial_epoch=initial_epoch, pid=os.getpid(),
        ))
        for text in [*info.notes, *prepared.notices]:
            self.emit(Notice(text))
        return control_file

    def _raise_if_non_finite(self, run_dir: Path) -> None:
        if self.non_finite is not None:
            bad = self.non_finite
            raise TrainingError(
                f"the loss became {bad.value} at epoch {bad.epoch}, batch {bad.batch}, so training "
                "stopped; lower compile.optimizer.learning_rate or scale the data "
                f"(data.scaling = \"standardize\"). Finished epochs are kept in {run_dir}")

    def _evaluate(self, model: Any, data: Any) -> None:
        """The test set's metrics (Evaluated), when the data has a test set."""
        from nnbench.core.keras_callbacks import floats

        if data.x_test is not None:
            results = model.evaluate(data.x_test, data.y_test, batch_size=self.preset.fit.batch_size,
                                     verbose=0, return_dict=True)
        elif data.test_ds is not None:
            results = model.evaluate(data.test_ds, verbose=0, return_dict=True)
        else:
            return
        self.emit(Evaluated({k: v for k, v in floats(results).items()}))

    def _epoch_done(self, epoch: int) -> None:
        self.epochs_done = epoch

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
        from nnbench.core.keras_callbacks import TerminateOnNonFinite

        callbacks: list[Any] = [TerminateOnNonFinite(self._on_non_finite)]
        es = ckpt = None
        for name, params in self.preset.callbacks.items():
            callback = self._make_callback(keras, name, params, run_dir / "best.keras")
            callbacks.append(callback)
            if name == "EarlyStopping":
                es = callback
            elif name == "ModelCheckpoint":
                ckpt = callback
        # CSVLogger last of Keras's own, so it sees the learning_rate ReduceLROnPlateau logs.
        callbacks.append(keras.callbacks.CSVLogger(str(run_dir / "history.csv"),
                                                   append=self.resume is not None))
        return callbacks, es, ckpt

    def _on_non_finite(self, event: NonFiniteLoss) -> None:
        self.non_finite = event
        self.emit(event)


@dataclass
class _Prepared:
    data: Any
    model: Any
    notices: list[str]
    placement: Any


def save_model(model: Any, path: Path) -> None:
    """``model.save`` to a temporary file renamed over ``path``: a full disk or a kill mid-save
    never leaves a truncated model that looks whole."""
    tmp = path.with_name(f".{path.stem}.partial.keras")
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def resumable(run_dir: Path, epochs_done: int | None = None) -> int:
    """The epochs a run folder's backup holds; raises RunStoreError when it can't go on.

    A run that died in its first epoch has no backup yet: it starts again in the same folder."""
    meta = run_dir / BACKUP_DIR / "training_metadata.json"
    try:
        return int(json.loads(meta.read_text(encoding="utf-8"))["epoch"])
    except FileNotFoundError:
        if not epochs_done:
            return 0
        raise RunStoreError(f"run '{run_dir.name}' has no backup to resume from (it finished, or "
                            "was made before nnbench kept one); train its preset again with "
                            f"nnbench train {run_dir / 'preset.toml'}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunStoreError(f"run '{run_dir.name}': its backup can't be read ({exc}); train its "
                            f"preset again with nnbench train {run_dir / 'preset.toml'}") from None


def _describe_crash(exc: Exception, run_dir: Path | None) -> str:
    """One line a person can act on, for an exception Keras or the OS raised mid-run."""
    kept = f"; finished epochs are kept in {run_dir}" if run_dir is not None else ""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return (f"the disk is full ({exc.filename or 'while writing'}){kept}; free some space, "
                f"then go on with nnbench resume {run_dir.name if run_dir else 'RUN'}")
    if isinstance(exc, OSError) and run_dir is not None and not run_dir.exists():
        return f"the run folder {run_dir} went away mid-run ({exc.strerror}); the run is lost"
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    details = "; details in error.log" if run_dir is not None else ""
    return f"{type(exc).__name__}: {first_line}{kept}{details}"
