"""A run's two charts (the loss, and its first metric) drawn from the run model.

The Train view and the Runs view both call ``draw_run``: the same series, the same best epoch (by
EarlyStopping's rule, core/monitor.py) and the same early-stop marker, whichever view shows a run.
"""

from __future__ import annotations

from nnbench.core.run_state import RunState
from nnbench.tui.widgets.curve_chart import BEST_COLOR, STOP_COLOR, TRAIN_COLOR, VAL_COLOR, CurveChart


def _curve(chart: CurveChart, state: RunState, key: str, color: int) -> None:
    points = state.series.get(key)
    if points:
        chart.set_curve(key, [e for e, _ in points], [v for _, v in points], color)


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
            metric_chart.clear(title="learning rate")
            _curve(metric_chart, state, "learning_rate", TRAIN_COLOR)
        charts.append(metric_chart)
    best, stopped = state.best, state.early_stopped
    for chart in charts:
        chart.set_marker("best", best[0] if best else None,
                         f"best epoch {best[0]}" if best else "", BEST_COLOR)
        chart.set_marker("stop", stopped.stopped_epoch if stopped else None,
                         f"early stop {stopped.stopped_epoch}" if stopped else "", STOP_COLOR)
        chart.replot()
