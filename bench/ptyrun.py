"""A program in a real pseudo-terminal, watched from outside: what it drew and when, and what the
whole process tree (the program and every child, detached or not) cost in CPU and memory.

Everything is stdlib ``pty``/``os`` plus two bench-only packages (the ``bench`` extra):

* ``pyte``: a terminal emulator, to read the screen the way a person sees it. Output is recorded
  as timestamped chunks and, when a figure needs a latency, replayed into a fresh screen
  afterwards (``replay``), so parsing never competes with the program for the 2 CPUs while it
  is being measured.
* ``psutil``: CPU seconds and RSS of a process tree. A run the app starts in a child process of
  its own (even one that left the app's tree, ``setsid`` + reparented) is found through its run
  folder's ``summary.json`` (``pid``) and counted too.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pyte

COLUMNS, LINES = 140, 44
"""The terminal's size: wide enough that the chart legends keep their values."""


# --- keys as a terminal sends them ----------------------------------------------------------------

_NAMED = {"enter": b"\r", "tab": b"\t", "escape": b"\x1b", "space": b" ", "backspace": b"\x7f",
          "f1": b"\x1bOP", "f5": b"\x1b[15~", "delete": b"\x1b[3~", "up": b"\x1b[A",
          "down": b"\x1b[B", "right": b"\x1b[C", "left": b"\x1b[D", "question_mark": b"?"}


def key_bytes(key: str) -> bytes:
    """What a terminal sends for a Textual key name: "ctrl+r" -> 0x12, "alt+5" -> ESC 5, "5"."""
    key = key.strip().lower()
    if key in _NAMED:
        return _NAMED[key]
    if key.startswith("alt+"):
        return b"\x1b" + key_bytes(key[4:])
    if key.startswith("ctrl+") and len(key) == 6:
        return bytes([ord(key[5]) & 0x1F])
    if len(key) == 1:
        return key.encode()
    raise ValueError(f"no terminal bytes known for key {key!r}")


# --- a process tree's CPU and memory --------------------------------------------------------------


class TreeMeter:
    """CPU seconds and RSS of a root process, its descendants and extra pids (a detached run).

    A process's last reading is kept after it exits, so a child that came and went still counts
    with what it had used when it was last seen (poll often enough: ``sample``).
    """

    def __init__(self, root_pid: int, extra_pids: Callable[[], Sequence[int]] = tuple) -> None:
        self.root = psutil.Process(root_pid)
        self.extra_pids = extra_pids
        self._cpu: dict[tuple[int, float], float] = {}
        self._procs: dict[int, psutil.Process] = {root_pid: self.root}
        self.peak_rss = 0
        self.pids_seen: set[int] = {root_pid}

    def _tree(self) -> list[psutil.Process]:
        found = {self.root.pid: self.root}
        roots = [self.root]
        for pid in self.extra_pids():
            if pid not in found:
                proc = self._procs.get(pid)
                try:
                    proc = proc or psutil.Process(pid)
                except psutil.Error:
                    continue
                found[pid] = proc
                roots.append(proc)
        for proc in roots:
            try:
                for child in proc.children(recursive=True):
                    found.setdefault(child.pid, self._procs.get(child.pid, child))
            except psutil.Error:
                pass
        self._procs.update(found)
        return list(found.values())

    def sample(self) -> tuple[float, int]:
        """(CPU seconds so far of every process ever seen in the tree, current total RSS)."""
        rss = 0
        for proc in self._tree():
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    key = (proc.pid, proc.create_time())
                    self._cpu[key] = times.user + times.system
                    rss += proc.memory_info().rss
                self.pids_seen.add(proc.pid)
            except psutil.Error:
                continue
        self.peak_rss = max(self.peak_rss, rss)
        return sum(self._cpu.values()), rss


# --- a program in a pty ---------------------------------------------------------------------------


@dataclass
class Chunk:
    t: float
    """time.monotonic() when it was read"""
    data: bytes


