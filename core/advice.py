"""Advice read from a run's history, in the tutorials' terms, with the numbers that led to it.

"val_loss rose for 4 epochs (0.2855 at epoch 26 -> 0.3138 at epoch 30) while loss fell
(0.1584 -> 0.1343): overfitting. Try Dropout, or EarlyStopping with restore_best_weights."

Each rule is one function over a ``History`` (per-epoch values, epochs from 1, as people read them),
which comes from a RunState (the live or replayed run model) or from history.csv's rows. The
thresholds are named constants, so a rule's advice can always be checked against its numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from nnbench.core import events as ev
from nnbench.core.explain import ui_text, wrap_cells
from nnbench.core.format import fmt_lr, fmt_value
from nnbench.core.run_state import RunState
from nnbench.core.text import printable

OVERFIT_EPOCHS = 3
"""val_loss must have stayed above its lowest for at least this many epochs ..."""
OVERFIT_RISE = 0.01
"""... and end at least this fraction (1%) above it, while loss went on falling."""
FLAT_EPOCHS = 3
"""The flat-loss rule needs at least this many epochs ..."""
FLAT_CHANGE = 0.01
"""... over which loss changed by less than this fraction (1%) of its first value."""


@dataclass(frozen=True)
class Advice:
    rule: str
    """non_finite, overfitting, flat_loss or early_stopped."""
    text: str
    numbers: dict[str, Any]
    """The numbers the rule read (epochs, values): what a test or a view can show beside it."""


@dataclass(frozen=True)
class History:
    """What the rules read of a run."""

    series: dict[str, list[tuple[int, float]]]
    """Quantity -> [(epoch from 1, value)] in epoch order: loss, val_loss, learning_rate ..."""
    early_stopped: ev.EarlyStopped | None = None
    non_finite: ev.NonFiniteLoss | None = None
    layer_types: tuple[str, ...] = field(default_factory=tuple)
    """The model's Keras layer classes, when known: the overfitting remedy says whether there is
    Dropout already."""


def history_of_state(state: RunState, events: Iterable[ev.Event] = ()) -> History:
    """A RunState's history. RunState keeps no NonFiniteLoss (only its log line): pass the run's
    events to name the batch where the loss blew up."""
    non_finite = next((e for e in events if isinstance(e, ev.NonFiniteLoss)), None)
    rows = state.started.summary.rows if state.started else []
    return History({k: list(v) for k, v in state.series.items()}, state.early_stopped, non_finite,
                   tuple(row.type for row in rows))


def history_of_rows(rows: Sequence[Mapping[str, float]],
                    early_stopped: ev.EarlyStopped | Mapping[str, Any] | None = None) -> History:
    """History from history.csv's rows (``RunStore.history``: ``epoch`` 0-based, as CSVLogger
    writes it) and a RunRecord's ``early_stopped`` dict."""
    series: dict[str, list[tuple[int, float]]] = {}
    for at, row in enumerate(rows):
        epoch = int(row.get("epoch", at)) + 1
        for key, value in row.items():
            if key != "epoch":
                series.setdefault("learning_rate" if key == "lr" else key, []).append(
                    (epoch, float(value)))
    if isinstance(early_stopped, Mapping):
        known = {f.name for f in fields(ev.EarlyStopped)}
        early_stopped = ev.EarlyStopped(**{k: v for k, v in early_stopped.items() if k in known})
    return History(series, early_stopped)


# --- the rules --------------------------------------------------------------------------------

def _finite(points: Iterable[tuple[int, float]]) -> list[tuple[int, float]]:
    return [(e, v) for e, v in points if isinstance(v, (int, float)) and math.isfinite(v)]


def _lr(history: History, lang: str | None) -> str:
    rates = _finite(history.series.get("learning_rate", []))
    return fmt_lr(rates[-1][1]) if rates else ui_text("advice", "unknown_lr", lang)


def non_finite(history: History, lang: str | None = None) -> Advice | None:
    """The loss became NaN or infinite: the weights blew up."""
    event = history.non_finite
    if event is None:
        bad = next(((e, v) for e, v in history.series.get("loss", []) if not math.isfinite(v)), None)
        if bad is None:
            return None
        event = ev.NonFiniteLoss(epoch=bad[0], batch=None, value=bad[1])
    where = (ui_text("advice", "non_finite_batch", lang, batch=event.batch)
             if event.batch is not None else "")
    numbers = {"epoch": event.epoch, "batch": event.batch, "value": event.value,
               "lr": _lr(history, lang)}
    return Advice("non_finite", ui_text("advice", "non_finite", lang, where=where,
                                        **{**numbers, "value": fmt_value(event.value)}), numbers)


