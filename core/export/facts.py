"""What the exporter knows before the script runs (``DataFacts``), and the script being
assembled (``Script``): the imports and helper functions its parts ask for."""

from __future__ import annotations

from dataclasses import dataclass, field

from nnbench.core import catalog
from nnbench.core.preset import Preset


@dataclass
class DataFacts:
    """What the export knows about the data before the script runs (from a run, or nothing)."""

    task: str | None = None
    """binary / multiclass / regression, or None: the script then decides where it matters."""
    input_shape: tuple[int | None, ...] | None = None


def task_of(num_classes: int | None) -> str:
    """The task a data set's class count means: regression, binary or multiclass."""
    # core/data/: no classes is regression; two classes binary.
    return "regression" if num_classes is None else "binary" if num_classes == 2 else "multiclass"


def static_facts(preset: Preset) -> DataFacts:
    """What is known of the data without loading it (a Keras data set's task)."""
    from nnbench.core import data

    facts = DataFacts()
    if preset.data.scheme == "keras":
        keras_set = data.KERAS_SETS.get(preset.data.target_name)
        if keras_set is not None:
            facts.task = keras_set.task
    return facts


@dataclass
class Script:
    """The script being assembled: its parts add the imports and helper functions they need."""

    preset: Preset
    facts: DataFacts
    epochs: int
    imports: set[str] = field(default_factory=set)
    helpers: list[list[str]] = field(default_factory=list)
    steering: list[tuple[int, int, str, float]] = field(default_factory=list)
    """What a person changed while the run trained (core/export/schedule_code.py)."""

    @property
    def loss(self) -> str:
        return catalog.LOSS_ALIASES.get(self.preset.compile.loss, self.preset.compile.loss)

    @property
    def folders(self) -> bool:
        return self.preset.data.scheme in ("images", "text")

    def helper(self, lines: list[str]) -> None:
        if lines not in self.helpers:
            self.helpers.append(lines)
