"""A run's two charts (the loss, and its first metric) drawn from the run model.

The Train view and the Runs view both call ``draw_run``: the same series, the same best epoch (by
EarlyStopping's rule, core/monitor.py) and the same early-stop marker, whichever view shows a run.
A learning rate or patience a person steered to (core/control.py) is a marker too, where it took
effect: "epoch 3 after batch 12 of 24" sits at x = 2.5, between epoch 2's point and epoch 3's.
"""

from __future__ import annotations

from nnbench.core import events as ev
from nnbench.core.format import fmt_lr
from nnbench.core.i18n import _
from nnbench.core.run_state import RunState
from nnbench.tui.widgets.curve_chart import (
    BEST_COLOR,
    STEER_COLOR,
    STOP_COLOR,
    TRAIN_COLOR,
    VAL_COLOR,
    CurveChart,
)


def _curve(chart: CurveChart, state: RunState, key: str, color: int) -> None:
    points = state.series.get(key)
    if points:
        chart.set_curve(key, [e for e, _ in points], [v for _, v in points], color)


def steer_x(change: ev.LearningRateChanged | ev.PatienceChanged) -> float:
    """Where on the epoch axis a steered change took effect (epoch N's point is at x = N)."""
    done = change.batch or 0
    fraction = min(1.0, done / change.steps) if change.steps else (1.0 if done else 0.0)
    # Clamped to epoch 1: the curves start there; a change inside epoch 1 marks epoch 1.
    return max(1.0, change.epoch - 1 + fraction)


def steer_markers(state: RunState) -> list[tuple[float, str]]:
    """(x, legend) for each steered change; only the last one names itself in the legend."""
    out = []
    for i, change in enumerate(state.steering):
        last = i == len(state.steering) - 1
        if isinstance(change, ev.LearningRateChanged):
            label = f"lr {fmt_lr(change.new)}"
        else:
            label = _("patience {n}").format(n=change.new)
        if last and len(state.steering) > 1:
            label = _("steered ×{n}, last {change}").format(n=len(state.steering), change=label)
        out.append((steer_x(change), label if last else ""))
    return out


def draw_run(state: RunState, loss_chart: CurveChart, metric_chart: CurveChart | None) -> None:
    """Replace both charts' curves and markers with ``state``'s and repaint them."""
    loss_chart.clear(title="loss")
    _curve(loss_chart, state, "loss", TRAIN_COLOR)
    _curve(loss_chart, state, "val_loss", VAL_COLOR)
    charts = [loss_chart]
    if metric_chart is not None:
        metric = state.metric
        if metric is not None:
            metric_chart.clear(title=metric)
            _curve(metric_chart, state, metric, TRAIN_COLOR)
            _curve(metric_chart, state, f"val_{metric}", VAL_COLOR)
        else:  # no metric compiled: the learning rate is worth a look
            metric_chart.clear(title=_("learning rate"))
            _curve(metric_chart, state, "learning_rate", TRAIN_COLOR)
        charts.append(metric_chart)
    best, stopped = state.best, state.early_stopped
    for chart in charts:
        chart.set_marker("best", best[0] if best else None,
                         _("best epoch {epoch}").format(epoch=best[0]) if best else "", BEST_COLOR)
        stop_label = _("early stop {epoch}").format(epoch=stopped.stopped_epoch) if stopped else ""
        chart.set_marker("stop", stopped.stopped_epoch if stopped else None, stop_label, STOP_COLOR)
        for i, (x, label) in enumerate(steer_markers(state)):
            chart.set_marker(f"steer{i}", x, label, STEER_COLOR)
        chart.replot()
