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
from nnbench.core.i18n import _
from nnbench.core.preview_draw import Block, blocks_plain, blocks_rich
from nnbench.core.text import cell_cut, cell_pad, cell_width, printable


def report_blocks(evaluation: Evaluation, *, limit: int = 10, true: int | str | None = None,
                  predicted: int | str | None = None, width: int = 100) -> list[Block]:
    """The whole report as the preview's blocks; ``limit`` mistakes (at most ``SHOWN``)."""
    e = evaluation
    limit = min(limit, SHOWN)
    lines: list[Block] = [
        _("run {run_id} ({preset})  data {source}  {split} split, {samples} samples").format(
            run_id=printable(e.run_id), preset=printable(e.preset_name), source=printable(e.source),
            split=e.split, samples=f"{e.samples:,}")]
    lines += [_("note: {note}").format(note=printable(note)) for note in e.notes]
    if not e.is_classification:
        if true is not None or predicted is not None:
            raise EvaluateError(_("run {run_id} is a regression: it has no classes to filter by "
                                  "(--true, --predicted); its largest residuals are listed").format(
                run_id=e.run_id))
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
    return ["", _("residuals (true - predicted)"),
            "  " + _("mean {mean}  MAE {mae}  RMSE {rmse}").format(
                mean=short(r.mean), mae=short(r.mae), rmse=short(r.rmse))
            + (f"  R2 {r.r2:.4f}" if r.r2 is not None else ""),
            "  " + _("quantiles") + "  "
            + "  ".join(f"{q:.0%} {short(v)}" for q, v in r.quantiles.items()),
            "", _("largest residuals ({shown} of {total}, largest first)").format(
                shown=len(shown), total=f"{r.count:,}"),
            *(sample_blocks(shown, width) or ["  " + _("none")])]


def _score_lines(e: Evaluation, width: int) -> list[Block]:
    names = [printable(n) for n in e.class_names]
    matrix = e.confusion
    assert matrix is not None and e.accuracy is not None and e.macro is not None
    heading = _("true \\ predicted")
    label_w = min(max(cell_width(heading), *(len(n) for n in names)), 20)
    digits = len(f"{int(matrix.max()) if matrix.size else 0:,}")
    cell_w = max(digits, min(max(len(n) for n in names), 10)) + 2
    # A matrix wider than the terminal shows the columns that fit and says how many did not.
    fit = max(1, min(len(names), (width - label_w) // cell_w))
    lines: list[Block] = [
        "", _("accuracy {accuracy}  ({right} of {total})").format(
            accuracy=f"{e.accuracy:.4f}", right=f"{int(np.trace(matrix)):,}",
            total=f"{int(matrix.sum()):,}"),
        "", _("confusion matrix (rows: true class, columns: predicted class)")]
    lines.append(cell_pad(heading, label_w) + "".join(
        cell_pad(cell_cut(n, cell_w - 2), cell_w, ">") for n in names[:fit]))
    for name, row in zip(names, matrix, strict=True):
        lines.append(cell_pad(cell_cut(name, label_w), label_w)
                     + "".join(f"{int(v):>{cell_w},}" for v in row[:fit]))
    if fit < len(names):
        hidden = ", ".join(names[fit:fit + 3]) + (", …" if len(names) > fit + 3 else "")
        lines.append(_("… and {n} more columns (predicted {names}); a wider terminal shows them")
                     .format(n=len(names) - fit, names=hidden))
    lines += ["", cell_pad(_("class"), label_w)
              + f"{'precision':>11}{'recall':>9}{'f1':>9}{'support':>9}"]
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
        which.append(_("true {name}").format(name=names[e.class_index(true)]))
    if predicted is not None:
        which.append(_("predicted {name}").format(name=names[e.class_index(predicted)]))
    shown = e.mistakes(true=true, predicted=predicted, limit=limit)
    title = (_("most confident mistakes ({filters}): {shown} of {total}") if which else
             _("most confident mistakes: {shown} of {total}"))
    lines: list[Block] = [
        "", title.format(filters=", ".join(which), shown=len(shown), total=f"{len(wrong):,}")]
    return lines + (sample_blocks(shown, width) or ["  " + _("none")])
