"""The working session as plain Python: unsaved, undo, and which loaded data belongs to the
settings on screen."""

from __future__ import annotations

from pathlib import Path

from conftest import tiny_preset

from nnbench.core.events import DataInfo
from nnbench.core.session import LoadedData, Session


def info(source: str = "sklearn:iris") -> DataInfo:
    return DataInfo(source=source, train_samples=96, val_samples=24, test_samples=30,
                    input_shape=(4,), num_classes=3, class_names=["a", "b", "c"])


def test_unsaved_means_different_from_what_was_opened_or_saved(tmp_path: Path) -> None:
    session = Session(tiny_preset())
    assert not session.unsaved
    session.change(tiny_preset(fit={"epochs": 9}), "epochs")
    assert session.unsaved
    session.undo()
    assert not session.unsaved, "undoing back to the saved preset is not unsaved"
    renamed = tiny_preset(name="mine")
    session.saved_as(renamed, tmp_path / "mine.toml")
    assert session.preset.name == "mine" and session.path == tmp_path / "mine.toml"
    assert not session.unsaved


def test_typing_into_one_field_is_one_undo_step() -> None:
    session = Session(tiny_preset())
    for epochs in (1, 10, 100):
        session.change(tiny_preset(fit={"epochs": epochs}), "epochs", merges=True)
    session.change(tiny_preset(fit={"epochs": 100, "batch_size": 8}), "batch_size", merges=True)
    assert [s.reason for s in session.undo_steps] == ["epochs", "batch_size"]
    session.undo()
    assert session.preset.fit.epochs == 100 and session.preset.fit.batch_size == 16
    session.undo()
    assert session.preset == tiny_preset()
    assert session.undo() is None


def test_layer_changes_never_merge() -> None:
    session = Session(tiny_preset())
    one = tiny_preset(model={"layers": TWO_LAYERS})
    session.change(one, "remove layer 2 (Dense)")
    session.change(tiny_preset(model={"layers": TWO_LAYERS[:1]}), "remove layer 2 (Dense)")
    assert session.undo() is not None and session.preset == one


TWO_LAYERS = [{"type": "Input", "shape": [4]}, {"type": "Dense", "units": 3,
                                                "activation": "softmax"}]


def test_loaded_data_counts_only_for_the_settings_it_was_loaded_with() -> None:
    session = Session(tiny_preset())
    preset = session.preset
    assert session.data_loaded(LoadedData(preset.data, preset.fit, info(), 120))
    assert session.data_info is not None and session.training_samples == 120

    session.change(tiny_preset(data={"source": "sklearn:wine"}), "data set")
    assert session.data_info is None, "another source: nothing is loaded for it"
    assert session.training_samples is None

    session.undo()
    assert session.data_info is not None, "back to the loaded settings: loaded again"

    session.change(tiny_preset(data={"scaling": "none"}), "data scaling")
    assert session.data_info is None, "an option of the source counts too"


def test_a_load_that_finishes_after_the_settings_changed_is_dropped() -> None:
    session = Session(tiny_preset())
    started = session.preset
    session.change(tiny_preset(data={"source": "sklearn:wine"}), "data set")
    assert not session.data_loaded(LoadedData(started.data, started.fit, info(), 120))
    assert session.data_info is None


def test_a_failed_load_clears_what_was_loaded() -> None:
    session = Session(tiny_preset())
    preset = session.preset
    session.data_loaded(LoadedData(preset.data, preset.fit, info(), 120))
    session.data_load_failed(preset.data)
    assert session.data_info is None


def test_the_counts_say_when_fit_validation_changed_since_the_load() -> None:
    session = Session(tiny_preset())
    preset = session.preset
    session.data_loaded(LoadedData(preset.data, preset.fit, info(), 120))
    assert session.split_as_loaded
    session.change(tiny_preset(fit={"validation_split": 0.5}), "validation-split")
    assert session.data_info is not None, "the shapes and classes still hold"
    assert not session.split_as_loaded


def test_opening_another_preset_forgets_everything_of_the_old_one(tmp_path: Path) -> None:
    session = Session(tiny_preset())
    preset = session.preset
    session.data_loaded(LoadedData(preset.data, preset.fit, info(), 120))
    session.change(tiny_preset(fit={"epochs": 9}), "epochs")
    session.open(tiny_preset(name="other"), tmp_path / "other.toml")
    assert session.undo_steps == [] and session.loaded is None and not session.unsaved