@dataclass
class PtyProgram:
    """``argv`` started in a pty of ``COLUMNS`` x ``LINES``; call ``pump`` often (or ``wait_*``)."""

    argv: Sequence[str]
    env: dict[str, str] | None = None
    cwd: str | Path | None = None
    live: bool = True
    """Parse output into ``screen`` as it arrives; off while a figure is being measured (the
    chunks are kept and can be replayed afterwards)."""
    columns: int = COLUMNS
    lines: int = LINES
    chunks: list[Chunk] = field(default_factory=list)
    keys: list[tuple[float, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.lines, self.columns, 0, 0))
        env = {**os.environ, **(self.env or {}), "TERM": "xterm-256color",
               "COLUMNS": str(self.columns), "LINES": str(self.lines)}
        env.pop("NO_COLOR", None)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(list(self.argv), stdin=slave, stdout=slave, stderr=slave,
                                     env=env, cwd=self.cwd, start_new_session=True,
                                     close_fds=True, preexec_fn=_controlling_tty)
        os.close(slave)
        self.fd = master
        os.set_blocking(master, False)
        self.screen = pyte.Screen(self.columns, self.lines)
        self.stream = pyte.ByteStream(self.screen)
        self.closed = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def pump(self, timeout: float = 0.0) -> bool:
        """Read what is there (waiting up to ``timeout`` for the first byte); False at EOF."""
        if self.closed:
            return False
        ready, _, _ = select.select([self.fd], [], [], timeout)
        while ready:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            except OSError:  # EIO: the other side closed
                self.closed = True
                return False
            if not data:
                self.closed = True
                return False
            self.chunks.append(Chunk(time.monotonic(), data))
            if self.live:
                self.stream.feed(data)
            ready, _, _ = select.select([self.fd], [], [], 0)
        return True

    def set_live(self, live: bool) -> None:
        """Turn parsing on or off; turning it on catches the screen up with what was recorded."""
        if live and not self.live:
            self.screen.reset()
            for chunk in self.chunks:
                self.stream.feed(chunk.data)
        self.live = live

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def press(self, key: str | bytes) -> float:
        data = key if isinstance(key, bytes) else key_bytes(key)
        t = time.monotonic()
        os.write(self.fd, data)
        self.keys.append((t, data))
        return t

    def wait_for(self, predicate: Callable[[str], bool], timeout: float, poll: float = 0.02,
                 also: Callable[[], object] | None = None) -> float | None:
        """Pump until ``predicate(screen text)`` holds; the time of the chunk that made it so,
        or None on timeout or exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = self.pump(poll)
            if also is not None:
                also()
            if predicate(self.text()):
                return self.chunks[-1].t if self.chunks else time.monotonic()
            if not alive:
                return None
        return None

    def drain(self, seconds: float, also: Callable[[], object] | None = None) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and self.pump(0.02):
            if also is not None:
                also()

    def close(self, grace: float = 3.0) -> int | None:
        """Ask the program to end (SIGTERM to its session), then kill what is left."""
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        end = time.monotonic() + grace
        while time.monotonic() < end and self.proc.poll() is None:
            self.pump(0.05)
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        with contextlib.suppress(OSError):
            os.close(self.fd)
        self.closed = True
        return self.proc.returncode

    def __enter__(self) -> PtyProgram:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.proc.poll() is None or not self.closed:
            self.close()


def _controlling_tty() -> None:
    # start_new_session made us a session leader; stdin (the pty slave) becomes our terminal,
    # so the program gets SIGWINCH/SIGINT as it would in a real terminal.
    with contextlib.suppress(OSError):
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def replay(chunks: Sequence[Chunk], columns: int = COLUMNS, lines: int = LINES
           ) -> Iterator[tuple[float, pyte.Screen]]:
    """The screen after each recorded chunk, with the chunk's time (one screen, updated)."""
    screen = pyte.Screen(columns, lines)
    stream = pyte.ByteStream(screen)
    for chunk in chunks:
        stream.feed(chunk.data)
        yield chunk.t, screen


def screen_text(screen: pyte.Screen) -> str:
    return "\n".join(screen.display)


# --- a run folder, followed from outside -------------------------------------------------------


class RunFolderWatcher:
    """Every new line of ``<runs_dir>/*/events.jsonl``, with the time it was seen and the file's
    mtime (the moment it was written, to the filesystem's clock resolution)."""

    def __init__(self, runs_dir: Path, events_name: str = "events.jsonl") -> None:
        self.runs_dir = runs_dir
        self.events_name = events_name
        self._offsets: dict[Path, int] = {}
        self.events: list[tuple[float, float, dict[str, Any]]] = []
        """(monotonic when seen, wall clock of the write from mtime, event dict)"""

    def files(self) -> list[Path]:
        if not self.runs_dir.exists():
            return []
        direct = self.runs_dir / self.events_name
        if direct.exists():
            return [direct]
        return sorted(self.runs_dir.glob(f"*/{self.events_name}"))

    def run_pids(self) -> list[int]:
        """The ``pid`` of every run folder's summary.json (a run in a process of its own)."""
        pids = []
        for summary in self.runs_dir.glob("*/summary.json") if self.runs_dir.exists() else ():
            with contextlib.suppress(Exception):
                pid = json.loads(summary.read_text(encoding="utf-8")).get("pid")
                if isinstance(pid, int):
                    pids.append(pid)
        return pids

    def poll(self) -> list[dict[str, Any]]:
        new: list[dict[str, Any]] = []
        for path in self.files():
            try:
                st = path.stat()
            except OSError:
                continue
            offset = self._offsets.get(path, 0)
            if st.st_size <= offset:
                continue
            seen = time.monotonic()
            with path.open("rb") as f:
                f.seek(offset)
                data = f.read()
            complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits
            self._offsets[path] = offset + len(complete)
            lines = complete.split(b"\n")
            for line in lines[:-1]:
                with contextlib.suppress(Exception):
                    event = json.loads(line)
                    self.events.append((seen, st.st_mtime_ns / 1e9, event))
                    new.append(event)
        return new

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for _, _, e in self.events if e.get("event") == kind]

    def finished(self) -> dict[str, Any] | None:
        done = self.of("RunFinished")
        return done[-1] if done else None
