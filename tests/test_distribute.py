"""Strategies without GPUs: mirrored over two logical CPUs, multi_worker as two processes on
127.0.0.1, and the settings this machine must refuse in one line, with no run folder left.

Each distributed run trains in a subprocess: logical devices and a cluster runtime are set up
before TensorFlow initialises, once per process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import TINY, merge, tiny_preset

from nnbench.core.errors import PresetError
from nnbench.core.preset import loads_preset, preset_from_dict
from nnbench.core.runs import RunStore
from nnbench.core.strategy import DistributeError, fit_problem, read_tf_config
from nnbench.core.training import Trainer

WORKER = r"""
import json, sys
cpus = int(sys.argv[3])
if cpus > 1:
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(cpus)])
from pathlib import Path
from nnbench.core.preset import loads_preset
from nnbench.core.training import Trainer
preset = loads_preset(Path(sys.argv[1]).read_text())
trainer = Trainer(preset, sys.argv[2])
final = trainer.run()
params = trainer._model.count_params() if trainer._model is not None else None
print("RESULT " + json.dumps({"status": final.status, "run_dir": final.run_dir,
                              "error": final.error, "params": params}), flush=True)
"""


def _preset_file(tmp_path: Path, name: str, fit: dict[str, Any]) -> Path:
    preset = preset_from_dict(merge(TINY, {"name": name, "fit": {**fit, "epochs": 1}}))
    path = tmp_path / f"{name}.toml"
    path.write_text(preset.to_toml(), encoding="utf-8")
    return path


def _start(preset: Path, runs: Path, cpus: int = 1, env: dict[str, str] | None = None
           ) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WORKER, str(preset), str(runs), str(cpus)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def _result(proc: subprocess.Popen[str], timeout: float = 90) -> tuple[dict[str, Any], str]:
    out, err = proc.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    assert lines, f"no result (exit {proc.returncode}): {err[-2000:]}"
    return json.loads(lines[-1].removeprefix("RESULT ")), err


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _tf_config(ports: list[int], index: int) -> str:
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


def test_mirrored_over_two_logical_cpus_trains_the_same_model(tmp_path: Path) -> None:
    plain = Trainer(tiny_preset(fit={"epochs": 1}), tmp_path / "plain")
    plain.run()
    runs = tmp_path / "runs"
    path = _preset_file(tmp_path, "mirrored", {"strategy": "mirrored",
                                               "devices": ["CPU:0", "CPU:1"]})
    result, err = _result(_start(path, runs, cpus=2))
    assert result["status"] == "finished", result["error"] or err[-2000:]
    assert result["params"] == plain._model.count_params()
    summary = json.loads((Path(result["run_dir"]) / "summary.json").read_text())
    assert summary["devices"] == ["/device:CPU:0", "/device:CPU:1"]
    history = RunStore(runs).history(Path(result["run_dir"]).name)
    assert len(history) == 1 and history[0]["loss"] == history[0]["loss"]  # finite, not NaN
    assert history[0]["loss"] < float("inf")


def test_multi_worker_two_processes_train_one_epoch_the_chief_keeps_the_run(tmp_path: Path) -> None:
    runs, workers = tmp_path / "runs", tmp_path / "workers"
    path = _preset_file(tmp_path, "cluster", {"strategy": "multi_worker"})
    ports = _free_ports(2)
    procs = [_start(path, runs, env={"TF_CONFIG": _tf_config(ports, i), "NNBENCH_WORKER_DIR":
                                     str(workers), "NNBENCH_PEER_TIMEOUT": "60"})
             for i in range(2)]
    (chief, err0), (other, err1) = [_result(p, timeout=120) for p in procs]
    assert chief["status"] == "finished", chief["error"] or err0[-2000:]
    assert other["status"] == "finished", other["error"] or err1[-2000:]
    chief_dir = Path(chief["run_dir"])
    assert chief_dir.parent == runs
    assert [d.name for d in RunStore(runs).folders()] == [chief_dir.name]  # the worker wrote none
    assert Path(other["run_dir"]).parent == workers  # it logged to its own folder
    history = RunStore(runs).history(chief_dir.name)
    assert len(history) == 1 and history[0]["loss"] < float("inf")
    summary = json.loads((chief_dir / "summary.json").read_text())
    assert len(summary["devices"]) == 2 and all("/job:worker" in d for d in summary["devices"])


def test_a_worker_whose_peers_never_come_gives_up_in_one_line(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    path = _preset_file(tmp_path, "alone", {"strategy": "multi_worker"})
    ports = _free_ports(2)
    # Worker 1 of 2, alone: TensorFlow's registration deadline answers; no run folder is made.
    result, _ = _result(_start(path, runs, env={"TF_CONFIG": _tf_config(ports, 1),
                                                "NNBENCH_PEER_TIMEOUT": "3"}))
    assert result["status"] == "failed" and result["run_dir"] is None
    assert "did not all join within 3 s" in result["error"] and "\n" not in result["error"]
    assert not runs.exists() or not RunStore(runs).folders()


@pytest.mark.parametrize(("text", "words"), [
    ("not json", "TF_CONFIG is not valid JSON"),
    ('{"task": {"type": "worker", "index": 0}}', 'no "cluster"'),
    ('{"cluster": {"worker": ["localhost"]}, "task": {"type": "worker", "index": 0}}',
     "not \"host:port\""),
    ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "ps", "index": 0}}', "task"),
    ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 2}}',
     "task index 2"),
])
def test_a_malformed_tf_config_is_refused_in_one_line(text: str, words: str) -> None:
    with pytest.raises(DistributeError) as caught:
        read_tf_config(text)
    assert words in caught.value.message and "\n" not in caught.value.message


def _refused(runs_dir: Path, **fit: Any) -> str:
    final = Trainer(tiny_preset(fit=fit), runs_dir).run()
    assert final.status == "failed" and final.run_dir is None
    assert not runs_dir.exists() or not RunStore(runs_dir).folders()  # nothing half-made
    assert final.error is not None and "\n" not in final.error
    return final.error


def test_a_missing_gpu_is_refused_before_the_run_folder(runs_dir: Path) -> None:
    error = _refused(runs_dir, strategy="one_device", devices=["GPU:0"])
    assert "no GPU:0 on this machine" in error and "CPU:0" in error


def test_mirrored_naming_a_missing_gpu_is_refused(runs_dir: Path) -> None:
    assert "no GPU:1" in _refused(runs_dir, strategy="mirrored", devices=["CPU:0", "GPU:1"])


def test_mixed_precision_on_a_cpu_only_machine_is_refused_with_the_reason(runs_dir: Path) -> None:
    error = _refused(runs_dir, mixed_precision=True)
    assert "mixed_float16 needs a GPU" in error and "mixed_precision = false" in error


def test_multi_worker_without_a_cluster_says_how_to_give_one(runs_dir: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.delenv("SLURM_PROCID", raising=False)
    assert "set TF_CONFIG" in _refused(runs_dir, strategy="multi_worker")


def test_one_device_on_the_cpu_trains_and_records_its_device(runs_dir: Path) -> None:
    # (XLA itself is not tried here: op determinism, turned on by any seeded run before in this
    # process, makes Keras refuse it; the refusal is the test below.)
    final = Trainer(tiny_preset(fit={"epochs": 1, "strategy": "one_device", "devices": ["CPU:0"]}),
                    runs_dir).run()
    assert final.status == "finished", final.error
    summary = json.loads((Path(final.run_dir or "") / "summary.json").read_text())
    assert summary["devices"] == ["/device:CPU:0"]


def test_xla_with_a_seed_is_refused_not_quietly_dropped(runs_dir: Path) -> None:
    assert "remove seed or set jit_compile = false" in _refused(runs_dir, jit_compile=True)


@pytest.mark.parametrize(("fit", "words"), [
    ({"strategy": "one_device"}, "exactly one device"),
    ({"strategy": "mirrored", "devices": ["TPU:0"]}, "not a device name"),
    ({"strategy": "mirrored", "devices": ["GPU:0", "/gpu:0"]}, "listed twice"),
    ({"devices": ["GPU:0"]}, "remove devices"),
])
def test_strategy_and_devices_are_checked_as_the_preset_is_read(fit: dict[str, Any],
                                                                 words: str) -> None:
    with pytest.raises(PresetError) as caught:
        tiny_preset(fit=fit)
    assert words in caught.value.message and caught.value.key is not None


def test_the_new_fit_keys_round_trip_and_defaults_stay_out_of_the_file() -> None:
    preset = tiny_preset(fit={"strategy": "mirrored", "devices": ["GPU:0", "GPU:1"],
                              "jit_compile": True})
    again = loads_preset(preset.to_toml())
    assert again.fit == preset.fit
    assert "strategy" not in tiny_preset().to_toml()
    assert fit_problem("default", []) is None
