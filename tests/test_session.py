"""nnbench.core.session as plain Python: what a change makes stale, the window title, where an
opened name points, where an export goes, and what a save writes and reads back.

(Unsaved, undo and which loaded data belongs to the settings: tests/test_tui_session.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import tiny_preset

from nnbench.core.errors import PresetError
from nnbench.core.events import DataInfo
from nnbench.core.preset import DEFAULT_PRESET, load_preset, save_preset
from nnbench.core.session import LoadedData, Session, is_preset_path, open_choice, script_path


def info() -> DataInfo:
    return DataInfo(source="sklearn:iris", train_samples=96, val_samples=24, test_samples=30,
                    input_shape=(4,), num_classes=3, class_names=["a", "b", "c"])


def loaded_session() -> Session:
    session = Session(tiny_preset())
    preset = session.preset
    assert session.data_loaded(LoadedData(preset.data, preset.fit, info(), 120))
    return session


def test_a_change_of_an_unrelated_field_makes_nothing_stale() -> None:
    stale = loaded_session().change(tiny_preset(fit={"epochs": 9}), "epochs")
    assert not stale.loaded_data and not stale.loss


def test_a_change_of_the_data_source_makes_the_loaded_data_stale() -> None:
    session = loaded_session()
    stale = session.change(tiny_preset(data={"source": "sklearn:wine"}), "data set")
    assert stale.loaded_data and not stale.loss
    assert session.data_info is None


def test_a_change_of_the_validation_split_makes_the_loaded_counts_stale() -> None:
    # The data is still the data of the settings, but its counts were split another way.
    stale = loaded_session().change(tiny_preset(fit={"validation_split": 0.5}), "split")
    assert stale.loaded_data


def test_a_change_of_the_loss_asks_for_the_output_check_again() -> None:
    stale = loaded_session().change(
        tiny_preset(compile={"loss": "categorical_crossentropy"}), "loss")
    assert stale.loss and not stale.loaded_data


def test_the_same_preset_again_is_no_change() -> None:
    session = loaded_session()
    stale = session.change(tiny_preset(), "nothing")
    assert not stale.loaded_data and not stale.loss and session.undo_steps == []


def test_the_title_marks_unsaved_changes_and_shows_outside_text_as_data(tmp_path: Path) -> None:
    session = Session(tiny_preset(name="mine\x1b]0;owned\x07"))
    assert session.title == "mine\\x1b]0;owned\\x07"
    assert session.subtitle == "bundled preset"
    session.change(tiny_preset(name="mine", fit={"epochs": 9}), "epochs")
    assert session.title == "mine •"
    session.open(tiny_preset(), tmp_path / "a.toml")
    assert session.subtitle == str(tmp_path / "a.toml")


def test_a_bundled_name_has_no_path_and_a_file_its_resolved_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    preset, path = open_choice(DEFAULT_PRESET)
    assert path is None and preset == load_preset(DEFAULT_PRESET)
    save_preset(tiny_preset(), tmp_path / "mine.toml")
    monkeypatch.chdir(tmp_path)
    preset, path = open_choice("mine.toml")
    assert path == tmp_path.resolve() / "mine.toml" and preset.name == tiny_preset().name
    assert is_preset_path("mine.toml") and is_preset_path("sub/x") and not is_preset_path("mlp")


def test_a_preset_that_cannot_be_opened_says_why() -> None:
    with pytest.raises(PresetError):
        open_choice("no-such-preset")


def test_an_export_never_overwrites_a_script(tmp_path: Path) -> None:
    first = script_path("my model/v2", tmp_path)
    assert first == tmp_path / "my_model_v2.py"
    first.write_text("# edited by hand")
    assert script_path("my model/v2", tmp_path) == tmp_path / "my_model_v2-2.py"
    assert script_path("", tmp_path) == tmp_path / "model.py"


def test_a_save_renames_writes_reads_back_and_is_the_saved_preset(tmp_path: Path) -> None:
    session = Session(tiny_preset())
    session.change(tiny_preset(fit={"epochs": 9}), "epochs")
    path = tmp_path / "mine.toml"
    assert session.save(path, name="mine", description="nine epochs")
    assert not session.unsaved and session.path == path.resolve()
    assert session.preset.name == "mine" and session.preset.fit.epochs == 9
    assert load_preset(path) == session.preset
    assert not session.would_replace(path), "its own file is not replaced"
    other = tmp_path / "other.toml"
    other.write_text("")
    assert session.would_replace(other) and not session.would_replace(tmp_path / "new.toml")


def test_a_save_that_fails_changes_nothing(tmp_path: Path) -> None:
    session = Session(tiny_preset())
    session.change(tiny_preset(fit={"epochs": 9}), "epochs")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(OSError):  # a folder that is a file
        session.save(tmp_path / "a-file" / "mine.toml", name="mine", description="")
    assert session.unsaved and session.path is None and session.preset.name != "mine"
