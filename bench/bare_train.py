"""The baseline: the plain Keras script a person would write, no nnbench import anywhere.

Import, load, build, compile, ``model.fit(verbose=0)``, evaluate, save: the same model, data and
seed as the bench's nnbench presets (bench/workloads.py writes both sides from one description).

    python bench/bare_train.py --workload digits-wide --epochs 30 [--verbose 0|1|2]
        [--tensorboard DIR] [--npz PATH] [--events PATH] [--result PATH] [--save PATH]

``--events`` appends one JSON line per epoch (``{"event": "EpochEnded", "epoch", "seconds",
"logs"}``, flushed), so the bench follows this process from outside exactly as it follows an
nnbench run folder. The epoch clock is a callback with only ``on_epoch_begin``/``on_epoch_end``:
it never touches a batch. ``--result`` writes the epochs' seconds, the CPU seconds of the fit
(``time.process_time``, every thread) and the final loss as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

STARTED = time.monotonic()

LAYERS = {
    # workload -> (input width, hidden units); softmax over 10 classes on top
    "digits-wide": (64, (512, 256)),
    "synthetic-784": (784, (300, 100)),
    "tiny": (64, (8,)),
}


def load(workload: str, npz: str | None):
    import numpy as np

    if workload == "synthetic-784":
        with np.load(npz) as f:
            x_train, y_train = f["x_train"], f["y_train"]
            x_test, y_test = f["x_test"], f["y_test"]
        scale = False
    else:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        x, y = load_digits(return_X_y=True)
        x, y = x.astype("float32"), y.astype("int32")
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=0.2, random_state=42, stratify=y)
        scale = True
    split_at = int(np.floor(len(x_train) * 0.8))  # validation: the last 20 %, as Keras takes it
    x_train, x_val = x_train[:split_at], x_train[split_at:]
    y_train, y_val = y_train[:split_at], y_train[split_at:]
    if scale:  # standardize with the training samples' statistics only
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        std[std == 0] = 1.0
        x_train, x_val, x_test = ((a - mean) / std for a in (x_train, x_val, x_test))
    return x_train, y_train, x_val, y_val, x_test, y_test


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=sorted(LAYERS), default="digits-wide")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--verbose", type=int, default=0, choices=(0, 1, 2))
    parser.add_argument("--tensorboard", metavar="DIR")
    parser.add_argument("--npz", help="synthetic-784: the data file")
    parser.add_argument("--events", type=Path)
    parser.add_argument("--result", type=Path)
    parser.add_argument("--save", type=Path, default=Path("bare-model.keras"))
    return parser


def build_model(keras: Any, workload: str) -> Any:
    """The workload's MLP, compiled: Dense relu layers, softmax over 10 classes, Adam."""
    width, hidden = LAYERS[workload]
    inputs = keras.Input(shape=(width,))
    x = inputs
    for units in hidden:
        x = keras.layers.Dense(units, activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _write_event(events: IO[str], line: dict[str, Any]) -> None:
    # flushed at once: the bench follows this file from outside while the fit runs
    events.write(json.dumps(line) + "\n")
    events.flush()


def epoch_clock(keras: Any, events: IO[str] | None) -> Any:
    """A callback with only ``on_epoch_begin``/``on_epoch_end`` (it never touches a batch): each
    epoch's seconds and the process's CPU seconds at its end, and an EpochEnded line in ``events``.
    Defined here because its base class is Keras's, imported only after the arguments parse."""

    class EpochClock(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []
            self.cpu_at_end: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.began = time.monotonic()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.monotonic() - self.began)
            self.cpu_at_end.append(time.process_time())
            if events is not None:
                _write_event(events, {"event": "EpochEnded", "epoch": epoch + 1,
                                      "seconds": self.seconds[-1],
                                      "logs": {k: float(v) for k, v in (logs or {}).items()}})

    return EpochClock()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()  # as nnbench does for a seeded preset
    x_train, y_train, x_val, y_val, x_test, y_test = load(args.workload, args.npz)
    model = build_model(keras, args.workload)

    events = args.events.open("a", encoding="utf-8") if args.events else None
    clock = epoch_clock(keras, events)
    callbacks = [clock]
    if args.tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=args.tensorboard))
    if events is not None:  # where the fit span starts, as nnbench's RunStarted line
        _write_event(events, {"event": "RunStarted"})
    fit_cpu = time.process_time()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        validation_data=(x_val, y_val), shuffle=True, callbacks=callbacks,
                        verbose=args.verbose)
    fit_cpu = time.process_time() - fit_cpu
    scores = model.evaluate(x_test, y_test, batch_size=args.batch_size, verbose=0,
                            return_dict=True)
    model.save(args.save)
    if events is not None:
        _write_event(events, {"event": "RunFinished", "status": "finished"})
        events.close()
    print({k: round(float(v), 4) for k, v in scores.items()})
    if args.result:
        args.result.write_text(json.dumps({
            "epoch_seconds": clock.seconds, "cpu_at_epoch_end": clock.cpu_at_end,
            "fit_cpu_s": fit_cpu, "final_loss": float(history.history["loss"][-1]),
            "process_s": time.monotonic() - STARTED,
        }), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
