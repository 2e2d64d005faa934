"""A run outlives its terminal: ``nnbench train --detach``, following, stop, SIGKILL then resume,
SIGTERM / SIGHUP to a headless run, and the app in a real pty hung up while its run trains.

Every process here imports TensorFlow, which costs seconds, so the module starts them all at once
(``fleet``) and the tests take turns with them; each test is one process's story.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import os
import pty
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_preset

from nnbench.core import events as ev
from nnbench.core.follow import RunFollower
from nnbench.core.run_state import replay
from nnbench.core.runs import pid_alive, read_events

pytestmark = pytest.mark.slow

NNBENCH = [sys.executable, "-m", "nnbench.tui"]
START_SECONDS = 600
"""Generous: on a loaded machine importing TensorFlow alone took a minute."""


def wait_for(check: Callable[[], Any], what: str, timeout: float = START_SECONDS,
             every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def run_folders(runs_dir: Path) -> list[Path]:
    if not runs_dir.is_dir():
        return []
    return sorted(d for d in runs_dir.iterdir() if d.is_dir() and not d.name.startswith("."))


def epochs_ended(run_dir: Path) -> list[int]:
    return [e.epoch for e in read_events(run_dir / "events.jsonl") if isinstance(e, ev.EpochEnded)]


def summary(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "summary.json").read_text())


def the_run(runs_dir: Path, min_epochs: int) -> Path:
    """The one run folder in ``runs_dir``, once it has ``min_epochs`` epochs."""
    def ready() -> Path | None:
        folders = run_folders(runs_dir)
        if folders and len(epochs_ended(folders[0])) >= min_epochs:
            return folders[0]
        return None
    return wait_for(ready, f"{min_epochs} epochs in {runs_dir}")


def gone(pid: int) -> bool:
    return not pid_alive(pid)


@dataclass
class App:
    """``nnbench PRESET`` in a pseudo-terminal of its own (a session whose controlling tty it is)."""

    pid: int
    master: int
    output: bytearray = field(default_factory=bytearray)
    status: int | None = None

    @classmethod
    def start(cls, preset: Path, env: dict[str, str]) -> App:
        pid, master = pty.fork()
        if pid == 0:  # the child: the pty is its stdin/stdout/stderr and controlling terminal
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
                # As a terminal starts it: a runner under nohup would hand down SIGHUP ignored.
                signal.signal(signal.SIGHUP, signal.SIG_DFL)
                os.execve(sys.executable, [*NNBENCH, str(preset)], env)
            finally:
                os._exit(127)
        app = cls(pid, master)
        threading.Thread(target=app._drain, daemon=True).start()
        return app

    def _drain(self) -> None:
        # A pty whose reader stops fills up, and then the app blocks writing the screen.
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def press(self, data: bytes) -> None:
        os.write(self.master, data)

    def exited(self) -> bool:
        if self.status is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.status = status
        return self.status is not None

    def kill(self) -> None:
        if not self.exited():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self.master)


@dataclass
class Fleet:
    root: Path
    env: dict[str, str]
    detach_a: subprocess.Popen[str]
    detach_b: subprocess.Popen[str]
    sigterm: subprocess.Popen[str]
    sighup: subprocess.Popen[str]
    app: App
    notes: dict[str, Any] = field(default_factory=dict)

    def runs(self, name: str) -> Path:
        return self.root / name

    def cli(self, *args: str, timeout: float = START_SECONDS) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*NNBENCH, *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)


def headless(preset: Path, runs_dir: Path, env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    with log.open("w") as out:
        return subprocess.Popen([*NNBENCH, "train", str(preset), "--runs-dir", str(runs_dir)],
                                env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
                                stdin=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    root = tmp_path_factory.mktemp("detach")
    for name in ("home", "state", "config", "data"):
        (root / name).mkdir()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1",
           "HOME": str(root / "home"), "XDG_STATE_HOME": str(root / "state"),
           "XDG_CONFIG_HOME": str(root / "config"), "XDG_DATA_HOME": str(root / "data"),
           "NNBENCH_RUNS_DIR": str(root / "app-runs"), "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    # Long enough never to finish by itself while a test watches it (4 rows a batch: 24 batches).
    long = root / "long.toml"
    long.write_text(tiny_preset(name="long-iris", fit={"epochs": 300, "batch_size": 4}).to_toml())
    short = root / "app.toml"
    short.write_text(tiny_preset(name="app-iris", fit={"epochs": 30, "batch_size": 8}).to_toml())

    def detach(name: str) -> subprocess.Popen[str]:
        return subprocess.Popen([*NNBENCH, "train", str(long), "--detach", "--runs-dir",
                                 str(root / name)], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                                start_new_session=True)

    app = App.start(short, env)
    fleet = Fleet(root, env, detach("a"), detach("b"),
                  headless(long, root / "c", env, root / "c.log"),
                  headless(long, root / "d", env, root / "d.log"), app)
    try:
        yield fleet
    finally:
        app.kill()
        for process in (fleet.detach_a, fleet.detach_b, fleet.sigterm, fleet.sighup):
            if process.poll() is None:
                process.kill()
                process.wait(30)
        # The run processes this module started (each in a session of its own).
        for name in ("a", "b", "c", "d", "app-runs"):
            for folder in run_folders(root / name):
                pid = summary(folder).get("pid")
                if isinstance(pid, int) and pid != os.getpid() and pid_alive(pid) \
                        and summary(folder).get("status") == "running":
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)


# --- the app in a pty: hang it up, the run goes on ------------------------------------------------


def test_hanging_up_the_app_while_it_trains_leaves_the_run_to_finish(fleet: Fleet) -> None:
    app, runs_dir = fleet.app, fleet.runs("app-runs")
    wait_for(lambda: len(app.output) > 2000, "the app's first screen")
    time.sleep(1.0)

    def pressed_and_started() -> bool:
        app.press(b"\x12")  # Ctrl+R: train the working preset (again if the first was too early)
        return bool(wait_for_quietly(lambda: run_folders(runs_dir), 20))

    wait_for(pressed_and_started, "a run folder after Ctrl+R", every=0.1)
    run_dir = the_run(runs_dir, 2)
    run_pid = summary(run_dir)["pid"]
    assert run_pid != app.pid and os.getsid(run_pid) != os.getsid(app.pid)

    os.killpg(app.pid, signal.SIGHUP)  # the terminal goes away (tmux window killed, SSH dropped)
    os.close(app.master)
    wait_for(app.exited, "the app to leave after SIGHUP", timeout=60)
    assert pid_alive(run_pid), "the run died with the app"

    wait_for(lambda: summary(run_dir)["status"] != "running", "the run to end", every=0.5)
    assert summary(run_dir)["status"] == "finished"
    assert summary(run_dir)["epochs_done"] == 30
    assert epochs_ended(run_dir) == list(range(1, 31))
    assert (run_dir / "model.keras").is_file()


def wait_for_quietly(check: Callable[[], Any], timeout: float) -> Any:
    try:
        return wait_for(check, "", timeout=timeout)
    except AssertionError:
        return None


# --- train --detach, follow, stop -----------------------------------------------------------------


def test_detach_prints_the_run_id_and_returns_while_the_run_trains(fleet: Fleet) -> None:
    out, err = fleet.detach_a.communicate(timeout=START_SECONDS)
    assert fleet.detach_a.returncode == 0, err
    run_id = out.strip()
    assert run_id and "\n" not in run_id
    run_dir = fleet.runs("a") / run_id
    assert run_dir.is_dir()
    state = summary(run_dir)
    assert state["status"] == "running" and len(epochs_ended(run_dir)) < 300
    pid = state["pid"]
    assert pid_alive(pid) and pid != fleet.detach_a.pid
    assert os.getsid(pid) == pid  # a session of its own: no terminal's hangup reaches it
    assert f"nnbench attach {run_id}" in err and "Traceback" not in err
    assert (run_dir / "output.log").is_file()  # its output lives in the run folder
    fleet.notes["a"] = (run_dir, pid, RunFollower(run_dir))


def test_a_follower_sees_every_epoch_in_order(fleet: Fleet) -> None:
    run_dir, _, follower = fleet.notes["a"]
    seen: list[ev.Event] = []

    def three_epochs() -> bool:
        seen.extend(follower.poll())
        return sum(isinstance(e, ev.EpochEnded) for e in seen) >= 3

    wait_for(three_epochs, "three epochs through the follower", every=0.1)
    assert isinstance(seen[0], ev.RunStarted) and seen[0].run_dir == str(run_dir)
    epochs = [e.epoch for e in seen if isinstance(e, ev.EpochEnded)]
    assert epochs == list(range(1, len(epochs) + 1))
    assert any(isinstance(e, ev.BatchProgress) for e in seen)  # progress.json is followed too
    fleet.notes["a-seen"] = seen


def test_nnbench_stop_ends_the_detached_run_as_stopped_with_its_model(fleet: Fleet) -> None:
    run_dir, pid, follower = fleet.notes["a"]
    seen: list[ev.Event] = fleet.notes["a-seen"]
    done = fleet.cli("stop", run_dir.name, "--runs-dir", str(fleet.runs("a")), timeout=120)
    assert done.returncode == 0, done.stderr
    for events in follower.follow(interval=0.1):
        seen.extend(events)
    final = seen[-1]
    assert isinstance(final, ev.RunFinished) and final.status == "stopped"
    assert any(isinstance(e, ev.ControlRequested) and e.action == "stop" for e in seen)
    epochs = [e.epoch for e in seen if isinstance(e, ev.EpochEnded)]
    assert epochs == list(range(1, len(epochs) + 1)) and final.epochs_done == epochs[-1]
    assert summary(run_dir)["status"] == "stopped"
    assert (run_dir / "model.keras").is_file()
    wait_for(lambda: gone(pid), "the run process to end", timeout=60)
    again = fleet.cli("stop", run_dir.name, "--runs-dir", str(fleet.runs("a")), timeout=120)
    assert again.returncode == 2 and again.stderr.strip().count("\n") == 0
    assert "not training" in again.stderr


# --- SIGKILL, interrupted, resume -----------------------------------------------------------------


def test_a_killed_run_is_interrupted_everywhere_and_resume_continues_its_history(
        fleet: Fleet) -> None:
    out, err = fleet.detach_b.communicate(timeout=START_SECONDS)
    assert fleet.detach_b.returncode == 0, err
    runs_dir = fleet.runs("b")
    run_dir = runs_dir / out.strip()
    pid = summary(run_dir)["pid"]
    backup = run_dir / "backup" / "training_metadata.json"
    wait_for(lambda: len(epochs_ended(run_dir)) >= 2 and backup.is_file(),
             "two epochs and a backup")
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: gone(pid), "the killed process to be gone", timeout=120)

    events = [e for batch in RunFollower(run_dir).follow(interval=0.1) for e in batch]
    assert isinstance(events[-1], ev.RunFinished) and events[-1].status == "interrupted"
    assert f"nnbench resume {run_dir.name}" in (events[-1].error or "")
    listed = fleet.cli("runs", "--runs-dir", str(runs_dir), timeout=120)
    row = next(line for line in listed.stdout.splitlines() if line.startswith(run_dir.name))
    assert "interrupted" in row.split()
    assert summary(run_dir)["status"] == "interrupted"
    assert not (run_dir / "model.keras").exists()

    done_before = json.loads(backup.read_text())["epoch"]
    assert done_before >= 1
    target = done_before + 2
    resumed = fleet.cli("resume", run_dir.name, "--epochs", str(target), "--runs-dir",
                        str(runs_dir))
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming {run_dir.name} after epoch {done_before}" in resumed.stderr
    assert run_folders(runs_dir) == [run_dir]  # the same folder, no new run

    with (run_dir / "history.csv").open() as handle:
        rows = [int(row["epoch"]) for row in csv.DictReader(handle)]
    # CSVLogger appended: 0-based epochs go on where the backup left off (an epoch the kill cut
    # between its history row and its backup is trained again, so it may appear twice).
    assert rows == sorted(rows) and sorted(set(rows)) == list(range(target))
    events = read_events(run_dir / "events.jsonl")
    starts = [e for e in events if isinstance(e, ev.RunStarted)]
    assert [s.initial_epoch for s in starts] == [0, done_before]
    assert starts[1].run_dir == starts[0].run_dir
    state = replay(events)
    assert state.status == "finished" and state.epoch == target
    assert [e for e, _ in state.series["val_loss"]] == list(range(1, target + 1))
    final = summary(run_dir)
    assert final["status"] == "finished" and final["epochs_done"] == target
    assert (run_dir / "model.keras").is_file() and not (run_dir / "backup").exists()
    fleet.notes["b"] = run_dir


def test_resume_refuses_a_finished_run_an_unknown_id_and_an_ambiguous_prefix(fleet: Fleet) -> None:
    run_dir = fleet.notes.get("b")
    if run_dir is None:
        pytest.skip("needs the resumed run of the test before")
    runs_dir = run_dir.parent
    subprocess.run(["cp", "-r", str(run_dir), str(runs_dir / f"{run_dir.name}-copy")], check=True)
    before = {p: p.read_bytes() for p in runs_dir.rglob("*") if p.is_file()}
    cases = {
        run_dir.name: "already finished",
        "no-such-run": "no run 'no-such-run'",
        run_dir.name[:8]: "matches 2 runs",
    }
    for run, reason in cases.items():
        done = fleet.cli("resume", run, "--runs-dir", str(runs_dir), timeout=120)
        assert done.returncode == 2, (run, done.stderr)
        assert done.stderr.startswith("nnbench: ") and reason in done.stderr, done.stderr
        assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert {p: p.read_bytes() for p in runs_dir.rglob("*") if p.is_file()} == before
    shutil.rmtree(runs_dir / f"{run_dir.name}-copy")


# --- signals to a headless run (issue 9.4) --------------------------------------------------------


@pytest.mark.parametrize(("name", "sig"), [("c", signal.SIGTERM), ("d", signal.SIGHUP)])
def test_sigterm_and_sighup_stop_a_headless_run_as_stopped_with_its_model(
        fleet: Fleet, name: str, sig: signal.Signals) -> None:
    process = fleet.sigterm if sig == signal.SIGTERM else fleet.sighup
    run_dir = the_run(fleet.runs(name), 1)
    assert process.poll() is None
    process.send_signal(sig)
    process.wait(timeout=120)
    output = (fleet.root / f"{name}.log").read_text()
    assert process.returncode in (130, 128 + sig), output
    assert f"{sig.name}: stopping after the current batch" in output
    assert "Traceback" not in output
    state = summary(run_dir)
    assert state["status"] == "stopped" and state["epochs_done"] >= 1
    assert (run_dir / "model.keras").is_file()
    events = read_events(run_dir / "events.jsonl")
    assert any(isinstance(e, ev.ControlRequested) and e.action == "signal"
               and sig.name in e.detail for e in events)
    assert isinstance(events[-1], ev.RunFinished) and events[-1].status == "stopped"
    epochs = epochs_ended(run_dir)
    assert epochs == list(range(1, len(epochs) + 1))  # finished epochs stay
