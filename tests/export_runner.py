"""Run exported scripts one after another in this one process, each as a user runs it.

Used by tests/test_export_reproduces.py: starting TensorFlow costs more than training a tiny
model, so one process imports it once and runs every script. Each script still really runs:
``python train.py`` is ``runpy.run_path("train.py", run_name="__main__")`` in a fresh namespace,
with its own folder as the working directory and its stdout and stderr (file descriptors 1 and
2, so TensorFlow's C++ log too) in ``stdout.txt`` and ``stderr.txt`` there.

It reads one folder per line on stdin, as the test exports them, so the scripts run while the
next case trains; for each it writes ``result.json`` (``{"returncode": 0}``) in that folder.
Scripts share the process's Keras state, which is safe here: every exported script seeds
Python, NumPy and TensorFlow before it reads any data and names every layer itself.

Usage: ``python export_runner.py < folders``
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import traceback
from pathlib import Path


def run_script(folder: Path) -> int:
    """``python train.py`` in ``folder``: the exit code it would have had."""
    os.chdir(folder)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open("stdout.txt", "w") as out, open("stderr.txt", "w") as err:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            runpy.run_path("train.py", run_name="__main__")
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        except BaseException:  # what the interpreter would print before exiting with 1
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
    return code


def main() -> None:
    for line in sys.stdin:
        folder = Path(line.strip())
        code = run_script(folder)
        (folder / "result.json").write_text(json.dumps({"returncode": code}), encoding="utf-8")


if __name__ == "__main__":
    main()
