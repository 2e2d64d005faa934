"""The ``nnbench`` console script: the headless commands of nnbench.core.cli, and the app.

The entry point lives here, not in core, so core never imports the TUI: core.cli is handed the
function that opens the app.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path


def _open(preset: str | None, runs_dir: Path | None, attach: Path | None) -> int:
    from nnbench.tui.app import run_app

    return run_app(preset, runs_dir, attach=attach)


def main(argv: Sequence[str] | None = None) -> int:
    from nnbench.core.cli import main as cli_main

    return cli_main(argv, open_app=_open)


if __name__ == "__main__":
    sys.exit(main())
