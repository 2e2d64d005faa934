"""Where a run trains: ``[fit] strategy``, ``devices``, ``mixed_precision`` and ``jit_compile``.

TensorFlow's own distribution engine does the work (tf.distribute): ``default`` (TensorFlow's
placement: the first GPU, else the CPU), ``one_device`` (the one device named in ``devices``),
``mirrored`` (one host: every GPU, or the ``devices`` listed) and ``multi_worker``
(MultiWorkerMirroredStrategy, its cluster read from ``TF_CONFIG`` or from a Slurm allocation by
TensorFlow's cluster resolvers). Everything that can be refused is refused here, before the run
folder exists, with one line that says what to change.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from nnbench.core.errors import NnbenchError
from nnbench.core.i18n import N_, _

STRATEGIES = ("default", "one_device", "mirrored", "multi_worker")
PEER_TIMEOUT_ENV = "NNBENCH_PEER_TIMEOUT"
"""Seconds a multi_worker run waits for every worker to join before it gives up (default 120)."""
DEFAULT_PEER_TIMEOUT = 120.0


TF_CONFIG_EXAMPLE = ('{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                     '"task": {"type": "worker", "index": 0}}')
"""What a valid TF_CONFIG looks like, as the errors show it."""

class DistributeError(NnbenchError):
    """A strategy, device or cluster setting this machine cannot honour."""

    title = N_("Devices")


def fit_problem(strategy: str, devices: list[str]) -> str | None:
    """What is wrong with ``strategy`` and ``devices`` as written (no TensorFlow needed)."""
    if strategy not in STRATEGIES:
        return f"unknown strategy '{strategy}'; use one of {', '.join(STRATEGIES)}"
    if strategy == "one_device" and len(devices) != 1:
        return ("one_device trains on exactly one device: set devices = [\"GPU:0\"] (or "
                "\"CPU:0\"); `nnbench devices` lists them")
    if strategy in ("default", "multi_worker") and devices:
        return (f"devices are chosen by TensorFlow with strategy \"{strategy}\"; remove devices, or "
                "use strategy = \"one_device\" or \"mirrored\" to name them")
    for name in devices:
        if _parse_device(name) is None:
            return f"'{name}' is not a device name; write it as TYPE:N, e.g. \"GPU:0\" or \"CPU:0\""
    if len(set(map(_parse_device, devices))) != len(devices):
        return "a device is listed twice in devices; list each once"
    return None


def _parse_device(name: str) -> tuple[str, int] | None:
    """"GPU:1", "/gpu:1", "/device:GPU:1" or "/physical_device:GPU:1" -> ("GPU", 1)."""
    text = name.strip().lower().removeprefix("/")
    for prefix in ("physical_device:", "device:"):
        text = text.removeprefix(prefix)
    kind, sep, index = text.partition(":")
    if not sep or kind not in ("cpu", "gpu") or not index.isdigit():
        return None
    return kind.upper(), int(index)


@dataclass
class Placement:
    """The strategy a run trains under, the devices it uses, and whether this process is the
    chief (the one that writes the run store) of its cluster."""

    kind: str
    strategy: Any = None
    devices: list[str] = field(default_factory=list)
    is_chief: bool = True
    task: str = ""
    """"worker 1" in a cluster, else ""."""

    def scope(self) -> Any:
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()


def place(fit: Any, *, on_timeout: Callable[[str], None] | None = None) -> Placement:
    """The Placement for a [fit] table, or DistributeError saying why this machine can't do it.

    Call it before any other TensorFlow work: a multi_worker strategy must start the process's
    TensorFlow runtime itself."""
    import tensorflow as tf

    problem = fit_problem(fit.strategy, list(fit.devices))  # a form may set one field at a time
    if problem:
        raise DistributeError(_("fit: {problem}").format(problem=problem))
    if fit.strategy == "multi_worker":
        placement = _multi_worker(tf, on_timeout)
    else:
        placement = _one_host(tf, fit.strategy, list(fit.devices))
    if fit.mixed_precision and not any("GPU" in d.upper() for d in placement.devices):
        raise DistributeError(_(
            "fit.mixed_precision: mixed_float16 needs a GPU and this run trains on {devices} only "
            "(on a CPU float16 is slower, not faster); set mixed_precision = false").format(
            devices=", ".join(_short(d) for d in placement.devices)))
    return placement


def _short(device: str) -> str:
    parsed = _parse_device(device.rpartition("/")[2] if "/job:" in device else device)
    return f"{parsed[0]}:{parsed[1]}" if parsed else device


def _one_host(tf: Any, kind: str, devices: list[str]) -> Placement:
    logical = {_parse_device(d.name): d.name for d in tf.config.list_logical_devices()}
    wanted = []
    for name in devices:
        parsed = _parse_device(name)
        if parsed not in logical:
            seen = ", ".join(f"{k[0]}:{k[1]}" for k in sorted(k for k in logical if k)) or _("none")
            raise DistributeError(_(
                "fit.devices: no {device} on this machine (TensorFlow sees {seen}); name one of "
                "those, or `nnbench devices` lists them").format(
                device=f"{parsed[0] if parsed else ''}:{parsed[1] if parsed else ''}", seen=seen))
        wanted.append(logical[parsed])
    gpus = [name for key, name in logical.items() if key and key[0] == "GPU"]
    if kind == "one_device":
        return Placement(kind, tf.distribute.OneDeviceStrategy(wanted[0]), wanted)
    if kind == "mirrored":
        chosen = wanted or gpus or [logical[("CPU", 0)]]
        return Placement(kind, tf.distribute.MirroredStrategy(chosen), chosen)
    return Placement(kind, None, [gpus[0] if gpus else logical[("CPU", 0)]])


# --- multi_worker -------------------------------------------------------------------------------


def read_tf_config(text: str) -> dict[str, Any]:
    """TF_CONFIG checked: a cluster of host:port lists and this process's task in it."""
    try:
        config = json.loads(text)
    except ValueError as exc:
        raise DistributeError(_("TF_CONFIG is not valid JSON ({reason}); set it to e.g. "
                                "{example}").format(reason=exc, example=TF_CONFIG_EXAMPLE)) from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not cluster:
        raise DistributeError(_('TF_CONFIG has no "cluster" table of jobs, e.g. {example}').format(
            example='"cluster": {"worker": ["host1:12345", "host2:12345"]}'))
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses:
            raise DistributeError(_('TF_CONFIG: cluster "{job}" must be a list of "host:port"').format(
                job=job))
        for address in addresses:
            host, sep, port = str(address).rpartition(":")
            if not isinstance(address, str) or not sep or not host or not port.isdigit():
                raise DistributeError(_('TF_CONFIG: cluster "{job}" has {address}, not "host:port"'
                                        ).format(job=job, address=repr(address)))
    task = config.get("task")
    if not isinstance(task, dict) or task.get("type") not in cluster:
        raise DistributeError(_("TF_CONFIG needs {task} with J one of the cluster's jobs "
                                "({jobs})").format(task='"task": {"type": J, "index": N}',
                                                   jobs=", ".join(cluster)))
    index = task.get("index")
    if isinstance(index, bool) or not isinstance(index, int) or not \
            0 <= index < len(cluster[task["type"]]):
        raise DistributeError(_('TF_CONFIG: task index {index} is not one of the {n} "{job}" '
                                'addresses (0 to {last})').format(
            index=repr(index), n=len(cluster[task["type"]]), job=task["type"],
            last=len(cluster[task["type"]]) - 1))
    return config


