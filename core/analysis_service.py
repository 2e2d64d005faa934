"""Check a model stack with Keras in a helper process, so the app itself never imports TensorFlow.

    analyzer = Analyzer()                      # nothing starts yet
    analyzer.warm()                            # start the helper and import Keras there (blocks)
    analyzer.analyze(spec, shape, loss=..., num_classes=...) -> ModelAnalysis   (blocks)
    analyzer.release()                         # end the helper; the next call starts a new one

Why a process: importing TensorFlow and building a model in the app's own interpreter holds the
GIL for seconds (the screen stops answering, the runs list waits) and keeps ~600 MB of TensorFlow
in the app for as long as it runs. The helper is ``python -m nnbench.core.analysis_service``: it
reads pickled requests on stdin and writes pickled answers on stdout, one at a time. It sees no GPU
(shapes and parameter counts don't need one, and it must not take a GPU's memory from a run), runs
TensorFlow on one thread at a lower priority, and exits when the app's end of the pipe closes.

Calls may come from several threads; they are served one at a time. If the helper dies, the call
raises ``AnalysisUnavailable`` with the reason and the next call starts a fresh helper.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
from typing import IO, TYPE_CHECKING, Any

from nnbench.core.errors import NnbenchError
from nnbench.core.i18n import N_

if TYPE_CHECKING:
    from nnbench.core.model import ModelAnalysis
    from nnbench.core.preset import ModelSpec

HELPER_ENV = {
    "CUDA_VISIBLE_DEVICES": "-1",       # no GPU: a run may need all of its memory
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "KERAS_BACKEND": "tensorflow",
    "TF_NUM_INTRAOP_THREADS": "1",      # tiny graphs; leave the cores to training
    "TF_NUM_INTEROP_THREADS": "1",
}


class AnalysisUnavailable(NnbenchError):
    title = N_("The model could not be checked")


class Analyzer:
    """The app's handle on its helper process (started on first use)."""

    def __init__(self, python: str | None = None) -> None:
        self._python = python or sys.executable
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def warm(self) -> None:
        """Start the helper and have it import Keras; raise AnalysisUnavailable if it can't."""
        self._call(("warm",))

    def analyze(self, spec: ModelSpec, input_shape: tuple[int | None, ...] | None = None, *,
                loss: str | None = None, num_classes: int | None = None) -> ModelAnalysis:
        """What ``core.model.analyze`` returns for these arguments, computed in the helper."""
        result: ModelAnalysis = self._call(("analyze", spec, input_shape, loss, num_classes))
        return result

    def release(self) -> None:
        """End the helper (e.g. while a run trains: its memory and CPU go to the run)."""
        with self._lock:
            self._stop()

    # --- the pipe ------------------------------------------------------------------------------

    def _call(self, request: tuple[Any, ...]) -> Any:
        with self._lock:
            process = self._process if self._process is not None and self.running else self._start()
            assert process.stdin is not None and process.stdout is not None
            try:
                pickle.dump(request, process.stdin)
                process.stdin.flush()
                kind, value = pickle.load(process.stdout)
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                try:
                    code: int | None = process.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    code = None
                self._stop()
                raise AnalysisUnavailable(
                    "the helper process that checks models with Keras stopped"
                    + (f" (exit code {code})" if code is not None else "")
                    + f": {type(exc).__name__}. The next edit starts it again; the Log tab "
                    "has TensorFlow's messages.") from None
        if kind == "error":
            raise AnalysisUnavailable(value)
        return value

    def _start(self) -> subprocess.Popen[bytes]:
        self._stop()
        env = {**os.environ, **HELPER_ENV}
        # stderr is inherited: in the app that is the TensorFlow log file (core/native_log.py).
        try:
            self._process = subprocess.Popen(
                [self._python, "-m", "nnbench.core.analysis_service"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, env=env, close_fds=True)
        except OSError as exc:
            raise AnalysisUnavailable(f"could not start {self._python} to check the model with "
                                      f"Keras: {exc.strerror or exc}") from None
        return self._process

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        try:
            process.wait(timeout=2)  # it exits at the end of its stdin
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_default: Analyzer | None = None
_default_lock = threading.Lock()


def default_analyzer() -> Analyzer:
    """The one helper of this process, shared by every view (and every app a test opens)."""
    global _default
    with _default_lock:
        if _default is None:
            import atexit

            _default = Analyzer()
            atexit.register(_default.release)
        return _default


# --- the helper's side -------------------------------------------------------------------------

def _answer(request: tuple[Any, ...]) -> tuple[str, Any]:
    from nnbench.core.keras_env import import_keras

    try:
        import_keras()
    except Exception as exc:  # a broken TensorFlow install: say so to the app, keep serving
        return "error", f"TensorFlow failed to load: {type(exc).__name__}: {exc}"
    if request[0] == "warm":
        return "ok", None
    from nnbench.core.model import analyze

    _, spec, input_shape, loss, num_classes = request
    try:
        return "ok", analyze(spec, input_shape, loss=loss, num_classes=num_classes)
    except Exception as exc:  # Keras raising something analyze doesn't expect: a message, not a crash
        return "error", f"{type(exc).__name__}: {exc}"


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    while True:
        try:
            request = pickle.load(requests)
        except EOFError:
            return  # the app closed its end (or died): nothing left to do
        kind, value = _answer(request)
        try:
            data = pickle.dumps((kind, value))
        except Exception as exc:  # an exception object Keras built that doesn't pickle
            data = pickle.dumps(("error", f"{type(value).__name__}: {exc}"))
        answers.write(data)
        answers.flush()


def main() -> None:
    # The answers go on the original stdout; anything Keras prints goes to stderr instead of
    # corrupting the pipe.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    with contextlib.suppress(OSError):
        os.nice(5)  # training and the screen come first
    _serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
