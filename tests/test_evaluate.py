"""evaluate_run on runs a real Trainer wrote: scores equal scikit-learn's, mistakes are the argmax
errors by confidence, examples show the data as a person wrote it, errors say what to do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_preset
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from nnbench.core.cli import main
from nnbench.core.evaluate import (
    EvaluateError,
    as_probabilities,
    decode_sequence,
    evaluate_run,
    evaluation_report,
)
from nnbench.core.training import Trainer


def _train(preset, runs_dir: Path) -> Path:
    final = Trainer(preset, runs_dir).run()
    assert final.status == "finished", final.error
    return Path(final.run_dir)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def iris_run(runs: Path) -> Path:
    return _train(tiny_preset(fit={"epochs": 2}), runs)


@pytest.fixture(scope="module")
def iris(iris_run: Path):
    return evaluate_run(iris_run)


def test_scores_equal_scikit_learn_on_the_same_predictions(iris) -> None:
    assert iris.split == "test" and iris.samples == 30 and iris.task == "multiclass"
    assert iris.class_names == ["setosa", "versicolor", "virginica"]
    expected = confusion_matrix(iris.y_true, iris.y_pred, labels=[0, 1, 2])
    assert np.array_equal(iris.confusion, expected)
    p, r, f, s = precision_recall_fscore_support(iris.y_true, iris.y_pred, labels=[0, 1, 2],
                                                 zero_division=0)
    assert [c.precision for c in iris.per_class] == pytest.approx(p)
    assert [c.recall for c in iris.per_class] == pytest.approx(r)
    assert [c.f1 for c in iris.per_class] == pytest.approx(f)
    assert [c.support for c in iris.per_class] == list(s)
    assert iris.macro.f1 == pytest.approx(float(np.mean(f)))


def test_a_class_never_predicted_scores_zero_as_scikit_learn_does() -> None:
    from nnbench.core.evaluate import class_scores
    from nnbench.core.evaluate import confusion_matrix as ours

    y_true, y_pred = np.array([0, 0, 1, 2, 2]), np.array([0, 0, 0, 0, 2])
    scores = class_scores(ours(y_true, y_pred, 3), ["a", "b", "c"])
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=[0, 1, 2], zero_division=0)
    assert [s.precision for s in scores] == pytest.approx(p)
    assert [s.f1 for s in scores] == pytest.approx(f)
    assert scores[1].precision == 0.0 and scores[1].recall == 0.0


def test_the_reloaded_split_is_the_one_the_run_was_tested_on(iris, iris_run: Path) -> None:
    from nnbench.core.data import load_data
    from nnbench.core.preset import load_preset

    preset = load_preset(iris_run / "preset.toml")
    assert np.array_equal(iris.y_true, load_data(preset.data, preset.fit).y_test)
    # The accuracy Keras measured on the test split at the end of the run, recomputed here.
    summary = json.loads((iris_run / "summary.json").read_text())
    assert iris.accuracy == pytest.approx(summary["test_metrics"]["accuracy"], abs=1e-6)


def test_mistakes_are_the_argmax_errors_most_confident_first(iris) -> None:
    probabilities = iris.probabilities
    predicted = probabilities.argmax(axis=1)
    wrong = [i for i in range(iris.samples) if predicted[i] != iris.y_true[i]]
    expected = sorted(wrong, key=lambda i: (-probabilities[i, predicted[i]], i))
    mistakes = iris.mistakes(limit=None)
    assert [m.index for m in mistakes] == expected
    assert all(m.probability == pytest.approx(probabilities[m.index].max()) for m in mistakes)
    assert [m.true_name for m in mistakes] == [iris.class_names[iris.y_true[i]] for i in expected]
    assert len(iris.mistakes(limit=2)) == min(2, len(expected))


def test_mistakes_filter_by_true_and_predicted_class(iris) -> None:
    for c, name in enumerate(iris.class_names):
        by_true = iris.mistakes(true=name, limit=None)
        assert {m.true for m in by_true} <= {c}
        assert len(by_true) == iris.confusion[c].sum() - iris.confusion[c, c]
        by_predicted = iris.mistakes(predicted=c, limit=None)
        assert len(by_predicted) == iris.confusion[:, c].sum() - iris.confusion[c, c]
    with pytest.raises(EvaluateError, match="the classes are setosa, versicolor, virginica"):
        iris.mistakes(true="daisy")


def test_tabular_examples_are_rows_with_column_names_before_scaling(iris) -> None:
    from sklearn.datasets import load_iris

    mistakes = iris.mistakes(limit=None)
    assert mistakes, "two epochs on iris leave mistakes (seed 7)"
    example = mistakes[0].example
    assert example.kind == "row"
    assert [name for name, _ in example.row] == list(load_iris().feature_names)
    values = np.array([v for _, v in example.row])
    # The preset standardizes; the example shows the measurements as in the data set.
    assert np.isclose(load_iris().data, values, atol=1e-6).all(axis=1).any()
    assert "sepal length (cm)=" in example.one_line()


def test_only_the_mistakes_samples_are_kept(iris) -> None:
    wrong = set(iris.mistake_indices().tolist())
    assert set(iris.kept) == wrong  # fewer than 64 mistakes: every one, and nothing else
    right = next(i for i in range(iris.samples) if i not in wrong)
    assert iris.example(right).kind == "none" and "not kept" in iris.example(right).text
    # No array of the split's inputs stays behind: only labels, predictions and probabilities.
    big = [name for name, value in vars(iris).items()
           if isinstance(value, np.ndarray) and value.ndim > 1 and name != "probabilities"
           and value.shape != iris.confusion.shape]
    assert big == []


def test_kept_mistakes_cover_every_filter_and_stay_bounded() -> None:
    from nnbench.core.evaluate_samples import mistakes_to_keep

    rng = np.random.default_rng(0)
    n, k, per = 5000, 12, 8
    y_true, y_pred = rng.integers(0, k, n), rng.integers(0, k, n)
    confidence = rng.random(n)
    kept = set(mistakes_to_keep(y_true, y_pred, confidence, per_filter=per, cell_budget=200))
    wrong = np.flatnonzero(y_true != y_pred)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")]
    assert set(order[:per]) <= kept
    for c in range(k):
        assert set(order[y_true[order] == c][:per]) <= kept
        assert set(order[y_pred[order] == c][:per]) <= kept
    per_cell = max(1, 200 // (k * (k - 1)))
    for a in range(k):
        for b in range(k):
            cell = order[(y_true[order] == a) & (y_pred[order] == b)]
            assert set(cell[:per_cell]) <= kept
    assert kept <= set(wrong.tolist())
    assert len(kept) <= per * (1 + 2 * k) + 200 < len(wrong)


def test_regression_gets_a_residual_summary(runs: Path) -> None:
    preset = tiny_preset(
        data={"source": "sklearn:diabetes"},
        model={"layers": [{"type": "Input", "shape": [10]}, {"type": "Dense", "units": 1}]},
        compile={"loss": "mse", "metrics": ["mae"]}, fit={"epochs": 2})
    run = _train(preset, runs)
    e = evaluate_run(run)
    assert e.task == "regression" and e.confusion is None and e.mistakes() == []
    r = e.residuals
    residual = e.y_true.reshape(-1) - e.y_pred.reshape(-1)
    assert r.mae == pytest.approx(np.abs(residual).mean())
    assert r.rmse == pytest.approx(np.sqrt((residual ** 2).mean()))
    assert r.mean == pytest.approx(residual.mean())
    assert r.quantiles[0.5] == pytest.approx(np.median(residual))
    summary = json.loads((run / "summary.json").read_text())
    assert r.mae == pytest.approx(summary["test_metrics"]["mae"], rel=1e-4)
    sizes = [abs(item.residual) for item in r.largest]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] == pytest.approx(np.abs(residual).max())
    assert r.largest[0].example.kind == "row"
    report = evaluation_report(e)
    assert "residuals (true - predicted)" in report and "largest residuals" in report


@pytest.fixture(scope="module")
def text_run(runs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reviews")
    texts = {"train": {"neg": ["awful bad film", "bad boring plot", "awful", "boring bad bad"],
                       "pos": ["great fun film", "good great", "fun fun plot", "good"]},
             "test": {"neg": ["zebra [bold]zebra[/bold]", "bad"], "pos": ["great", "good fun"]}}
    for split, classes in texts.items():
        for label, reviews in classes.items():
            folder = root / split / label
            folder.mkdir(parents=True)
            for i, review in enumerate(reviews):
                (folder / f"{i}.txt").write_text(review, encoding="utf-8")
    preset = tiny_preset(
        data={"source": f"text:{root}", "maxlen": 6, "num_words": 50, "scaling": "none",
              "test_split": None},
        model={"layers": [{"type": "Input", "shape": [6]},
                          {"type": "Embedding", "input_dim": 50, "output_dim": 4},
                          {"type": "GlobalAveragePooling1D"},
                          {"type": "Dense", "units": 1, "activation": "sigmoid"}]},
        compile={"loss": "binary_crossentropy", "metrics": ["accuracy"]},
        fit={"epochs": 2, "batch_size": 3, "validation_split": 0.25})
    return _train(preset, runs)


def test_a_text_folder_run_shows_the_reviews_it_got_wrong(text_run: Path) -> None:
    from nnbench.core.evaluate_samples import FolderSamples
    from nnbench.core.preset import load_preset

    e = evaluate_run(text_run)
    assert e.split == "test" and e.samples == 4 and e.class_names == ["neg", "pos"]
    assert e.probabilities.shape == (4, 2)  # the sigmoid column read as [1 - p, p]
    # Files come in class order: the first two are the "neg" reviews.
    assert list(e.y_true) == [0, 0, 1, 1]
    by_class = [{"zebra [bold]zebra[/bold]", "bad"}, {"great", "good fun"}]
    for m in e.mistakes(limit=None):
        assert m.example.kind == "text" and m.example.text in by_class[m.true]
    # Every index reads the file the dataset yielded there, though only mistakes are kept.
    every = FolderSamples(load_preset(text_run / "preset.toml"), "test", e.class_names,
                          4).examples(range(4))
    assert {every[0].text, every[1].text} == by_class[0]
    assert {every[2].text, every[3].text} == by_class[1]
    summary = json.loads((text_run / "summary.json").read_text())
    assert e.accuracy == pytest.approx(summary["test_metrics"]["accuracy"], abs=1e-6)


def test_a_run_without_a_model_says_why_and_what_to_do(iris_run: Path, tmp_path: Path) -> None:
    broken = tmp_path / iris_run.name
    shutil.copytree(iris_run, broken)
    (broken / "model.keras").unlink()
    with pytest.raises(EvaluateError, match="no model.keras"):
        evaluate_run(broken)
    (broken / "preset.toml").write_text("[data\nsource = ", encoding="utf-8")
    with pytest.raises(EvaluateError, match="not valid TOML"):
        evaluate_run(broken)
    with pytest.raises(EvaluateError, match="no run folder"):
        evaluate_run(tmp_path / "nowhere")


def test_a_truncated_model_file_is_an_error_not_a_traceback(iris_run: Path, tmp_path: Path) -> None:
    broken = tmp_path / iris_run.name
    shutil.copytree(iris_run, broken)
    (broken / "model.keras").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(EvaluateError, match="cannot load the model"):
        evaluate_run(broken)


def test_data_that_is_gone_is_named(runs: Path, tmp_path: Path) -> None:
    csv_path = tmp_path / "flowers.csv"
    rows = ["length,width,species"] + [f"{1 + i % 5},{2 + i % 3},{'ab'[i % 2]}" for i in range(20)]
    csv_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    preset = tiny_preset(
        data={"source": f"csv:{csv_path}", "test_split": 0.25},
        model={"layers": [{"type": "Input", "shape": [2]},
                          {"type": "Dense", "units": 2, "activation": "softmax"}]},
        fit={"epochs": 1, "validation_split": None})
    run = _train(preset, runs)
    e = evaluate_run(run)
    assert [name for name, _ in e.example(0).row] == ["length", "width"]
    assert e.class_names == ["a", "b"]
    csv_path.unlink()
    with pytest.raises(EvaluateError, match=f"cannot reload the data of run {run.name}: .*no file"):
        evaluate_run(run)


def test_validation_split_is_used_and_said_when_there_is_no_test_split() -> None:
    from nnbench.core.data import LoadedData
    from nnbench.core.evaluate import choose_split
    from nnbench.core.events import DataInfo

    info = DataInfo("csv:x", 4, 2, 0, (1,), 2, None)
    data = LoadedData(x_train=np.zeros((4, 1)), x_val=np.zeros((2, 1)), info=info, task="binary")
    notes: list[str] = []
    assert choose_split(data, None, "r", notes) == "validation"
    assert "validation split" in notes[0]
    with pytest.raises(EvaluateError, match="no test split"):
        choose_split(data, "test", "r", [])
    with pytest.raises(EvaluateError, match="neither a test nor a validation split"):
        choose_split(LoadedData(x_train=np.zeros((4, 1)), info=info, task="binary"), None, "r", [])


def test_probabilities_from_sigmoid_softmax_and_logits() -> None:
    notes: list[str] = []
    assert as_probabilities(np.array([[0.2], [0.9]]), notes) == pytest.approx(
        np.array([[0.8, 0.2], [0.1, 0.9]]))
    assert notes == []
    logits = as_probabilities(np.array([[2.0, -1.0, 0.0]]), notes)
    assert logits.sum() == pytest.approx(1.0) and logits.argmax() == 0
    assert "softmax was applied" in notes[0]


def test_word_indices_decode_with_the_keras_loader_offset() -> None:
    words = {"the": 1, "film": 2, "was": 3, "great": 4}  # imdb_word_index.json
    # Keras shifts each index by 3: 1 starts a review, 2 is a word outside num_words, 0 pads.
    # The one decoder (core/data/readable.py) the data preview uses too.
    assert decode_sequence([1, 4, 5, 6, 7, 2, 0, 0], words) == "[START] the film was great [OOV]"


def test_cli_prints_matrix_table_and_mistakes(iris_run: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["evaluate", iris_run.name[:17], "--runs-dir", str(iris_run.parent), "--limit", "3"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "confusion matrix" in out and "true \\ predicted" in out
    for name in ("setosa", "versicolor", "virginica", "macro avg", "precision"):
        assert name in out
    assert "most confident mistakes" in out
    code = main(["evaluate", iris_run.name, "--runs-dir", str(iris_run.parent), "--true", "daisy"])
    assert code == 2 and "no class 'daisy'" in capsys.readouterr().err
    assert main(["evaluate", "zzz", "--runs-dir", str(iris_run.parent)]) == 2
    assert "no run 'zzz'" in capsys.readouterr().err


def test_an_image_folder_run_shows_pixels_as_they_were_on_disk(runs: Path, tmp_path: Path) -> None:
    import tensorflow as tf

    from nnbench.core.evaluate_samples import FolderSamples
    from nnbench.core.preset import load_preset

    # The test split swaps the classes' brightness: whatever the model learned, it errs.
    for split, count in (("train", 6), ("test", 3)):
        for label, value in (("cats", 20), ("dogs", 230)):
            folder = tmp_path / "pets" / split / label
            folder.mkdir(parents=True)
            shown = 250 - value if split == "test" else value
            for i in range(count):
                pixels = np.full((8, 8, 3), shown + i, dtype=np.uint8)
                (folder / f"{i}.png").write_bytes(tf.io.encode_png(pixels).numpy())
    preset = tiny_preset(
        data={"source": f"images:{tmp_path / 'pets'}", "image_size": [8, 8], "scaling": "divide255",
              "test_split": None},
        model={"layers": [{"type": "Input", "shape": [8, 8, 3]}, {"type": "Flatten"},
                          {"type": "Dense", "units": 2, "activation": "softmax"}]},
        fit={"epochs": 1, "batch_size": 4, "validation_split": 0.25})
    run = _train(preset, runs)
    e = evaluate_run(run)
    assert e.split == "test" and e.samples == 6 and e.class_names == ["cats", "dogs"]
    assert list(e.y_true) == [0, 0, 0, 1, 1, 1]  # test files in class order, unshuffled
    mistakes = e.mistakes(limit=None)
    assert len(mistakes) >= 3  # at least one whole class is on the wrong side
    for m in mistakes:
        i = m.index % 3  # cats/i.png, dogs/i.png
        assert m.example.kind == "image" and m.example.pixels.shape == (8, 8, 3)
        assert np.allclose(m.example.pixels, (230 if m.true == 0 else 20) + i, atol=0.01)
        assert m.example.path.endswith(f"{e.class_names[m.true]}/{i}.png")
    every = FolderSamples(load_preset(run / "preset.toml"), "test", e.class_names, 6).examples([4])
    assert np.allclose(every[4].pixels, 21, atol=0.01)  # dogs/1.png, as on disk
    assert "image 8x8x3" in every[4].one_line()
