"""Bundled presets (TOML), found with importlib.resources."""
