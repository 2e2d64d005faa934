"""What each choice means, in the learner's words: the explanation beside every field.

The texts are data, one TOML file per language (``en.toml``, ``ko.toml`` beside this module), one
table per kind of thing (layer, loss, optimizer, metric, callback, activation, param) keyed by its
Keras name. The language is ``NNBENCH_LANG`` (``ko`` or ``en``), else the locale (``LC_ALL``,
``LC_MESSAGES``, ``LANG``: one starting with ``ko`` is Korean), else English. Plain Python: the CLI
and the TUI both read it, and it never loads Keras.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from nnbench.core import catalog
from nnbench.core.errors import NnbenchError, did_you_mean
from nnbench.core.i18n import N_
from nnbench.core.text import cell_width, printable

LANGS = ("en", "ko")
LANG_ENV = "NNBENCH_LANG"
KINDS = ("layer", "metric", "loss", "optimizer", "callback", "activation", "param")
"""Every kind of explained thing, in the order a bare name is looked up: "mae" is the metric
(``loss:mae`` names the loss), "momentum" the optimizer's parameter."""


class ExplainError(NnbenchError):
    """A name with no explanation (``nnbench explain NAME``)."""

    title = N_("Nothing to explain")


@dataclass(frozen=True)
class Explanation:
    kind: str
    """One of KINDS."""
    name: str
    """The Keras name it explains: ``Dense``, ``sparse_categorical_crossentropy``, ``patience``."""
    text: str
    lang: str

    @property
    def title(self) -> str:
        """"Dense · layer", "Dense · 층": the name, then what kind of thing it is."""
        return f"{self.name} · {ui_text('kinds', self.kind, self.lang)}"


def current_lang(environ: dict[str, str] | None = None) -> str:
    """'ko' or 'en': NNBENCH_LANG if it is one of them, else the locale's messages language."""
    env = os.environ if environ is None else environ
    chosen = env.get(LANG_ENV, "").strip().lower()
    if chosen in LANGS:
        return chosen
    # POSIX order: the first of these that is set decides the messages' language.
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


def _lang(lang: str | None) -> str:
    return lang if lang in LANGS else current_lang()


@cache
def texts(lang: str) -> dict[str, dict[str, str]]:
    """The language's whole file: {table: {key: text}}."""
    with resources.files(__name__).joinpath(f"{lang}.toml").open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    return data


def ui_text(table: str, key: str, lang: str | None = None, **values: Any) -> str:
    """One text of a table that is not an explanation (ui, kinds, arithmetic, advice), with
    ``values`` filled in; English where the language lacks it."""
    lang = _lang(lang)
    template = texts(lang).get(table, {}).get(key) or texts("en")[table][key]
    return template.format(**values) if values else template


# --- finding an explanation -----------------------------------------------------------------------

def _canonical(kind: str, name: str) -> str:
    """The key a name has in its kind's table: Keras spells layers and callbacks in CamelCase,
    losses, optimizers and metrics in lower case, and accepts loss aliases (mse, kld)."""
    if kind == "loss":
        lowered = name.lower()
        return catalog.LOSS_ALIASES.get(lowered, lowered)
    if kind in ("optimizer", "metric", "activation"):
        return name.lower()
    if kind in ("layer", "callback"):
        names = catalog.LAYERS if kind == "layer" else catalog.CALLBACKS
        return next((known for known in names if known.lower() == name.lower()), name)
    return name


def find(name: str, kind: str | None = None, lang: str | None = None, *,
         owner: str | None = None) -> Explanation | None:
    """The explanation of ``name`` (of ``kind`` when given, else the first kind that has it), or
    None. ``owner`` is the layer or optimizer a parameter belongs to, for the few names whose
    meaning depends on it (BatchNormalization's momentum is not SGD's)."""
    lang = _lang(lang)
    table = texts(lang)
    for each in (kind,) if kind else KINDS:
        if each not in KINDS:
            return None
        key = _canonical(each, name)
        entries = table.get(each, {})
        if each == "param" and owner and f"{owner}.{key}" in entries:
            key = f"{owner}.{key}"
        if key in entries:
            return Explanation(each, key, entries[key], lang)
    return None


