"""How nnbench writes numbers: log values, learning rates, durations, counts.

One place, so the CLI, the event log, the progress line, the early-stopping line and the runs table
agree. Plain Python: the CLI and the TUI both use it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

# Keys Keras puts in epoch logs that are not the model's quantities.
NOT_A_METRIC = frozenset({"loss", "epoch", "learning_rate", "lr"})


def _decimals(size: float) -> int:
    return 1 if size >= 1000 else 4


def fmt_value(value: float | None, decimals: int | None = None) -> str:
    """A loss or metric value: 4 decimals (1 from 1,000 up, or ``decimals`` so that values shown
    side by side share one format), scientific when tiny or huge, 'nan'/'inf' as such."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    size = abs(value)
    if size != 0 and (size < 1e-3 or size >= 1e6):
        return f"{value:.3e}"
    return f"{value:,.{_decimals(size) if decimals is None else decimals}f}"


def shared_decimals(values: Iterable[float | None]) -> int:
    """One number of decimals for values shown in one line ("loss 30,781.3000  mae 156.4075",
    not "30,781.3" beside "156.4075"): the smallest plain value decides, so none loses digits."""
    sizes = [abs(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)
             and math.isfinite(v) and 1e-3 <= abs(v) < 1e6]
    return _decimals(min(sizes, default=0.0))


def fmt_lr(value: float | None) -> str:
    """A learning rate the way people write it: 0.001, 5e-05."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.3g}"


def fmt_shape(shape: tuple[int | None, ...] | list[int | None]) -> str:
    """A tensor shape as Keras prints it: (None, 28, 28), a one-tuple as (10,)."""
    dims = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def fmt_seconds(seconds: float | None) -> str:
    """A duration: 0.4s, 12s, 3m05s, 1h02m."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "-"
    if round(seconds, 1) < 10:  # decide after rounding: 9.96 reads "10s", as 10.4 does
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def fmt_logs(logs: Mapping[str, float], *, skip: frozenset[str] = frozenset({"learning_rate", "lr"})
             ) -> str:
    """'loss 0.3121  accuracy 0.9012  val_loss 0.3310': training quantities before validation."""
    keys = [k for k in logs if k not in skip]
    ordered = sorted(keys, key=lambda k: (k.startswith("val_"), k != "loss" and k != "val_loss"))
    decimals = shared_decimals(logs[k] for k in ordered)
    return "  ".join(f"{key} {fmt_value(logs[key], decimals)}" for key in ordered)
