"""The interface's words in the person's language: gettext catalogues, not dictionaries.

``_("Train")`` is the text in the language ``nnbench.core.explain.current_lang`` chooses (the one
rule: ``NNBENCH_LANG``, else the locale), read from ``locale/<lang>/LC_MESSAGES/nnbench.mo`` beside
this module; English is the source text itself. The language is asked at each call, not at import,
so ``NNBENCH_LANG`` set before the app starts (or by a test) is honoured by modules imported long
before. Strings evaluated at import time (a class's BINDINGS) are marked with ``N_`` for extraction
and translated where they are shown.

The catalogue is extracted with Babel (``pybabel extract -F babel.cfg``) and compiled with
``pybabel compile``; tests/test_i18n.py checks the committed .mo is the .po compiled. Plain Python:
the CLI and the TUI both read it.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

DOMAIN = "nnbench"
LOCALE_DIR = Path(__file__).with_name("locale")


def lang() -> str:
    """The language the interface speaks now ('en' or 'ko')."""
    # Imported here: nnbench.core.explain imports the catalog, which may itself want ``_`` one day.
    from nnbench.core.explain import current_lang

    return current_lang()


@cache
def translation(language: str) -> gettext.NullTranslations:
    """The catalogue of ``language``; for English (or a missing .mo) the source text itself."""
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def reset() -> None:
    """Forget the catalogues read (a test that rewrote or recompiled one reads it afresh)."""
    translation.cache_clear()


def _(message: str) -> str:
    """``message`` in the current language (``message`` itself where it has no translation)."""
    if not message:  # gettext("") is the catalogue's header, never a text to show
        return message
    return translation(lang()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for ``n`` of ``singular`` / ``plural`` in the current language."""
    return translation(lang()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks ``message`` for extraction without translating it: for text evaluated at import
    time, translated with ``_`` where it is shown."""
    return message


__all__ = ["DOMAIN", "LOCALE_DIR", "N_", "_", "lang", "ngettext", "reset", "translation"]
