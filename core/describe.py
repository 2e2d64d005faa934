"""Events in words: the one renderer the CLI printer and the TUI's event log both use.

``describe(event)`` gives the lines a person reads for a core event (none for batch progress).
Names that came from outside (run ids, preset names, paths, error messages) pass
``nnbench.core.text.printable`` here, so neither a terminal nor a log widget obeys them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal, assert_never

from nnbench.core import events as ev
from nnbench.core.format import fmt_logs, fmt_lr, fmt_seconds, fmt_shape, fmt_value
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
    return f"{n} epoch{'s' if n != 1 else ''}"


def _when(epoch: int, batch: int | None) -> str:
    """Where in the run a steered change took effect: "epoch 3 after batch 12", "epoch 3"."""
    return f"epoch {epoch}" + (f" after batch {batch}" if batch else "")


def describe(event: ev.Event) -> list[Line]:
    """The lines for ``event``; [] for the ones a log does not show (batches, epoch starts)."""
    match event:
        case ev.RunStarted():
            return _run_started(event)
        case ev.Notice():
            return [Line("notice", printable(event.text))]
        case ev.EpochEnded():
            return [_epoch_ended(event)]
        case ev.LearningRateChanged():
            return [_learning_rate_changed(event)]
        case ev.PatienceChanged():
            return [Line("lr", f"{_when(event.epoch, event.batch)}: EarlyStopping patience set "
                               f"{event.old} -> {event.new} (steered)")]
        case ev.CheckpointSaved():
            return [_checkpoint_saved(event)]
        case ev.NonFiniteLoss():
            where = f"epoch {event.epoch}" + (f" batch {event.batch}" if event.batch is not None else "")
            return [Line("error", f"{where}: loss became {fmt_value(event.value)}; training stops; "
                                  "try a lower learning rate or scaled data")]
        case ev.EarlyStopped():
            return [_early_stopped(event)]
        case ev.Paused():
            return [Line("warning", "paused" if event.paused else "resumed")]
        case ev.ControlRequested():
            return [Line("stopped" if event.action != "pause" else "warning",
                         _CONTROL_TEXT.get(event.action, event.action))]
        case ev.Evaluated():
            return [Line("finished", f"test: {printable(fmt_logs(event.metrics))}")]
        case ev.RunFinished():
            return [_run_finished(event)]
        case ev.SystemLoad():
            # The Train view's sparklines show the load; words only for a GPU Python can't feed.
            starved = starved_text(event)
            return [Line("warning", starved)] if starved else []
        case ev.LayerHealth():
            # Only flags that are new this epoch: a dead layer is said once, not every epoch.
            return [Line("warning", f"epoch {event.epoch}: {printable(f.text)}") for f in event.fired]
        case ev.ConfusionMatrixUpdated():
            return []  # the Inside view draws it; in words it would be a table a line
        case ev.BatchProgress() | ev.EpochStarted():
            return []  # the progress line shows them; a log of every batch would drown the story
        case _:
            # mypy flags an Event type with no case here: a new event is never silently dropped.
            assert_never(event)


def _run_started(event: ev.RunStarted) -> list[Line]:
    summary, data = event.summary, event.data
    params = f"{summary.total:,} parameters"
    if summary.non_trainable:
        params += f" ({summary.trainable:,} trainable)"
    counts = (f"{data.train_samples:,} train / {data.val_samples:,} val / "
              f"{data.test_samples:,} test")
    classes = f", {data.num_classes} classes" if data.num_classes else ""
    resumed = f", resumed after epoch {event.initial_epoch}" if event.initial_epoch else ""
    # data.notes arrive as Notice events of their own.
    return [Line("start", f"run {printable(event.run_id)} started: "
                          f"{printable(event.preset_name)}, {event.epochs} epochs{resumed}"),
            Line("info", f"model: {len(summary.rows)} layers, {params}"),
            Line("info", f"data: {printable(data.source)}: {counts}, input "
                         f"{fmt_shape(data.input_shape)}{classes}")]


def _epoch_ended(event: ev.EpochEnded) -> Line:
    lr = f"  lr {fmt_lr(event.learning_rate)}" if event.learning_rate is not None else ""
    es = event.early_stopping
    patience = f"  patience {es.wait}/{es.patience}" if es is not None else ""
    # Metric names come from the logs: a followed run's folder may name them anything.
    return Line("epoch", f"epoch {event.epoch}/{event.epochs}  "
                         f"{printable(fmt_logs(event.logs))}{lr}  "
                         f"{fmt_seconds(event.seconds)}{patience}")


def _learning_rate_changed(event: ev.LearningRateChanged) -> Line:
    if event.steered:
        return Line("lr", f"{_when(event.epoch, event.batch)}: learning rate set "
                          f"{fmt_lr(event.old)} -> {fmt_lr(event.new)} (steered)")
    return Line("lr", f"epoch {event.epoch}: learning rate {fmt_lr(event.old)} -> "
                      f"{fmt_lr(event.new)}")


def _checkpoint_saved(event: ev.CheckpointSaved) -> Line:
    value = (f" ({printable(event.monitor)} {fmt_value(event.value)})"
             if event.value is not None else "")
    # The file name is enough: checkpoints live in the run's folder.
    name = PurePath(event.path).name or event.path
    return Line("checkpoint", f"epoch {event.epoch}: checkpoint saved{value} to {printable(name)}")


def _early_stopped(event: ev.EarlyStopped) -> Line:
    text = f"early stop at epoch {event.stopped_epoch}"
    if event.best_epoch is not None:
        text += (f"; best epoch {event.best_epoch} {printable(event.monitor)} "
                 f"{fmt_value(event.best_value)}")
    text += "; best weights restored" if event.restored_weights else "; last weights kept"
    return Line("early", text)


def _run_finished(event: ev.RunFinished) -> Line:
    epochs = _epochs(event.epochs_done)
    if event.status == "finished":
        return Line("finished", f"finished after {epochs}")
    if event.status == "failed":
        title = f"{printable(event.error_title)}: " if event.error_title else ""
        error = printable(event.error or "unknown error", newlines=True)
        return Line("error", f"failed after {epochs}: {title}{error}")
    return Line("stopped", f"{event.status} after {epochs}")


_CONTROL_TEXT = {
    "stop": "stop requested: stopping at the next batch",
    "stop_after_epoch": "stop requested: stopping after this epoch",
    "signal": "signal received: stopping after the current batch",
}
