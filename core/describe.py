"""Events in words: the one renderer the CLI printer and the TUI's event log both use.

``describe(event)`` gives the lines a person reads for a core event (none for batch progress),
in the interface's language: each line is one whole sentence in the catalogue (core/i18n.py), its
numbers, Keras names and outside text in named placeholders. Names that came from outside (run
ids, preset names, paths, error messages) pass ``nnbench.core.text.printable`` here, so neither a
terminal nor a log widget obeys them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal, assert_never

from nnbench.core import events as ev
from nnbench.core.data.notes import said
from nnbench.core.format import fmt_logs, fmt_lr, fmt_seconds, fmt_shape, fmt_value
from nnbench.core.i18n import N_, _
from nnbench.core.system_load import starved_text
from nnbench.core.text import printable

Kind = Literal["start", "epoch", "info", "notice", "lr", "checkpoint", "warning", "early", "error",
               "finished", "stopped"]


@dataclass(frozen=True)
class Line:
    """One line of a run's story; ``kind`` picks its colour on screen."""

    kind: Kind
    text: str


def _epochs(n: int) -> str:
    # Two msgids, not ngettext: the Train view says "{status} after {epochs}" with these too.
    return (_("{n} epoch") if n == 1 else _("{n} epochs")).format(n=n)


def _when(epoch: int, batch: int | None) -> str:
    """Where in the run a steered change took effect: "epoch 3 after batch 12", "epoch 3"."""
    if batch:
        return _("epoch {epoch} after batch {batch}").format(epoch=epoch, batch=batch)
    return _("epoch {epoch}").format(epoch=epoch)


def describe(event: ev.Event) -> list[Line]:
    """The lines for ``event``; [] for the ones a log does not show (batches, epoch starts)."""
    match event:
        case ev.RunStarted():
            return _run_started(event)
        case ev.Notice():
            return [Line("notice", printable(said(event.text)))]
        case ev.EpochEnded():
            return [_epoch_ended(event)]
        case ev.LearningRateChanged():
            return [_learning_rate_changed(event)]
        case ev.PatienceChanged():
            return [Line("lr", _("{when}: EarlyStopping patience set {old} -> {new} (steered)").format(
                when=_when(event.epoch, event.batch), old=event.old, new=event.new))]
        case ev.CheckpointSaved():
            return [_checkpoint_saved(event)]
        case ev.NonFiniteLoss():
            return [_non_finite_loss(event)]
        case ev.EarlyStopped():
            return [_early_stopped(event)]
        case ev.Paused():
            return [Line("warning", _("paused") if event.paused else _("resumed"))]
        case ev.ControlRequested():
            return [Line("stopped" if event.action != "pause" else "warning",
                         _(_CONTROL_TEXT.get(event.action, event.action)))]
        case ev.Evaluated():
            return [Line("finished", _("test: {metrics}").format(
                metrics=printable(fmt_logs(event.metrics))))]
        case ev.RunFinished():
            return [_run_finished(event)]
        case ev.SystemLoad():
            # The Train view's sparklines show the load; words only for a GPU Python can't feed.
            starved = starved_text(event)
            return [Line("warning", starved)] if starved else []
        case ev.LayerHealth():
            # Only flags that are new this epoch: a dead layer is said once, not every epoch.
            return [Line("warning", _("epoch {epoch}: {flag}").format(
                epoch=event.epoch, flag=printable(f.text))) for f in event.fired]
        case ev.ConfusionMatrixUpdated():
            return []  # the Inside view draws it; in words it would be a table a line
        case ev.BatchProgress() | ev.EpochStarted():
            return []  # the progress line shows them; a log of every batch would drown the story
        case _:
            # mypy flags an Event type with no case here: a new event is never silently dropped.
            assert_never(event)


def _run_started(event: ev.RunStarted) -> list[Line]:
    summary, data = event.summary, event.data
    run, preset = printable(event.run_id), printable(event.preset_name)
    if event.initial_epoch:
        started = _("run {run} started: {preset}, {epochs} epochs, resumed after epoch {epoch}").format(
            run=run, preset=preset, epochs=event.epochs, epoch=event.initial_epoch)
    else:
        started = _("run {run} started: {preset}, {epochs} epochs").format(
            run=run, preset=preset, epochs=event.epochs)
    layers, total = len(summary.rows), f"{summary.total:,}"
    if summary.non_trainable:
        model = _("model: {layers} layers, {total} parameters ({trainable} trainable)").format(
            layers=layers, total=total, trainable=f"{summary.trainable:,}")
    else:
        model = _("model: {layers} layers, {total} parameters").format(layers=layers, total=total)
    counts = {"source": printable(data.source), "train": f"{data.train_samples:,}",
              "val": f"{data.val_samples:,}", "test": f"{data.test_samples:,}",
              "shape": fmt_shape(data.input_shape)}
    if data.num_classes:
        about = _("data: {source}: {train} train / {val} val / {test} test, input {shape}, "
                  "{classes} classes").format(**counts, classes=data.num_classes)
    else:
        about = _("data: {source}: {train} train / {val} val / {test} test, input {shape}").format(
            **counts)
    # data.notes arrive as Notice events of their own.
    return [Line("start", started), Line("info", model), Line("info", about)]


