"""The whole script, its parts in order; and ``nnbench export``: a run, a preset or a run id, written
to a file without overwriting one by accident."""

from __future__ import annotations

import ast
from pathlib import Path

from nnbench.core.errors import NnbenchError, PresetError
from nnbench.core.export.data_code import data_code
from nnbench.core.export.facts import DataFacts, Script, static_facts, task_of
from nnbench.core.export.literals import ExportError, attribute, comment, literal
from nnbench.core.export.model_code import model_code
from nnbench.core.export.train_code import compile_code, main_code
from nnbench.core.preset import Preset


def export_script(preset: Preset, *, epochs: int | None = None,
                  facts: DataFacts | None = None,
                  steering: list[tuple[int, int, str, float]] | None = None) -> str:
    """The preset as a runnable Python script using Keras alone.

    Raises:
        NnbenchError: the preset cannot be built or written as a script (the message says where).
    """
    facts = facts or static_facts(preset)
    script = Script(preset, facts, epochs or preset.fit.epochs, steering=list(steering or []))
    data_lines = data_code(script)  # first: a folder's input shape is known from its options
    model_lines = model_code(script)
    compile_lines = compile_code(script)
    main_lines = main_code(script, compile_lines)
    text = "\n".join([*_head(script), *_helpers(script), *data_lines, "", "",
                      *model_lines, "", "", *main_lines, "", "",
                      'if __name__ == "__main__":', "    main()", ""])
    try:
        ast.parse(text)
    except SyntaxError as exc:  # a bug here, never the user's: say so rather than write it
        raise ExportError(f"the generated script does not parse (line {exc.lineno}: {exc.msg}); "
                          "this is an nnbench bug, please report it with the preset") from None
    return text


def _head(script: Script) -> list[str]:
    preset, data, fit = script.preset, script.preset.data, script.preset.fit
    lines = [
        '"""Exported by nnbench: plain Keras, no nnbench needed. Run it with python.',
        "",
        "It does what nnbench's Trainer does: the same data split, scaling and labels, the same",
        "model, compile, callbacks and seed. It writes history.csv and model.keras here.",
        '"""',
        *comment(f"preset: {preset.name}"),
        *([line for line in comment(preset.description)] if preset.description else []),
        *comment(f"data: {data.source}"),
        "",
    ]
    std = sorted(m for m in script.imports if m in ("csv", "math", "pathlib"))
    lines += [f"import {m}" for m in std] + ([""] if std else [])
    if "typing" in script.imports:
        lines += ["from typing import Any", ""]
    lines += ["import keras", "import numpy as np"]
    if "tf" in script.imports:
        lines.append("import tensorflow as tf")
    lines.append("from keras import layers")
    if "ops" in script.imports:
        lines.append("from keras import ops")
    if data.scheme == "sklearn":
        lines.append(f"from sklearn.datasets import {attribute('load_' + data.target_name, 'data.source')}")
    if "train_test_split" in script.imports:
        lines.append("from sklearn.model_selection import train_test_split")
    lines += [
        "",
        f"SEED = {literal(fit.seed)}"
        + ("  # fit.seed: the same seed gives the same history" if fit.seed is not None
           else "  # fit.seed is not set: every run differs"),
        f"SPLIT_SEED = {literal(fit.seed or 0)}  # seeds the test split and folder shuffles",
        f"EPOCHS = {literal(script.epochs)}",
        f"BATCH_SIZE = {literal(fit.batch_size)}",
    ]
    if data.scheme in ("csv", "npz", "images", "text"):
        lines.append(f"DATA = {literal(data.target_name)}")
    return lines


def _helpers(script: Script) -> list[str]:
    out: list[str] = []
    for helper in script.helpers:
        out += ["", "", *helper]
    return out + ["", ""]


def export_run(run: str | Path, runs_dir: str | Path | None = None, *,
               epochs: int | None = None) -> str:
    """The script of a run: its preset.toml, the epochs it was given, the classes it saw.

    Raises:
        NnbenchError: no such run, or its preset cannot be read or exported.
    """
    from nnbench.core.events import RunStarted
    from nnbench.core.preset import loads_preset
    from nnbench.core.runs import RunStore, read_events

    folder = RunStore(runs_dir).resolve(str(run))
    preset_file = folder / "preset.toml"
    try:
        text = preset_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"{preset_file}: cannot read the run's preset ({exc}); the run folder "
                          "may be incomplete") from None
    preset = loads_preset(text, file=str(preset_file))
    events = read_events(folder / "events.jsonl")
    started = [e for e in events if isinstance(e, RunStarted)]
    facts = static_facts(preset)
    if started:
        info = started[0].data
        facts = DataFacts(task=task_of(info.num_classes),
                          input_shape=tuple(info.input_shape) if info.input_shape else None)
        epochs = epochs or started[0].epochs
    from nnbench.core.export.schedule_code import steering_of

    return export_script(preset, epochs=epochs, facts=facts, steering=steering_of(events))


def export_target(target: str, runs_dir: str | Path | None = None, *,
                  epochs: int | None = None) -> str:
    """``nnbench export TARGET``: a run folder, a preset file or name, or a run id."""
    from nnbench.core.preset import load_preset

    path = Path(target).expanduser()
    if path.is_dir():
        return export_run(path, runs_dir, epochs=epochs)
    try:
        preset = load_preset(target)
    except PresetError as preset_error:
        if path.exists() or target.endswith(".toml"):
            raise
        try:
            return export_run(target, runs_dir, epochs=epochs)
        except NnbenchError:
            raise preset_error from None
    return export_script(preset, epochs=epochs)


def refuse_overwrite(output: str | Path, *, force: bool = False) -> Path:
    """``output`` as a path to write, refused when it is a folder or (without ``force``) exists."""
    path = Path(output)
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name with -o, e.g. -o train.py")
    if path.exists() and not force:
        raise ExportError(f"{path} already exists; pass --force to overwrite it, or choose "
                          "another file with -o")
    return path


def write_script(script: str, output: str | Path, *, force: bool = False) -> Path:
    """Write ``script`` to ``output`` (through a temporary file); an existing file is kept unless
    ``force``."""
    path = refuse_overwrite(output, force=force)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(script, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}; choose another path "
                          "with -o") from None
    return path
