"""The bench harness runs: its smallest configuration completes and writes its JSON.

No timing is asserted here (speed is the bench's business, on purpose, not CI's): the test only
proves that `python -m bench --smoke` still drives the real app in a pty, trains, follows the run
folder, and reports every figure under its key. Designed to take ~30 s: one tiny app run, one
bare run, one chart; the other figures are written as skipped.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("psutil", "pyte")),
    reason="the bench needs its extra: pip install -e '.[bench]'")


def test_smoke_run_completes_and_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--json", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))

    sys.path.insert(0, str(REPO))
    try:
        from bench.run import FIGURES, SMOKE_FIGURES
    finally:
        sys.path.remove(str(REPO))

    assert set(results) == {"meta", "figures", "checks"}
    assert list(results["figures"]) == list(FIGURES)
    assert results["meta"]["mode"] == "smoke"
    for key, figure in results["figures"].items():
        assert figure["key"] == key
        expected = "measured" if key in SMOKE_FIGURES else "skipped"
        assert figure["status"] == expected, (key, figure["notes"])
    throughput = results["figures"]["throughput_app"]
    assert throughput["headline"]["tiny.wall"] > 0 and throughput["headline"]["tiny.cpu"] > 0
    assert throughput["raw"]["tiny.same_final_loss"] is True  # the same training both ways
    assert results["figures"]["epoch_to_chart"]["measures"]["latency_ms"]["n"] >= 1
    assert results["figures"]["chart_redraw"]["headline"]["downsampled_ms"] > 0
    assert "throughput_app" in proc.stdout  # the table was printed
    targets = {c["target"] for c in results["checks"]}
    assert "throughput_app.digits-wide.wall" in targets  # targets.toml was read
