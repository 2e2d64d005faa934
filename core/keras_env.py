"""Import Keras once, quietly. Everything that needs TensorFlow goes through ``import_keras``."""

from __future__ import annotations

import os
import threading
from typing import Any

_lock = threading.Lock()


def import_keras() -> Any:
    """Import Keras on the TensorFlow backend with TensorFlow's C++ chatter turned down."""
    with _lock:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        import keras

        try:
            import absl.logging

            absl.logging.set_verbosity(absl.logging.ERROR)
        except ImportError:
            pass
        return keras


def keras_loaded() -> bool:
    import sys

    return "keras" in sys.modules
