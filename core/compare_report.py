"""``nnbench compare``'s plain-text table: the keys that differ, then the shared metrics' final
values."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nnbench.core.compare import Comparison


def comparison_report(comparison: Comparison) -> str:
    """The diff table and the shared metrics' final values, as plain text (``nnbench compare``)."""
    from nnbench.core.format import fmt_value
    from nnbench.core.text import cell_cut, cell_pad, cell_width, printable

    c = comparison
    labels = [printable(label) for label in c.labels]
    width = min(max(12, *(cell_width(label) for label in labels)), 28) + 2
    lines = [f"{chr(65 + i) if i < 26 else i}: {printable(run.run_id)}  ({label})"
             for i, (run, label) in enumerate(zip(c.runs, labels, strict=True))]
    rows = [(printable(key), values) for key, values in c.rows()]
    metrics = [printable(metric) for metric in c.shared_metrics]
    key_w = min(max([len("preset key"), *(cell_width(k) for k, _ in rows)]), 40) + 2
    head = cell_pad("preset key", key_w) + "".join(
        cell_pad(chr(65 + i) if i < 26 else str(i), width) for i in range(len(c.runs)))
    lines += ["", head]
    if not rows:
        lines.append("  (the presets are the same)")
    for key, values in rows:
        lines.append(cell_pad(cell_cut(key, key_w - 2), key_w) + "".join(
            cell_pad(cell_cut(printable(v), width - 2), width) for v in values))
    lines += ["", cell_pad("final value", key_w)
              + "".join(cell_pad(chr(65 + i) if i < 26 else str(i), width) for i in range(len(c.runs)))]
    for metric, shown in zip(c.shared_metrics, metrics, strict=True):
        finals = [run.series[metric][-1][1] if run.series.get(metric) else None for run in c.runs]
        lines.append(cell_pad(cell_cut(shown, key_w - 2), key_w)
                     + "".join(cell_pad(fmt_value(v), width) for v in finals))
    for run_id, names in c.missing.items():
        lines.append(f"note: {printable(run_id)} did not log {', '.join(printable(n) for n in names)}; "
                     "compared what all runs share")
    return "\n".join(lines)
