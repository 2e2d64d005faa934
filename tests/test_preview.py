"""The data preview: class balance, pictures, decoded text and table summaries, built from what
was loaded, with every outside string escaped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_preset

from nnbench.core.data import load_data
from nnbench.core.events import DataInfo
from nnbench.core.preset import DataSpec
from nnbench.core.preview import (
    MAX_PICTURES,
    DataPreview,
    Picture,
    build_preview,
    decode_sequence,
    shrink,
)
from nnbench.core.preview_draw import preview_blocks, preview_plain, preview_rich


def _load(fit: dict | None = None, **data: object):  # type: ignore[no-untyped-def]
    preset = tiny_preset(data=data, fit=fit or {})
    return load_data(preset.data, preset.fit), preset.data


def test_the_imdb_decoder_undoes_the_loaders_index_offset() -> None:
    # keras.datasets.imdb: 0 pads, 1 starts, 2 is out of vocabulary, rank r is stored as r + 3.
    word_index = {"the": 1, "film": 2, "was": 3, "great": 4}
    assert decode_sequence([1, 4, 5, 6, 2, 7, 0, 0], word_index) == (
        "[START] the film was [OOV] great")
    assert decode_sequence([1, 99], word_index) == "[START] [OOV]", "unknown index"


def test_digits_preview_counts_every_split_and_draws_every_class(monkeypatch) -> None:
    loaded, spec = _load(source="sklearn:digits", scaling="none")
    preview = build_preview(loaded, spec)
    assert preview.kind == "images"
    assert [(s.name, s.samples) for s in preview.splits] == [
        ("train", loaded.info.train_samples), ("validation", loaded.info.val_samples),
        ("test", loaded.info.test_samples)]
    train = preview.splits[0]
    assert train.class_counts == np.bincount(loaded.y_train).tolist()
    assert len(preview.pictures) == MAX_PICTURES
    assert [p.label for p in preview.pictures[:10]] == [str(d) for d in range(10)]
    assert preview.pictures[0].pixels.shape == (8, 8, 3)
    text = preview_plain(preview, 100)
    lines = text.splitlines()
    assert lines[0] == "Class balance"
    assert lines[1].startswith("class  train 1,149")
    assert lines[2].startswith("0      █") and "10%" in lines[2]
    # The first picture is the first training sample labelled 0: a ring, dark in the middle.
    first = loaded.x_train[np.flatnonzero(loaded.y_train == 0)[0]].reshape(8, 8)
    start = lines.index("Samples (64 of the training split)") + 1
    drawn = [row[:8].ljust(8) for row in lines[start:start + 4]]
    assert lines[start + 4].startswith("0        1        2")
    for y in range(4):  # each character stands for two pixel rows of the 8x8 picture
        for x in range(8):
            pair = first[2 * y:2 * y + 2, x]
            if pair.max() == 0:
                assert drawn[y][x] == " ", (y, x)
            if pair.min() == 16:
                assert drawn[y][x] == "@", (y, x)


def test_pictures_draw_as_half_blocks_with_the_upper_pixel_in_front() -> None:
    from rich.console import Console

    pixels = np.zeros((2, 8, 3), np.uint8)
    pixels[0, 0] = (248, 0, 0)  # red above black
    preview = DataPreview(DataInfo("x", 1, 0, 0, (2, 8), 1, ["a"]), "images", [], ["a"],
                          pictures=[Picture(pixels, "[red]a")])
    console = Console(width=20, color_system="truecolor", force_terminal=True, record=True)
    console.print(preview_rich(preview, 20))
    html = console.export_text(styles=True, clear=False)
    assert "\x1b[38;2;248;0;0;48;2;0;0;0m▀" in html
    assert "[red]a" in console.export_text(), "a label is text, never markup"


def test_a_text_folder_shows_its_files_words_per_class(tmp_path: Path) -> None:
    for label, texts in {"neg": ["awful \x1b[2J film", "bad"], "pos": ["[b]great[/b] film"]}.items():
        (tmp_path / label).mkdir()
        for n, text in enumerate(texts):
            (tmp_path / label / f"{n}.txt").write_text(text)
    loaded, spec = _load({"validation_split": None}, source=f"text:{tmp_path}", scaling="none",
                         test_split=None)
    preview = build_preview(loaded, spec)
    assert preview.kind == "text" and preview.splits[0].class_counts == [2, 1]
    assert preview.texts == [("neg", "awful \x1b[2J film"), ("pos", "[b]great[/b] film"),
                             ("neg", "bad")]
    text = preview_plain(preview, 60)
    assert "neg │ awful \\x1b[2J film" in text, "control characters are shown, not obeyed"
    assert "pos │ [b]great[/b] film" in text


def test_a_long_text_is_cut_to_three_lines_that_fit() -> None:
    info = DataInfo("x", 1, 0, 0, (9,), 2, ["a", "b"])
    preview = DataPreview(info, "text", [], ["a", "b"], texts=[("a", "word " * 200)])
    lines = [b for b in preview_blocks(preview, 40) if isinstance(b, str) and "│" in b]
    assert len(lines) == 3 and all(len(line) <= 40 for line in lines)
    assert lines[-1].endswith("…")


def test_a_csv_with_odd_column_names_shows_rows_and_a_summary(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("[bold]x,\x1b]0;pwn\x07y,wide 列,label\n" + "".join(
        f"{i},{i * 10},{i % 3},{'ab'[i % 2]}\n" for i in range(10)))
    loaded, spec = _load(source=f"csv:{path}", scaling="none", test_split=None)
    preview = build_preview(loaded, spec)
    assert preview.kind == "table"
    assert preview.columns == ["[bold]x", "\x1b]0;pwn\x07y", "wide 列"]
    first = preview.features[0]
    x = loaded.x_train[:, 0]
    assert (first.min, first.mean, first.max, first.missing) == pytest.approx(
        (x.min(), x.mean(), x.max(), 0))
    text = preview_plain(preview, 100)
    assert "\x1b" not in text and "\\x1b]0;pwn\\x07y" in text
    assert "[bold]x" in text and "wide 列" in text
    header = next(line for line in text.splitlines() if line.startswith("label"))
    assert header.split() [:2] == ["label", "[bold]x"]
    assert "feature" in text and "missing" in text


def test_shrink_averages_whole_blocks() -> None:
    image = np.arange(32 * 32, dtype=np.float32).reshape(32, 32, 1)
    small = shrink(image)
    assert small.shape == (16, 16, 1)
    assert small[0, 0, 0] == pytest.approx(image[:2, :2].mean())


def test_regression_splits_show_their_target_range() -> None:
    loaded, spec = _load(source="sklearn:diabetes", scaling="standardize")
    preview = build_preview(loaded, spec)
    assert preview.kind == "table" and preview.splits[0].class_counts is None
    assert preview.columns[:3] == ["age", "sex", "bmi"]
    assert "target min 25" in preview_plain(preview, 100)


def test_folder_spec_is_a_data_spec() -> None:
    # Guards the fixture above: a text folder with no test split is what the loader reads.
    assert DataSpec(source="text:/tmp").scheme == "text"