def _multi_worker(tf: Any, on_timeout: Callable[[str], None] | None) -> Placement:
    if os.environ.get("TF_CONFIG"):
        config = read_tf_config(os.environ["TF_CONFIG"])
        resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
        task_type, index = config["task"]["type"], config["task"]["index"]
        jobs = config["cluster"]
        chief = task_type == "chief" or (task_type == "worker" and index == 0 and "chief" not in jobs)
        counts = {job: len(addresses) for job, addresses in jobs.items()}
    elif os.environ.get("SLURM_PROCID") is not None and os.environ.get("SLURM_JOB_ID"):
        resolver = tf.distribute.cluster_resolver.SlurmClusterResolver(
            port_base=int(os.environ.get("NNBENCH_SLURM_PORT", "8888")))
        task_type, index = "worker", int(os.environ["SLURM_PROCID"])
        chief, counts = index == 0, {"worker": int(os.environ.get("SLURM_NTASKS", "1"))}
    else:
        raise DistributeError(_(
            'fit.strategy = "multi_worker" needs a cluster: set TF_CONFIG in each worker\'s '
            "environment, or start the workers under Slurm with srun; for one machine use "
            '"mirrored"'))
    timeout = _peer_timeout()
    _configure_coordination(resolver, timeout)
    with _watchdog(timeout, counts, on_timeout):
        try:
            strategy = _strategy_class(tf)(cluster_resolver=resolver)
        except tf.errors.OpError as exc:
            raise DistributeError(_peers_message(timeout, counts, exc.message)) from None
    local = list(strategy.extended.worker_devices)
    prefix = f"/job:{task_type}/replica:0/task:{index}"
    devices = [d.replace(prefix, f"/job:{job}/replica:0/task:{i}")
               for job, n in counts.items() for i in range(n) for d in local]
    return Placement("multi_worker", strategy, devices or local, chief, f"{task_type} {index}")


def _peer_timeout() -> float:
    text = os.environ.get(PEER_TIMEOUT_ENV, "")
    try:
        return float(text) if text else DEFAULT_PEER_TIMEOUT
    except ValueError:
        raise DistributeError(_("{setting} is not a number of seconds").format(
            setting=f"{PEER_TIMEOUT_ENV}={text!r}")) from None


