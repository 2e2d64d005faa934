"""How a run's status reads on screen: one home for its mark, its word and its colour, so the
Train view, the Runs list and the status line say it the same way in every language.

The status itself ("finished", "interrupted", ...) stays English in a run's files and in
``nnbench runs``: these are only the words shown for it (``N_`` msgids, translated when shown).
"""

from __future__ import annotations

from rich.text import Text

from nnbench.core.i18n import N_, _
from nnbench.core.text import printable

LABEL = {
    "idle": N_("○ idle"), "starting": N_("◌ starting"), "running": N_("● running"),
    "paused": N_("‖ paused"), "stopping": N_("◌ stopping"), "finished": N_("✔ finished"),
    "stopped": N_("■ stopped"), "failed": N_("✘ failed"), "interrupted": N_("⚠ interrupted"),
    "unreadable": N_("? unreadable"),
}
"""The status with its mark, as a label."""
WORD = {
    "finished": N_("finished"), "stopped": N_("stopped"), "failed": N_("failed"),
    "interrupted": N_("interrupted"), "running": N_("running"),
}
"""How a run ended (or that it runs), inside a sentence: "<status> after N epochs"."""
STYLE = {"finished": "green", "stopped": "yellow", "failed": "bold red",
         "interrupted": "bold magenta", "running": "cyan", "unreadable": "red"}
"""Its colour in the Runs list."""


def status_label(status: str) -> str:
    """The status with its mark, in the interface's language; an unknown one as written."""
    return _(LABEL[status]) if status in LABEL else printable(status)


def status_word(status: str) -> str:
    """The status as a word in a sentence, in the interface's language."""
    return _(WORD[status]) if status in WORD else printable(status)


def status_text(status: str) -> Text:
    """The status's label in its colour (the Runs list's status cell)."""
    return Text(status_label(status), style=STYLE.get(status, ""))
