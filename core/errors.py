"""One family of errors whose messages a person can act on.

Every error nnbench raises on purpose is an ``NnbenchError``: the message says what was wrong, where
(file, key path, layer) and what to do. The CLI prints it on one line; the TUI shows it in a modal.

Messages are in the interface's language (core/i18n.py) when raised. Titles stay English on the
class (a run's files keep them, and launch.py compares them): they are marked with ``N_`` for the
catalogue and translated where they are shown, ``_(error.title)``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from nnbench.core.i18n import N_, _


class NnbenchError(Exception):
    """Base of every error meant for a person, not a traceback."""

    title = N_("Error")

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class PresetError(NnbenchError):
    """A preset file or value is invalid. ``key`` is the dotted path, e.g. ``model.layers[2].units``."""

    title = N_("Bad preset")

    def __init__(self, message: str, *, key: str | None = None, file: str | None = None) -> None:
        self.key = key
        self.file = file
        where = ", ".join(part for part in (file, key) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.reason = message


class DataError(NnbenchError):
    """A data set could not be found, downloaded, read or split."""

    title = N_("Data could not be loaded")


class ModelError(NnbenchError):
    """The layer stack cannot be built. ``layer_index`` points at the row that breaks."""

    title = N_("Model cannot be built")

    def __init__(self, message: str, *, layer_index: int | None = None) -> None:
        super().__init__(message)
        self.layer_index = layer_index


class TrainingError(NnbenchError):
    """Training failed after it started; finished epochs are still on disk."""

    title = N_("Training failed")


class RunStoreError(NnbenchError):
    """A run folder is missing or unreadable."""

    title = N_("Run store")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ' Did you mean X?' suffix for a misspelt name, or '' if nothing is close."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return " " + _("Did you mean '{name}'?").format(name=lowered[close[0]]) if close else ""


def one_of(choices: Iterable[str]) -> str:
    """'one of a, b, c' for error messages."""
    return _("one of {names}").format(names=", ".join(sorted(choices)))
