"""Where a person's own presets live: $NNBENCH_PRESETS_DIR, else ~/.config/nnbench/presets."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

PRESETS_DIR_ENV = "NNBENCH_PRESETS_DIR"


def user_presets_dir() -> Path:
    if os.environ.get(PRESETS_DIR_ENV):
        return Path(os.environ[PRESETS_DIR_ENV]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "nnbench" / "presets"


def user_presets() -> list[tuple[Path, str]]:
    """(path, description) of each ``*.toml`` in the user presets folder, by name."""
    folder = user_presets_dir()
    found: list[tuple[Path, str]] = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.toml")):
        try:
            description = tomllib.loads(path.read_text(encoding="utf-8")).get("description", "")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            description = f"(cannot be read: {str(exc).splitlines()[0]})"
        found.append((path, str(description)))
    return found
