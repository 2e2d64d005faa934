"""The Build view's model check runs in a helper process: the same answers as core.model.analyze,
a dead helper is a message and comes back, and the app itself never imports TensorFlow."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from nnbench.core.analysis_service import AnalysisUnavailable, Analyzer
from nnbench.core.errors import ModelError
from nnbench.core.model import analyze
from nnbench.core.preset import load_preset


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    helper = Analyzer()
    yield helper
    helper.release()


def test_the_helper_answers_what_analyze_answers(analyzer: Analyzer) -> None:
    preset = load_preset("digits-mlp")
    here = analyze(preset.model, (64,), loss=preset.compile.loss, num_classes=10)
    there = analyzer.analyze(preset.model, (64,), loss=preset.compile.loss, num_classes=10)
    assert there.error is None and there.summary is not None
    assert there.rows == here.rows
    assert there.summary == here.summary


def test_a_row_that_breaks_keeps_its_error_and_index(analyzer: Analyzer) -> None:
    preset = load_preset("digits-mlp")
    there = analyzer.analyze(preset.model, (28, 28, 1), loss=preset.compile.loss, num_classes=10)
    assert isinstance(there.error, ModelError)
    assert there.error.layer_index == 0
    assert "takes samples of shape (64,)" in there.error.message
    assert there.rows[0].error == there.error.message


def test_a_helper_killed_between_checks_is_started_again(analyzer: Analyzer) -> None:
    preset = load_preset("digits-mlp")
    analyzer.warm()
    assert analyzer.running
    analyzer._process.kill()  # type: ignore[union-attr]  # what an OOM killer would do
    analyzer._process.wait()  # type: ignore[union-attr]
    again = analyzer.analyze(preset.model, (64,), loss=preset.compile.loss, num_classes=10)
    assert again.summary is not None and again.summary.total > 0


def test_a_helper_that_dies_during_a_check_is_a_message_then_comes_back(tmp_path) -> None:
    dying = tmp_path / "python"
    dying.write_text("#!/bin/sh\nexit 3\n")
    dying.chmod(0o755)
    helper = Analyzer(python=str(dying))
    preset = load_preset("digits-mlp")
    with pytest.raises(AnalysisUnavailable, match=r"stopped \(exit code 3\).*starts it again"):
        helper.analyze(preset.model, (64,), loss=preset.compile.loss, num_classes=10)
    assert not helper.running
    helper._python = sys.executable  # the cause went away (e.g. memory freed)
    again = helper.analyze(preset.model, (64,), loss=preset.compile.loss, num_classes=10)
    assert again.summary is not None and again.summary.total > 0
    helper.release()


def test_a_helper_that_cannot_start_is_a_message() -> None:
    broken = Analyzer(python=sys.executable + "-missing")
    with pytest.raises(AnalysisUnavailable, match="could not start"):
        broken.warm()


def test_the_app_checks_the_model_without_importing_tensorflow(tmp_path) -> None:
    # A fresh interpreter: this test process has imported Keras already.
    code = textwrap.dedent(f"""
        import asyncio, sys
        from pathlib import Path
        from nnbench.tui.app import open_app

        async def main():
            app = open_app(None, runs_dir=Path({str(tmp_path)!r}))
            async with app.run_test(size=(120, 40)) as pilot:
                build = app.main.build_pane
                for _ in range(600):
                    await pilot.pause(0.1)
                    if build.analysis_current and build.analysis is not None:
                        break
                print("TOTAL", build.analysis.summary.total if build.analysis.summary else None)
                print("STATUS", app.main.status.keras)
            print("LOADED", sorted({{m.partition(".")[0] for m in sys.modules}}
                                   & {{"tensorflow", "keras"}}))

        asyncio.run(main())
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
    expected = analyze(load_preset("digits-mlp").model, None).summary
    assert expected is not None
    assert lines["TOTAL"] == str(expected.total)
    assert lines["STATUS"] == "TensorFlow ready"
    assert lines["LOADED"] == "[]"