def overfitting(history: History, lang: str | None = None) -> Advice | None:
    """val_loss stayed above its lowest for OVERFIT_EPOCHS epochs or more and ended higher,
    while the training loss went on falling."""
    loss = dict(_finite(history.series.get("loss", [])))
    val = [(e, v) for e, v in _finite(history.series.get("val_loss", [])) if e in loss]
    if len(val) <= OVERFIT_EPOCHS:
        return None
    best_epoch, best_value = min(val, key=lambda point: point[1])  # the earliest on ties
    last_epoch, last_value = val[-1]
    rose = last_epoch - best_epoch
    if rose < OVERFIT_EPOCHS or last_value <= best_value * (1 + OVERFIT_RISE) \
            or loss[last_epoch] >= loss[best_epoch]:
        return None
    stopped = history.early_stopped
    if stopped is not None and stopped.restored_weights and stopped.best_epoch is not None:
        remedy = ui_text("advice", "remedy_restored", lang, best_epoch=stopped.best_epoch)
    elif "Dropout" in history.layer_types:
        remedy = ui_text("advice", "remedy_dropout", lang)
    else:
        remedy = ui_text("advice", "remedy_plain", lang)
    numbers = {"epochs": rose, "best_epoch": best_epoch, "best_value": best_value,
               "last_epoch": last_epoch, "last_value": last_value,
               "loss_then": loss[best_epoch], "loss_now": loss[last_epoch]}
    shown = {k: fmt_value(v) if isinstance(v, float) else v for k, v in numbers.items()}
    return Advice("overfitting", ui_text("advice", "overfitting", lang, remedy=remedy, **shown),
                  numbers)


def flat_loss(history: History, lang: str | None = None) -> Advice | None:
    """The training loss changed by less than FLAT_CHANGE of itself over FLAT_EPOCHS or more."""
    loss = _finite(history.series.get("loss", []))
    if len(loss) < FLAT_EPOCHS:
        return None
    first, last = loss[0][1], loss[-1][1]
    if abs(first) < 1e-6:  # already at zero: nothing left to learn, not too slow
        return None
    change = (last - first) / abs(first)
    if abs(change) >= FLAT_CHANGE:
        return None
    rates = _finite(history.series.get("learning_rate", []))
    lr_note = ui_text("advice", "flat_loss_lr", lang, lr=fmt_lr(rates[0][1])) if rates else ""
    numbers = {"epochs": len(loss), "first": first, "last": last, "change": change,
               "learning_rate": rates[0][1] if rates else None}
    return Advice("flat_loss", ui_text("advice", "flat_loss", lang, epochs=len(loss),
                                       first=fmt_value(first), last=fmt_value(last),
                                       change=f"{change:+.2%}", lr_note=lr_note), numbers)


def stopped_early(history: History, lang: str | None = None) -> Advice | None:
    """EarlyStopping stopped the run: where, and which epoch's weights the model keeps."""
    event = history.early_stopped
    if event is None or event.best_epoch is None:
        return None
    numbers = {"stopped": event.stopped_epoch, "best": event.best_epoch,
               "monitor": event.monitor, "value": event.best_value,
               "restored": event.restored_weights}
    key = "early_restored" if event.restored_weights else "early_not_restored"
    return Advice("early_stopped", ui_text(
        "advice", key, lang, stopped=event.stopped_epoch, best=event.best_epoch,
        monitor=printable(event.monitor), value=fmt_value(event.best_value)), numbers)


RULES: tuple[Callable[[History, str | None], Advice | None], ...] = (
    overfitting, flat_loss, stopped_early)
"""The rules read after a run whose loss stayed finite, most telling first."""


def advise_history(history: History, lang: str | None = None) -> list[Advice]:
    """Every rule that fires on ``history``. A blown-up loss is the only advice then: what came
    after it says nothing about the model."""
    blown = non_finite(history, lang)
    if blown is not None:
        return [blown]
    return [advice for rule in RULES if (advice := rule(history, lang)) is not None]


def advise(state: RunState, lang: str | None = None, *,
           events: Iterable[ev.Event] = ()) -> list[Advice]:
    """The advice on a run, from its run model (live, or replayed from events.jsonl)."""
    return advise_history(history_of_state(state, events), lang)


def advise_rows(rows: Sequence[Mapping[str, float]], lang: str | None = None,
                early_stopped: ev.EarlyStopped | Mapping[str, Any] | None = None) -> list[Advice]:
    """The advice on a run from history.csv's rows (and its summary's ``early_stopped``)."""
    return advise_history(history_of_rows(rows, early_stopped), lang)


def advice_lines(advice: Sequence[Advice], width: int = 80) -> list[str]:
    """Advice as the CLI prints it: each piece wrapped to ``width`` cells, the first line of each
    marked with "* " and the rest indented under it."""
    lines: list[str] = []
    for piece in advice:
        wrapped = wrap_cells(piece.text, max(width - 2, 20))
        lines.extend(("* " if i == 0 else "  ") + line for i, line in enumerate(wrapped))
    return lines
