"""Where a person's own presets live: $NNBENCH_PRESETS_DIR, else ~/.config/nnbench/presets.

``nnbench.core.preset.load_preset(name)`` looks here first: a saved preset named like a bundled one
wins over it (the listing says so), so a person can keep an edited ``digits-mlp`` of their own.
"""

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
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
            description = f"(cannot be read: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        found.append((path, str(description)))
    return found


def user_preset_path(name: str) -> Path | None:
    """The user's saved preset called ``name`` (the file stem), or None."""
    if not name or "/" in name or name.startswith("."):
        return None
    path = user_presets_dir() / f"{name}.toml"
    return path if path.is_file() else None