def _epoch_ended(event: ev.EpochEnded) -> Line:
    # lr and patience stay in the catalogue on their own: the line is numbers, not a sentence.
    lr = ("  " + _("lr {lr}").format(lr=fmt_lr(event.learning_rate))
          if event.learning_rate is not None else "")
    es = event.early_stopping
    patience = ("  " + _("patience {wait}/{patience}").format(wait=es.wait, patience=es.patience)
                if es is not None else "")
    # Metric names come from the logs: a followed run's folder may name them anything.
    return Line("epoch", _("epoch {epoch}/{epochs}").format(epoch=event.epoch, epochs=event.epochs)
                + f"  {printable(fmt_logs(event.logs))}{lr}  {fmt_seconds(event.seconds)}{patience}")


def _learning_rate_changed(event: ev.LearningRateChanged) -> Line:
    old, new = fmt_lr(event.old), fmt_lr(event.new)
    if event.steered:
        return Line("lr", _("{when}: learning rate set {old} -> {new} (steered)").format(
            when=_when(event.epoch, event.batch), old=old, new=new))
    return Line("lr", _("epoch {epoch}: learning rate {old} -> {new}").format(
        epoch=event.epoch, old=old, new=new))


def _non_finite_loss(event: ev.NonFiniteLoss) -> Line:
    value = fmt_value(event.value)
    if event.batch is not None:
        text = _("epoch {epoch} batch {batch}: loss became {value}; training stops; try a lower "
                 "learning rate or scaled data").format(epoch=event.epoch, batch=event.batch,
                                                        value=value)
    else:
        text = _("epoch {epoch}: loss became {value}; training stops; try a lower learning rate "
                 "or scaled data").format(epoch=event.epoch, value=value)
    return Line("error", text)


def _checkpoint_saved(event: ev.CheckpointSaved) -> Line:
    # The file name is enough: checkpoints live in the run's folder.
    name = printable(PurePath(event.path).name or event.path)
    if event.value is None:
        return Line("checkpoint", _("epoch {epoch}: checkpoint saved to {name}").format(
            epoch=event.epoch, name=name))
    return Line("checkpoint", _("epoch {epoch}: checkpoint saved ({monitor} {value}) to {name}").format(
        epoch=event.epoch, monitor=printable(event.monitor), value=fmt_value(event.value), name=name))


def _early_stopped(event: ev.EarlyStopped) -> Line:
    # Four whole sentences rather than three pieces glued: a translator sees each as it is shown.
    if event.best_epoch is None:
        text = (_("early stop at epoch {stopped}; best weights restored") if event.restored_weights
                else _("early stop at epoch {stopped}; last weights kept")).format(
            stopped=event.stopped_epoch)
    else:
        text = (_("early stop at epoch {stopped}; best epoch {best} {monitor} {value}; best weights "
                  "restored") if event.restored_weights
                else _("early stop at epoch {stopped}; best epoch {best} {monitor} {value}; last "
                       "weights kept")).format(
            stopped=event.stopped_epoch, best=event.best_epoch, monitor=printable(event.monitor),
            value=fmt_value(event.best_value))
    return Line("early", text)


def _run_finished(event: ev.RunFinished) -> Line:
    epochs = _epochs(event.epochs_done)
    if event.status == "finished":
        return Line("finished", _("finished after {epochs}").format(epochs=epochs))
    if event.status == "failed":
        error = printable(event.error, newlines=True) if event.error else _("unknown error")
        if event.error_title:
            return Line("error", _("failed after {epochs}: {title}: {error}").format(
                # The title is stored English (an error class's N_ title): said in the reader's language.
                epochs=epochs, title=printable(_(event.error_title)), error=error))
        return Line("error", _("failed after {epochs}: {error}").format(epochs=epochs, error=error))
    status = _(_STATUS_WORD.get(event.status, event.status))
    return Line("stopped", _("{status} after {epochs}").format(status=status, epochs=epochs))


_STATUS_WORD = {"stopped": N_("stopped"), "interrupted": N_("interrupted"), "running": N_("running")}
"""How a run that neither finished nor failed ended; the status itself stays English on disk."""

_CONTROL_TEXT = {
    "stop": N_("stop requested: stopping at the next batch"),
    "stop_after_epoch": N_("stop requested: stopping after this epoch"),
    "signal": N_("signal received: stopping after the current batch"),
}
"""What a stop asked for says; translated where it is shown (the dict is built at import)."""