def explain(name: str, lang: str | None = None, kind: str | None = None, *,
            owner: str | None = None) -> Explanation:
    """The explanation of a loss, optimizer, metric, layer, callback, activation or parameter.

    ``name`` may name its kind first: ``loss:mae`` is the loss, ``mae`` alone the metric.

    Raises:
        ExplainError: nothing of that name is explained; the message lists a close match.
    """
    if kind is None and ":" in name:
        prefix, _, rest = name.partition(":")
        if prefix.lower() in KINDS:
            kind, name = prefix.lower(), rest
    found = find(name.strip(), kind, lang, owner=owner)
    if found is not None:
        return found
    known = all_names(lang)
    where = f" {kind}" if kind else ""
    raise ExplainError(f"no{where} explanation for '{printable(name)}'; `nnbench explain --list` shows every "
                       "name explained." + did_you_mean(name, known))


def all_names(lang: str | None = None) -> list[str]:
    """Every explained name, in KINDS order (qualified names like ``X.momentum`` left out)."""
    table = texts(_lang(lang))
    return [key for kind in KINDS for key in table.get(kind, {}) if "." not in key]


def catalog_topics() -> list[tuple[str, str]]:
    """(kind, name) of everything the catalog offers: each must be explained in every language."""
    topics = [("layer", name) for name in catalog.LAYERS]
    topics += [("loss", name) for name in catalog.LOSSES]
    topics += [("optimizer", name) for name in catalog.OPTIMIZERS]
    topics += [("metric", name) for name in catalog.METRICS]
    topics += [("callback", name) for name in catalog.CALLBACKS]
    topics += [("activation", name) for name in catalog.ACTIVATIONS]
    return topics


# --- laying it out --------------------------------------------------------------------------------

def wrap_cells(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` terminal cells, broken at spaces (a word wider
    than a line is broken anywhere): Korean takes two cells a character, so ``len`` would let
    its lines run off the edge."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if cell_width(word) > width:  # a word longer than a line: it gets lines of its own
            if line:
                lines.append(line)
            *whole, line = _chunks(word, width)
            lines.extend(whole)
            continue
        candidate = f"{line} {word}" if line else word
        if cell_width(candidate) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _chunks(word: str, width: int) -> list[str]:
    """``word`` cut into pieces of at most ``width`` cells (at least one character each)."""
    pieces, piece = [], ""
    for char in word:
        if piece and cell_width(piece + char) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    return [*pieces, piece]


def explain_lines(name: str, lang: str | None = None, width: int = 80,
                  kind: str | None = None) -> list[str]:
    """What ``nnbench explain NAME`` prints: the title, then the text wrapped to ``width`` cells."""
    found = explain(name, lang, kind)
    return [found.title, *wrap_cells(found.text, width)]


def listing(lang: str | None = None, width: int = 80) -> list[str]:
    """What ``nnbench explain --list`` prints: each kind, then its names wrapped to ``width``."""
    lang = _lang(lang)
    lines: list[str] = []
    for kind in KINDS:
        names = [key for key in texts(lang).get(kind, {}) if "." not in key]
        lines.append(ui_text("kinds", kind, lang))
        lines.extend("  " + line for line in wrap_cells(", ".join(names), width - 2))
    return lines


from nnbench.core.explain.arithmetic import (  # noqa: E402
    layer_arithmetic,
    layer_param_count,
    model_arithmetic,
)

__all__ = ["KINDS", "LANGS", "ExplainError", "Explanation", "all_names", "catalog_topics",
           "current_lang", "explain", "explain_lines", "find", "layer_arithmetic", "listing",
           "layer_param_count", "model_arithmetic", "texts", "ui_text", "wrap_cells"]
