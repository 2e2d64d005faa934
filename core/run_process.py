"""The process a detached run lives in (started by core/launch.py; not a command for people).

It loads the preset it was handed, trains it with the Trainer, and tells its parent through the
handshake pipe once the run folder exists (or why the run was refused). SIGTERM, SIGHUP and SIGINT
stop it after the current batch and save the run as stopped with its model; a second signal ends
it at once (finished epochs are on disk either way).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from nnbench.core.control import TrainControls, stop_on_signals
from nnbench.core.errors import NnbenchError
from nnbench.core.events import Event, RunFinished, RunStarted


class Handshake:
    """A listener that answers the parent once: the run folder, or the refusal."""

    def __init__(self, fd: int | None, log_path: Path | None) -> None:
        self.fd = fd
        self.log_path = log_path

    def _say(self, answer: dict[str, Any]) -> None:
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        with contextlib.suppress(OSError):  # the parent may be gone: the run goes on regardless
            os.write(fd, (json.dumps(answer) + "\n").encode("utf-8"))
        with contextlib.suppress(OSError):
            os.close(fd)

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            if self.log_path is not None:  # the output so far belongs to the run folder now
                with contextlib.suppress(OSError):
                    os.replace(self.log_path, Path(event.run_dir) / "output.log")
            self._say({"run_dir": event.run_dir, "run_id": event.run_id})
        elif isinstance(event, RunFinished) and self.fd is not None:
            self._say({"error": event.error or f"the run {event.status} before it started",
                       "title": event.error_title or ""})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nnbench-run", description=__doc__)
    parser.add_argument("--preset", required=True)
    parser.add_argument("--runs-dir", required=True)
    parser.add_argument("--handshake-fd", type=int)
    parser.add_argument("--log")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--resume")
    parser.add_argument("--note", default="")
    args = parser.parse_args(argv)
    handshake = Handshake(args.handshake_fd, Path(args.log) if args.log else None)
    controls = TrainControls()
    try:
        from nnbench.core.preset import loads_preset

        preset_path = Path(args.preset)
        preset = loads_preset(preset_path.read_text(encoding="utf-8"), file=str(preset_path))
        with contextlib.suppress(OSError):
            preset_path.unlink()
    except (OSError, NnbenchError) as exc:
        message = exc.message if isinstance(exc, NnbenchError) else str(exc)
        handshake(RunFinished(status="failed", run_dir=None, epochs_done=0, error=message))
        return 2
    from nnbench.core.training import Trainer

    with stop_on_signals(controls):
        final = Trainer(preset, args.runs_dir, listeners=[handshake], controls=controls,
                        epochs=args.epochs, resume=Path(args.resume) if args.resume else None,
                        note=args.note).run()
    if final.status == "failed":
        print(f"nnbench: {final.error_title or 'error'}: {final.error}", file=sys.stderr)
        return 2 if final.run_dir is None else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
