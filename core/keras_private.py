"""The one place nnbench reaches into Keras's private ``keras.src`` package.

Keras 3 exports no public way to ask two things nnbench needs to agree with Keras exactly:

- how ``model.summary()`` counts a list of weights (``keras.src.utils.summary_utils.count_params``),
  so the Build view's totals equal what Keras prints;
- which folder ``keras.utils.get_file`` downloads into (``keras.src.backend.config.keras_home``):
  Keras reads ``KERAS_HOME`` once, at import, so re-reading the environment later can disagree.

Each is used through one function here, imported lazily (TensorFlow loads only when needed), with a
fallback that repeats Keras's own rule if the private symbol moves. ``PRIVATE_SYMBOLS`` lists what is
borrowed; tests/test_private_keras_plotext.py resolves each one and fails, naming the Keras version
and the symbol, when an upgrade moves it — the fallback keeps users working, the test tells us.
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Iterable
from typing import Any

CHECKED_WITH = "3.15.1"
"""The Keras version these names were last checked against (the test runs on whatever is
installed; this says where a difference started)."""
SUPPORTED = ">=3.3,<4"
"""The range pyproject.toml should pin: Keras 3.3 split the code into ``keras.src`` (private) and
``keras.api``; older 3.x and Keras 2 (tf.keras) lay it out otherwise and get the fallbacks."""

PRIVATE_SYMBOLS: tuple[tuple[str, str], ...] = (
    ("keras.src.utils.summary_utils", "count_params"),
    ("keras.src.backend.config", "keras_home"),
)
"""(module, attribute) pairs this module borrows from Keras; each is used below and nowhere else."""


def private_symbol(module: str, attribute: str) -> Any:
    """Keras's private ``module.attribute``; ``None`` when this Keras has moved it.

    Keras is imported first through ``import_keras`` (quiet TensorFlow, the tensorflow backend).
    """
    from nnbench.core.keras_env import import_keras

    import_keras()
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError):
        return None


def count_params(weights: Iterable[Any]) -> int:
    """The number of scalars in ``weights``, counted as ``model.summary()`` counts them."""
    weights = list(weights)
    keras_count = private_symbol("keras.src.utils.summary_utils", "count_params")
    if keras_count is not None:
        return int(keras_count(weights))
    # Keras 3's rule (summary_utils.py): the product of each weight's shape, summed.
    return int(sum(math.prod(int(d) for d in weight.shape) for weight in weights))


def keras_home() -> str:
    """The Keras cache folder as Keras decided it at import (``$KERAS_HOME``, else ``~/.keras``,
    else ``/tmp/.keras`` when the home folder is read-only); not yet expanded or checked."""
    keras_dir = private_symbol("keras.src.backend.config", "keras_home")
    if keras_dir is not None:
        return str(keras_dir())
    # Keras 3's rule (backend/config.py), for a Keras that has moved the accessor.
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = "/tmp"
    return os.path.join(base, ".keras")
