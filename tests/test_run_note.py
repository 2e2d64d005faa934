"""A run of an edited, unsaved preset says what was edited (issue 7 item 6): four different
models are not all just "digits-mlp" in the runs list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import tomli_w

from nnbench.core.compare import EDIT_LABEL_WIDTH, edit_label
from nnbench.core.preset import load_preset, loads_preset

ORIGINAL = load_preset("digits-mlp")


def edited(change: Callable[[dict[str, Any]], object]) -> str:
    tree = ORIGINAL.to_toml_dict()
    change(tree)
    return edit_label(ORIGINAL, loads_preset(tomli_w.dumps(tree)))


@pytest.mark.parametrize(("change", "label"), [
    (lambda t: None, ""),
    (lambda t: t.__setitem__("name", "renamed"), ""),
    (lambda t: t.__setitem__("description", "other words"), ""),
    (lambda t: t["compile"].__setitem__("optimizer", {"type": "sgd", "learning_rate": 0.1}),
     "sgd lr=0.1"),
    (lambda t: t["model"]["layers"].insert(2, {"type": "Dropout", "rate": 0.3}), "+Dropout(0.3)"),
    (lambda t: t["model"]["layers"].__delitem__(2), "-Dropout(0.2)"),
    (lambda t: t["model"]["layers"][1].__setitem__("units", 128), "+Dense(128,relu) -Dense(64,relu)"),
    (lambda t: t["callbacks"].clear(), "-early_stop"),
    (lambda t: t["callbacks"]["EarlyStopping"].__setitem__("patience", 5), "early_stop.patience=5"),
    (lambda t: (t["fit"].__setitem__("batch_size", 64), t["compile"].__setitem__("optimizer", "sgd")),
     "sgd batch=64"),
])
def test_the_note_names_what_was_edited(change: Callable[[dict[str, Any]], object],
                                        label: str) -> None:
    assert ORIGINAL.model.layers[2].type == "Dropout"  # the cases above assume the bundled stack
    assert edited(change) == label


def test_a_long_note_is_cut_with_an_ellipsis() -> None:
    def many(tree: dict[str, Any]) -> None:
        for rate in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
            tree["model"]["layers"].insert(2, {"type": "Dropout", "rate": rate})

    label = edited(many)
    assert len(label) == EDIT_LABEL_WIDTH and label.endswith("…")
    assert label.startswith("+Dropout(0.6) +Dropout(0.5)")


async def test_a_run_of_an_edited_preset_carries_its_note_into_the_runs_list(tmp_path) -> None:
    from conftest import settle, tiny_preset

    from nnbench.core.launch import launch_in_thread
    from nnbench.core.runs import RunStore
    from nnbench.tui.app import make_app
    from nnbench.tui.messages import PresetChanged

    runs_dir = tmp_path / "runs"
    preset = tiny_preset()
    app = make_app(preset, runs_dir=runs_dir, launcher=launch_in_thread)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app)
        edited_preset = preset.copy_with(fit=preset.fit.model_copy(update={"batch_size": 8}))
        app.post_message(PresetChanged(edited_preset, "batch size"))
        await pilot.pause()
        assert app.session.unsaved
        await pilot.press("ctrl+r")
        for _ in range(600):
            await pilot.pause(0.1)
            runs = RunStore(runs_dir).list()
            if runs and runs[0].status != "running":
                break
        [run] = RunStore(runs_dir).list()
        assert run.status == "finished" and run.note == "batch=8"
        await pilot.press("7")  # the Runs tab
        runs_pane = app.main.runs_pane
        assert runs_pane is not None
        for _ in range(100):
            await pilot.pause(0.1)
            if runs_pane.table.row_count:
                break
        cell = runs_pane.table.get_row_at(0)[0]
        assert str(cell).endswith(f"{run.run_id} batch=8")
