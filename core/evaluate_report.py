"""The report ``nnbench evaluate`` prints: the confusion matrix with class names, the per-class
table and the most confident mistakes drawn as the data preview draws samples; for regression the
residual summary and the largest residuals.

``report_blocks`` lays it out once; ``evaluation_report`` draws it as plain text (pictures in
shade characters), ``report_rich`` as a Rich renderable (pictures in coloured half-blocks).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnbench.core.evaluate_draw import sample_blocks
from nnbench.core.evaluate_types import SHOWN, EvaluateError, Evaluation, short
from nnbench.core.preview_draw import Block, blocks_plain, blocks_rich
from nnbench.core.text import cell_cut, cell_pad, printable


def report_blocks(evaluation: Evaluation, *, limit: int = 10, true: int | str | None = None,
                  predicted: int | str | None = None, width: int = 100) -> list[Block]:
    """The whole report as the preview's blocks; ``limit`` mistakes (at most ``SHOWN``)."""
    e = evaluation
    limit = min(limit, SHOWN)
    lines: list[Block] = [
        f"run {printable(e.run_id)} ({printable(e.preset_name)})  data {printable(e.source)}  "
        f"{e.split} split, {e.samples:,} samples"]
    lines += [f"note: {printable(note)}" for note in e.notes]
    if not e.is_classification:
        if true is not None or predicted is not None:
            raise EvaluateError(f"run {e.run_id} is a regression: it has no classes to filter "
                                "by (--true, --predicted); its largest residuals are listed")
        return lines + _residual_lines(e, limit, width)
    return lines + _score_lines(e, width) + _mistake_lines(e, limit, true, predicted, width)


def evaluation_report(evaluation: Evaluation, *, limit: int = 10, true: int | str | None = None,
                      predicted: int | str | None = None, width: int = 100) -> str:
    """The report as plain text lines."""
    return blocks_plain(report_blocks(evaluation, limit=limit, true=true, predicted=predicted,
                                      width=width))


def report_rich(evaluation: Evaluation, *, limit: int = 10, true: int | str | None = None,
                predicted: int | str | None = None, width: int = 100) -> Any:
    """The report as a Rich renderable: pictures in half-blocks, every string as ``Text``."""
    return blocks_rich(report_blocks(evaluation, limit=limit, true=true, predicted=predicted,
                                     width=width))


def has_pictures(evaluation: Evaluation) -> bool:
    return any(example.kind == "image" for example in evaluation.kept.values())


def _residual_lines(e: Evaluation, limit: int, width: int) -> list[Block]:
    r = e.residuals
    assert r is not None
    shown = r.largest[:limit]
    return ["", "residuals (true - predicted)",
            f"  mean {short(r.mean)}  MAE {short(r.mae)}  RMSE {short(r.rmse)}"
            + (f"  R2 {r.r2:.4f}" if r.r2 is not None else ""),
            "  quantiles  " + "  ".join(f"{q:.0%} {short(v)}" for q, v in r.quantiles.items()),
            "", f"largest residuals ({len(shown)} of {r.count:,}, largest first)",
            *(sample_blocks(shown, width) or ["  none"])]


def _score_lines(e: Evaluation, width: int) -> list[Block]:
    names = [printable(n) for n in e.class_names]
    matrix = e.confusion
    assert matrix is not None and e.accuracy is not None and e.macro is not None
    label_w = min(max(len("true \\ predicted"), *(len(n) for n in names)), 20)
    digits = len(f"{int(matrix.max()) if matrix.size else 0:,}")
    cell_w = max(digits, min(max(len(n) for n in names), 10)) + 2
    # A matrix wider than the terminal shows the columns that fit and says how many did not.
    fit = max(1, min(len(names), (width - label_w) // cell_w))
    lines: list[Block] = [
        "", f"accuracy {e.accuracy:.4f}  ({int(np.trace(matrix)):,} of {int(matrix.sum()):,})",
        "", "confusion matrix (rows: true class, columns: predicted class)"]
    lines.append(cell_pad("true \\ predicted", label_w) + "".join(
        cell_pad(cell_cut(n, cell_w - 2), cell_w, ">") for n in names[:fit]))
    for name, row in zip(names, matrix, strict=True):
        lines.append(cell_pad(cell_cut(name, label_w), label_w)
                     + "".join(f"{int(v):>{cell_w},}" for v in row[:fit]))
    if fit < len(names):
        lines.append(f"… and {len(names) - fit} more columns (predicted "
                     f"{', '.join(names[fit:fit + 3])}{', …' if len(names) > fit + 3 else ''}); "
                     "a wider terminal shows them")
    lines += ["", cell_pad("class", label_w) + f"{'precision':>11}{'recall':>9}{'f1':>9}{'support':>9}"]
    for s in [*e.per_class, e.macro]:
        lines.append(cell_pad(cell_cut(printable(s.name), label_w), label_w)
                     + f"{s.precision:>11.4f}{s.recall:>9.4f}{s.f1:>9.4f}{s.support:>9,}")
    return lines


def _mistake_lines(e: Evaluation, limit: int, true: int | str | None,
                   predicted: int | str | None, width: int) -> list[Block]:
    names = [printable(n) for n in e.class_names]
    wrong = e.mistake_indices(true=true, predicted=predicted)
    which = []
    if true is not None:
        which.append(f"true {names[e.class_index(true)]}")
    if predicted is not None:
        which.append(f"predicted {names[e.class_index(predicted)]}")
    shown = e.mistakes(true=true, predicted=predicted, limit=limit)
    lines: list[Block] = [
        "", f"most confident mistakes{' (' + ', '.join(which) + ')' if which else ''}: "
            f"{len(shown)} of {len(wrong):,}"]
    return lines + (sample_blocks(shown, width) or ["  none"])
