"""What a loader did to the data, stored in English and said in the reader's language.

A loader's notes (``LoadedData.notes``: "held out the last 6,000 training samples ...") go into a
run's events.jsonl, in its RunStarted data and as a Notice each, and a run's files stay
language-neutral: English. So a note is made in English from one of ``TEMPLATES`` (``note``), and
said in the interface's language where it is shown (``said``): the template it was made from,
translated, with the same values. Text no template made (a note from an older nnbench, a notice
from elsewhere) is shown as it is.
"""

from __future__ import annotations

import re
import string
from functools import cache
from typing import Any

from nnbench.core.i18n import N_, _

TEMPLATES: dict[str, str] = {
    # arrays: the splits and scaling every array source shares
    "first_samples": N_("using only the first {used} of {total} training samples (data.max_samples)"),
    "last_for_validation": N_("held out the last {count} training samples ({percent}) for "
                              "validation, as Keras's validation_split does"),
    "first_for_validation": N_("held out the first {count} training samples for validation"),
    "validating_on_test": N_("validating on the test split ({count} samples)"),
    "sequences_not_scaled": N_('scaling = "{scaling}" skipped: the inputs are word indices, which '
                               'an Embedding layer looks up, not measurements'),
    "divided_255": N_("divided the inputs by 255, so pixel values lie between 0 and 1"),
    "standardized": N_("standardized with the training mean/std ({count} samples); validation "
                       "and test use the same statistics"),
    "test_held_out_stratified": N_("held out {count} samples ({percent}) as the test split, "
                                   "stratified by class, seed {seed}"),
    "test_held_out": N_("held out {count} samples ({percent}) as the test split, seed {seed}"),
    "one_test_sample_stratified": N_("held out 1 sample ({percent}) as the test split, stratified "
                                     "by class, seed {seed}"),
    "one_test_sample": N_("held out 1 sample ({percent}) as the test split, seed {seed}"),
    # files: csv and npz
    "no_test_split": N_("no test split: set data.test_split (e.g. 0.2) to hold one out"),
    "text_labels": N_("{what}: encoded {count} labels as 0..{last} in sorted order ({names})"),
    "regression_target": N_("{what}: {count} different numbers, so this is regression"),
    "class_numbers": N_("{what}: {count} whole-number values, so they are class labels"),
    "labels_encoded": N_("{what}: labels {names} encoded as 0..{last}"),
    "one_hot_rows": N_("{name} y: one-hot rows turned into class indices"),
    # folders: images and text
    "keras_validation_files": N_("Keras held out {percent} of the files in {folder} for validation "
                                 "(seed {seed})"),
    "test_folder": N_("test split from {folder}"),
    "some_samples": N_("using only {used} of {total} training samples (data.max_samples)"),
    "divided_pixels": N_("divided pixel values by 255, so they lie between 0 and 1"),
    "standardized_channels": N_("standardized each colour channel with the training images' "
                                "mean/std"),
    "text_vectorized": N_("turned text into {maxlen} word indices per sample with a vocabulary of "
                          "{words} words learnt from the training text"),
    "words_not_scaled": N_('scaling = "{scaling}" skipped: the inputs are word indices'),
    # keras: imdb and reuters
    "num_words_unset": N_("data.num_words is not set: word indices go up to {top}, so an Embedding "
                          "needs input_dim = {dim}"),
    "sequences_padded": N_("padded/truncated every sequence to {maxlen} words (zeros at the end, "
                           "as the TensorFlow text tutorial does)"),
}
"""Every note a loader writes, by what it says; English, the stored form."""


def note(kind: str, **values: Any) -> str:
    """The note ``TEMPLATES[kind]`` with ``values``, in English (as a run's files keep it)."""
    return TEMPLATES[kind].format(**values)


_FORMATTER = string.Formatter()


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each template with the pattern that reads its values back out of a note."""
    found = []
    for template in TEMPLATES.values():
        pattern, seen = "", set()
        for literal, name, _spec, _conversion in _FORMATTER.parse(template):
            pattern += re.escape(literal)
            if name is not None:
                pattern += f"(?P={name})" if name in seen else f"(?P<{name}>.*?)"
                seen.add(name)
        found.append((template, re.compile(pattern, re.DOTALL)))
    return tuple(found)


def said(text: str) -> str:
    """A stored note in the interface's language (``text`` itself where no template made it)."""
    for template, pattern in _patterns():
        match = pattern.fullmatch(text)
        if match:
            return _(template).format(**match.groupdict())
    return text
