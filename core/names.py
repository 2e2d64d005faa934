"""The one naming rule for layers: what each layer is called, and the name Keras is given.

Every layer has a *name* a person sees and references in ``inputs``: its own ``name`` if the preset
gives one, else the name a fresh Keras session would give it (``input_layer``, ``dense``,
``dense_1`` ...). The checker, the builder, the saver, the loader and the exporter all call
``layer_names``, so a name shown in the stack is a name that can be referenced, saved and reloaded.

Keras (on TensorFlow) only accepts some characters in names (``은닉층`` or ``(v2) digits`` fail
mid-run as "not a valid scope name"), so the builder gives Keras ``keras_names(...)``: each name
unchanged when Keras takes it, else a close ASCII name that is unique in the model. The user's names
stay on screen.

Pure Python: no Keras, no pydantic, so the TUI can call it on every key press.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Protocol

from nnbench.core.i18n import _


class _NamedLayer(Protocol):
    type: str
    name: str | None


INPUT_NAME = "input_layer"
"""What Keras calls an Input without a name, and the implicit input of a stack without one."""

_LAYER_NAME = re.compile(r"[A-Za-z0-9_.-]+")
"""Names Keras accepts for a layer (TensorFlow's scope pattern, without '/', '\\' and '>')."""
_ROOT_NAME = re.compile(r"[A-Za-z0-9.][A-Za-z0-9_.-]*")
"""Names TensorFlow accepts for a root scope: the model's name."""


def snake_case(class_name: str) -> str:
    """Keras's automatic layer name for a class: GlobalAveragePooling1D -> global_average_pooling1d."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def base_name(layer_type: str) -> str:
    """The automatic name of the first layer of this type."""
    return INPUT_NAME if layer_type == "Input" else snake_case(layer_type)


def layer_names(layers: Iterable[tuple[str, str | None]]) -> list[str]:
    """Each layer's name from (type, own name or None): its own, else dense, dense_1 ...

    Automatic names skip names the preset gives other layers, as Keras's counters would in a fresh
    session. Keras numbers automatic names per thread for the life of the process, so a stack
    checked a hundred times would read dense_157; naming here keeps the rows stable and like
    ``model.summary()``.
    """
    pairs = list(layers)
    taken = {name for _, name in pairs if name}
    counts: dict[str, int] = {}
    names: list[str] = []
    for kind, own in pairs:
        if own:
            names.append(own)
            continue
        base = base_name(kind)
        while True:
            n = counts.get(base, 0)
            counts[base] = n + 1
            candidate = base if n == 0 else f"{base}_{n}"
            if candidate not in taken:
                break
        taken.add(candidate)
        names.append(candidate)
    return names


def auto_names(spec: object) -> list[str]:
    """``layer_names`` of a ``ModelSpec`` (anything with ``.layers`` of ``.type`` / ``.name``)."""
    layers: Sequence[_NamedLayer] = spec.layers  # type: ignore[attr-defined]
    return layer_names((layer.type, layer.name) for layer in layers)


def is_keras_name(name: str) -> bool:
    """Whether Keras takes ``name`` for a layer as it is."""
    return _LAYER_NAME.fullmatch(name) is not None


def _ascii(name: str) -> str:
    # NFKD turns "h²" into "h2" and "é" into "e"; what has no ASCII form becomes "_".
    decomposed = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def keras_name(name: str, fallback: str) -> str:
    """A name Keras takes for a layer: ``name`` if it can, else its ASCII letters, else ``fallback``."""
    if is_keras_name(name):
        return name
    cleaned = _ascii(name)
    return cleaned if re.search(r"[A-Za-z0-9]", cleaned) else fallback


def keras_names(names: Sequence[str], types: Sequence[str]) -> list[str]:
    """Unique names Keras takes, one per layer name; names Keras takes already stay as they are.

    ``은닉층`` (a Dense) becomes ``dense`` (or ``dense_2`` if taken), ``(v2) digits`` ``v2_digits``.
    """
    keep = [is_keras_name(n) for n in names]
    taken = {n for n, ok in zip(names, keep, strict=True) if ok}
    out: list[str] = []
    for name, kind, ok in zip(names, types, keep, strict=True):
        if ok:
            out.append(name)
            continue
        candidate = keras_name(name, base_name(kind))
        unique, n = candidate, 1
        while unique in taken:
            unique, n = f"{candidate}_{n}", n + 1
        taken.add(unique)
        out.append(unique)
    return out


def model_name(name: str) -> str:
    """A name TensorFlow takes for the model (a root scope): the preset's name, made ASCII."""
    if _ROOT_NAME.fullmatch(name):
        return name
    cleaned = _ascii(name).lstrip("_-")
    return cleaned if cleaned and _ROOT_NAME.fullmatch(cleaned) else "model"


def unused_name(base: str, taken: Iterable[str]) -> str:
    """``base``, or ``base_1``, ``base_2`` ... whichever is not taken."""
    taken = set(taken)
    candidate, n = base, 1
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def layer_sources(inputs: Sequence[Sequence[str] | None], names: Sequence[str]) -> list[list[int]]:
    """For each layer, the indices of the layers it takes: those it names, else the one above.

    The first layer takes the model's input (no index). Names that don't resolve are left out: the
    checker reports them.
    """
    sources: list[list[int]] = []
    for i, listed in enumerate(inputs):
        if listed:
            earlier = {n: j for j, n in enumerate(names[:i])}
            sources.append([earlier[n] for n in listed if isinstance(n, str) and n in earlier])
        else:
            sources.append([i - 1] if i > 0 else [])
    return sources


def unused_layers(inputs: Sequence[Sequence[str] | None], names: Sequence[str]) -> list[int]:
    """Indices of layers the output does not depend on (Keras would silently drop them)."""
    if not names:
        return []
    sources = layer_sources(inputs, names)
    reached = {len(names) - 1}
    stack = [len(names) - 1]
    while stack:
        for j in sources[stack.pop()]:
            if j not in reached:
                reached.add(j)
                stack.append(j)
    return [i for i in range(len(names)) if i not in reached]


def unused_message(index: int, layer_type: str, name: str) -> str:
    """Why a layer the output does not depend on is refused, in the interface's language."""
    return _("layer {number} ({type} '{name}') is not used: the output does not depend on it, so "
             "Keras would drop it; list '{name}' in a later layer's inputs, or remove it").format(
        number=index + 1, type=layer_type, name=name)
