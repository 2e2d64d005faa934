"""nnbench's bench: performance figures measured side by side (``python -m bench``)."""
