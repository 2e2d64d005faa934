"""A data note is stored in English (a run's events.jsonl keeps it) and said in the reader's
language where it is shown: ``said`` reads the values back out of the stored text."""

from __future__ import annotations

import string

import pytest

from nnbench.core.data import notes as notes_module
from nnbench.core.data.notes import TEMPLATES, note, said


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_every_note_reads_back_to_its_template(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    values = {name: f"v{i}: 1,234 (x)" for i, name in enumerate(_fields(TEMPLATES[kind]))}
    text = note(kind, **values)
    # A stand-in translation: the template said, filled with the values read back.
    monkeypatch.setattr(notes_module, "_", lambda message: "[" + message + "]")
    assert said(text) == "[" + TEMPLATES[kind].format(**values) + "]"


def test_english_notes_are_shown_as_stored() -> None:
    text = note("first_samples", used="100", total="1,437")
    assert text == "using only the first 100 of 1,437 training samples (data.max_samples)"
    assert said(text) == text


def test_text_no_template_made_is_shown_as_it_is() -> None:
    assert said("learning rate not changed") == "learning rate not changed"
    assert said("") == ""
