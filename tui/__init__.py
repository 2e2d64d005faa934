"""nnbench's full-screen Textual workbench."""
