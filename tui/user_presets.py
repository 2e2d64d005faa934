"""Moved to nnbench.core.user_presets (the CLI resolves saved presets by name too)."""

from nnbench.core.user_presets import PRESETS_DIR_ENV, user_presets, user_presets_dir

__all__ = ["PRESETS_DIR_ENV", "user_presets", "user_presets_dir"]
