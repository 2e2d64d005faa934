"""``nnbench devices``: what TensorFlow sees on this machine (core/devices.py)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from nnbench.core.i18n import _
from nnbench.core.text import printable

if TYPE_CHECKING:
    from nnbench.core.cli_common import Subcommands


def cmd_devices(args: argparse.Namespace) -> int:
    from nnbench.core.devices import device_table, list_devices

    devices = list_devices()
    if args.json:
        print(json.dumps([asdict(d) for d in devices], indent=2))
    else:
        print("\n".join(printable(line) for line in device_table(devices)))
    return 0


def add_devices_command(sub: Subcommands, runs_dir: argparse.ArgumentParser) -> None:
    """``nnbench devices`` (reads no runs, so it takes no ``runs_dir``)."""
    devices = sub.add_parser("devices", help=_("list the CPUs and GPUs TensorFlow sees, with memory"))
    devices.add_argument("--json", action="store_true", help=_("print them as JSON"))
    devices.set_defaults(func=cmd_devices, native_log=True)