def _peers_message(timeout: float, counts: dict[str, int], detail: str = "") -> str:
    total = sum(counts.values())
    first = detail.strip().splitlines()[0] if detail.strip() else ""
    joined = _("the {n} workers of the cluster did not all join within {seconds} s").format(
        n=total, seconds=f"{timeout:g}")
    return (joined + (f" ({first})" if first else "") + "; " + _(
        "start every worker (same TF_CONFIG cluster, its own task index), check the hosts and "
        "ports are reachable, or raise {setting}").format(setting=PEER_TIMEOUT_ENV))


def _configure_coordination(resolver: Any, timeout: float) -> None:
    """TensorFlow's coordination service as MultiWorkerMirroredStrategy would set it up, but with
    a registration deadline: a worker whose peers never come answers DeadlineExceeded instead of
    waiting for an hour. (TensorFlow has no public switch for it; this is the one private call.)"""
    from tensorflow.compiler.xla.tsl.protobuf import coordination_config_pb2
    from tensorflow.python.distribute import multi_worker_util
    from tensorflow.python.eager import context

    spec = multi_worker_util.normalize_cluster_spec(resolver.cluster_spec())
    jobs = [coordination_config_pb2.CoordinatedJob(name=job, num_tasks=spec.num_tasks(job))
            for job in ("chief", "worker") if job in spec.jobs]
    context.context().configure_coordination_service(
        service_type="standalone", service_leader=multi_worker_util.coordination_leader(spec),
        coordinated_jobs=jobs, cluster_register_timeout_in_ms=int(timeout * 1000))


@contextlib.contextmanager
def _watchdog(timeout: float, counts: dict[str, int],
              on_timeout: Callable[[str], None] | None) -> Iterator[None]:
    """The coordination leader waits for its peers inside TensorFlow's C++ and cannot be
    interrupted: past the deadline (and a grace for TensorFlow's own), say why and end the
    process rather than hang. No run folder exists yet, so nothing is left half-made."""
    done = threading.Event()

    def expire() -> None:
        if done.wait(timeout + 15):
            return
        message = _peers_message(timeout, counts)
        if on_timeout is not None:
            with contextlib.suppress(Exception):
                on_timeout(message)
        print(f"nnbench: {DistributeError.title}: {message}", file=sys.stderr, flush=True)
        os._exit(2)

    threading.Thread(target=expire, name="nnbench-peer-watchdog", daemon=True).start()
    try:
        yield
    finally:
        done.set()


def _strategy_class(tf: Any) -> type:
    class MultiWorker(tf.distribute.MultiWorkerMirroredStrategy):
        """MultiWorkerMirroredStrategy whose ``reduce`` takes what Keras 3's fit hands it: a
        structure of values (the first batch, for the symbolic build) and per-replica scalars
        reduced along axis 0 (the logs); TensorFlow's own takes one tensor of rank >= 1."""

        def reduce(self, reduce_op: Any, value: Any, axis: Any = None) -> Any:
            def one(v: Any) -> Any:
                local = self.experimental_local_results(v)[0]
                along = axis if axis is not None and len(local.shape) > 0 else None
                return super(MultiWorker, self).reduce(reduce_op, v, along)

            return tf.nest.map_structure(one, value)

    return MultiWorker


WORKER_DIR_ENV = "NNBENCH_WORKER_DIR"


def worker_store() -> Any:
    """Where a worker that is not the chief keeps its own log folder: $NNBENCH_WORKER_DIR, else
    the temporary folder's nnbench-workers/ (never the shared runs folder)."""
    import tempfile
    from pathlib import Path

    from nnbench.core.runs import RunStore

    base = os.environ.get(WORKER_DIR_ENV) or str(Path(tempfile.gettempdir()) / "nnbench-workers")
    return RunStore(Path(base).expanduser())


def apply_precision(mixed_precision: bool) -> Callable[[], None]:
    """Set Keras's dtype policy for the layers built next; returns what puts it back."""
    import keras

    before = keras.mixed_precision.global_policy().name
    if mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")  # Keras scales the loss itself
    return lambda: keras.mixed_precision.set_global_policy(before)


def check_jit(fit: Any, model: Any) -> None:
    """Keras quietly turns XLA off where it can't compile (it only warns): refuse instead."""
    if not fit.jit_compile or getattr(model, "jit_compile", False):
        return
    if fit.seed is not None:
        raise DistributeError(_("fit.jit_compile: XLA can't be used here: fit.seed is set, and "
                                "TensorFlow's deterministic ops are not all XLA-compilable; "
                                "remove seed or set jit_compile = false"))
    raise DistributeError(_("fit.jit_compile: XLA can't be used here: Keras can't XLA-compile this "
                            "model here (a layer without XLA, or deterministic ops turned on by an "
                            "earlier seeded run in this process); set jit_compile = false"))


def describe(placement: Placement) -> str:
    """One line: 'mirrored on CPU:0, CPU:1'."""
    where = ", ".join(_short(d) for d in placement.devices)
    return f"{placement.kind} on {where}" + (f" ({placement.task})" if placement.task else "")
