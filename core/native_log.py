"""Keep TensorFlow's C++ log lines off the user's terminal.

TensorFlow's native code writes straight to file descriptor 2, below Python, and no environment
variable silences all of it. While nnbench works, fd 2 points at a log file; Python's own
``sys.stderr`` keeps writing to the real terminal through a duplicate of the original fd.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def default_log_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "nnbench" / "tensorflow.log"


@contextmanager
def native_stderr_to(path: Path | None = None) -> Iterator[Path]:
    """Send fd 2 to ``path`` (appending) for the duration; sys.stderr still reaches the terminal."""
    path = path or default_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        log = open(path, "ab")  # noqa: SIM115 - closed below, after fd 2 is restored
    except OSError:
        yield path  # nowhere to put the log: leave stderr alone rather than fail
        return
    sys.stderr.flush()
    saved = os.dup(2)
    old_stderr = sys.stderr
    os.dup2(log.fileno(), 2)
    sys.stderr = os.fdopen(os.dup(saved), "w", buffering=1, encoding="utf-8", errors="replace")
    try:
        yield path
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        sys.stderr.close()
        sys.stderr = old_stderr
        log.close()
