"""A preset, or a run, as a plain Keras script: no nnbench import, ready for ``python``.

The script does what nnbench's Trainer does (core/data/, core/training.py), step for step: the
same seed calls (``keras.utils.set_random_seed`` and op determinism), the same test split
(scikit-learn's ``train_test_split``, stratified, with the same seed), the same validation hold-out,
scaling, dtypes and label shapes, the same layer names, the same optimizer, metric objects and
callbacks. With a seed, the exported script of a run reproduces its history.csv.

Everything taken from a preset reaches the script as a Python literal (``repr``) or as a checked
identifier; text such as the description only ever appears in comments, one printable line each.
So a preset cannot make the script do anything but train.

``export_script(preset)`` exports a preset; ``export_run(run)`` a run folder, with the epochs the
run was given and the data facts (classes) it recorded.

The parts: ``literals`` (the data-safe literal, identifier and comment rules), ``facts`` (what is
known before the script runs), ``data_code`` and ``folder_code`` (``load_data()``),
``model_code`` (``build_model()``), ``train_code`` (``main()``) and ``script`` (the whole script,
runs, files).
"""


from nnbench.core.export.facts import DataFacts
from nnbench.core.export.literals import ExportError, comment, literal
from nnbench.core.export.script import (
    export_run,
    export_script,
    export_target,
    refuse_overwrite,
    write_script,
)
from nnbench.core.export.train_code import TASKS

__all__ = [
    "TASKS", "DataFacts", "ExportError", "comment", "export_run",
    "export_script", "export_target", "literal", "refuse_overwrite", "write_script",
]
