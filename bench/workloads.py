"""The models the figures train, written both ways from one description: an nnbench preset (TOML
in a temporary folder) and the argv of bench/bare_train.py (plain Keras)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BARE_SCRIPT = BENCH_DIR / "bare_train.py"

SYNTHETIC_TRAIN = 25_000
"""Training samples in the synthetic set: 20,000 train after the 20 % validation hold-out."""
SYNTHETIC_TEST = 2_000


@dataclass(frozen=True)
class Workload:
    key: str
    what: str
    width: int
    hidden: tuple[int, ...]

    @property
    def synthetic(self) -> bool:
        return self.key == "synthetic-784"

    def preset_toml(self, epochs: int, data_path: Path | None = None, batch_size: int = 32) -> str:
        if self.synthetic:
            data = f'source = "npz:{data_path}"\nscaling = "none"\n'
        else:
            data = 'source = "sklearn:digits"\nscaling = "standardize"\ntest_split = 0.2\n'
        layers = f'[[model.layers]]\ntype = "Input"\nshape = [{self.width}]\n\n'
        for units in self.hidden:
            layers += f'[[model.layers]]\ntype = "Dense"\nunits = {units}\nactivation = "relu"\n\n'
        layers += '[[model.layers]]\ntype = "Dense"\nunits = 10\nactivation = "softmax"\n'
        return (f'name = "bench-{self.key}"\ndescription = "nnbench bench: {self.what}"\n\n'
                f"[data]\n{data}\n{layers}\n"
                '[compile]\nloss = "sparse_categorical_crossentropy"\noptimizer = "adam"\n'
                'metrics = ["accuracy"]\n\n'
                f"[fit]\nepochs = {epochs}\nbatch_size = {batch_size}\nvalidation_split = 0.2\n"
                "shuffle = true\nseed = 42\n")

    def write_preset(self, folder: Path, epochs: int, data_path: Path | None = None) -> Path:
        path = folder / f"bench-{self.key}-{epochs}.toml"
        path.write_text(self.preset_toml(epochs, data_path), encoding="utf-8")
        return path

    def bare_argv(self, epochs: int, *, data_path: Path | None = None, events: Path | None = None,
                  result: Path | None = None, save: Path | None = None, verbose: int = 0,
                  tensorboard: Path | None = None) -> list[str]:
        argv = [sys.executable, str(BARE_SCRIPT), "--workload", self.key, "--epochs", str(epochs),
                "--verbose", str(verbose)]
        if self.synthetic:
            argv += ["--npz", str(data_path)]
        for flag, value in (("--events", events), ("--result", result), ("--save", save),
                            ("--tensorboard", tensorboard)):
            if value is not None:
                argv += [flag, str(value)]
        return argv


DIGITS_WIDE = Workload("digits-wide", "MLP 64-512-256-10 on the digits, batch 32", 64, (512, 256))
SYNTHETIC = Workload("synthetic-784", f"MLP 784-300-100-10 on {SYNTHETIC_TRAIN - SYNTHETIC_TRAIN // 5:,}"
                     " synthetic samples, batch 32", 784, (300, 100))
TINY = Workload("tiny", "MLP 64-8-10 on the digits (the smoke test)", 64, (8,))
WORKLOADS = {w.key: w for w in (DIGITS_WIDE, SYNTHETIC, TINY)}


def write_synthetic(path: Path, seed: int = 0) -> Path:
    """A learnable 10-class problem in 784 dimensions: labels from a random linear teacher."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = SYNTHETIC_TRAIN + SYNTHETIC_TEST
    x = rng.standard_normal((n, 784), dtype=np.float32)
    teacher = rng.standard_normal((784, 10)).astype(np.float32)
    y = np.argmax(x @ teacher + 0.5 * rng.standard_normal((n, 10)), axis=1).astype(np.int32)
    np.savez(path, x_train=x[:SYNTHETIC_TRAIN], y_train=y[:SYNTHETIC_TRAIN],
             x_test=x[SYNTHETIC_TRAIN:], y_test=y[SYNTHETIC_TRAIN:])
    return path
