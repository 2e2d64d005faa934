"""The interface's catalogue: compiled as committed, complete, and chosen by the one language rule.

The messages are extracted in-process with Babel's own extractor and babel.cfg (what `pybabel
extract -F babel.cfg` reads), so a string wrapped in ``_()`` without a Korean translation fails here,
not on a Korean screen.
"""

from __future__ import annotations

import io
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from nnbench.core import i18n

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "core/locale/ko/LC_MESSAGES/nnbench.po"
MO = PO.with_suffix(".mo")


def _catalog():  # type: ignore[no-untyped-def]
    with PO.open("rb") as handle:
        return read_po(handle, locale="ko", domain=i18n.DOMAIN)


def _extracted() -> dict[str, list[str]]:
    """Every msgid in the sources, with where it was found."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map):
        for msgid in (message if isinstance(message, tuple) else (message,)):
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(autouse=True)
def fresh_catalogues():  # type: ignore[no-untyped-def]
    i18n.reset()
    yield
    i18n.reset()


def test_the_committed_mo_is_the_po_compiled() -> None:
    # `pybabel compile` writes the .mo with this same function: a .po edited without compiling
    # (or a stale .mo) shows old words on screen.
    fresh = io.BytesIO()
    write_mo(fresh, _catalog())
    assert MO.read_bytes() == fresh.getvalue(), ("core/locale/ko/LC_MESSAGES/nnbench.mo is stale: "
                                                 "run `pybabel compile -d core/locale -D nnbench`")


def test_extraction_finds_the_interface() -> None:
    # Guards the check below: an extraction that found nothing would find nothing untranslated.
    found = _extracted()
    assert "Train" in found and any("tui/app_keys.py" in where for where in found["Train"])
    assert len(found) > 20


def test_every_extracted_message_has_a_korean_translation() -> None:
    catalog = _catalog()
    missing = []
    for msgid, where in _extracted().items():
        message = catalog.get(msgid)
        translated = message.string if message is not None else ""
        if isinstance(translated, tuple | list):
            translated = translated[0] if all(translated) else ""
        if not translated or (message is not None and message.fuzzy):
            missing.append(f"{msgid!r} ({where[0]})")
    assert not missing, "no Korean for:\n" + "\n".join(missing)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_format_placeholders_survive_translation() -> None:
    # ``_("Removed layer {n}").format(n=...)`` raises KeyError if Korean renamed {n}.
    wrong = []
    for message in _catalog():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set().union(*(_fields(i) for i in ids))
        for text in strings:
            if _fields(text) != wanted:
                wrong.append(f"{message.id!r}: {text!r}")
    assert not wrong, "placeholders changed:\n" + "\n".join(wrong)


def test_the_language_rule_chooses_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNBENCH_LANG", "en")
    assert i18n.lang() == "en" and i18n._("Train") == "Train"
    monkeypatch.setenv("NNBENCH_LANG", "ko")
    assert i18n.lang() == "ko" and i18n._("Train") == "훈련"
    # The locale decides when NNBENCH_LANG does not (the explanations' own rule).
    monkeypatch.delenv("NNBENCH_LANG")
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert i18n._("Train") == "훈련"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert i18n._("Train") == "Train"


def test_the_installed_package_carries_the_catalogue() -> None:
    # The wheel's package data: without the .mo beside the module, Korean silently falls back.
    assert (i18n.LOCALE_DIR / "ko/LC_MESSAGES/nnbench.mo").is_file()


def test_empty_and_unknown_texts_are_shown_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNBENCH_LANG", "ko")
    assert i18n._("") == ""  # gettext's own answer would be the catalogue's header
    assert i18n._("sparse_categorical_crossentropy") == "sparse_categorical_crossentropy"
    assert i18n.N_("Train") == "Train"


def test_every_tab_title_is_in_the_catalogue() -> None:
    # The titles live in main_screen.TABS; app_keys marks them for extraction one by one.
    from nnbench.tui.app_keys import TAB_TITLES
    from nnbench.tui.screens.main_screen import TABS

    assert set(TABS.values()) <= set(TAB_TITLES)
