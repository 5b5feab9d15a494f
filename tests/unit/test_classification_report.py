"""write_classification_report: text, JSON, confusion-matrix PNG and predictions TSV."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from seqlab.metrics.reports import write_classification_report

LABELS = ["neg", "neu", "pos"]
TEXTS = ["awful film", "fine", "great fun", "so boring", "loved it", "meh ok", "not bad"]
GOLD = ["neg", "neu", "pos", "neg", "pos", "neu", "pos"]
PREDICTED = ["neg", "pos", "pos", "neu", "pos", "neu", "neg"]


def hand_confusion(gold, predicted, labels):
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted):
        matrix[labels.index(g)][labels.index(p)] += 1
    return matrix


@pytest.fixture
def report(tmp_path: Path):
    out = tmp_path / "reports"
    text, table = write_classification_report(out, "test", TEXTS, GOLD, PREDICTED, LABELS)
    return out, text, table


def test_writes_all_five_files(report):
    out, _, _ = report
    assert sorted(p.name for p in out.iterdir()) == [
        "test_confusion.png", "test_f1.png", "test_predictions.tsv", "test_report.json", "test_report.txt",
    ]
    assert (out / "test_f1.png").read_bytes()[:4] == b"\x89PNG"


def test_text_report(report):
    out, text, _ = report
    written = (out / "test_report.txt").read_text()
    assert written == text
    assert written.startswith("test: 7 examples")
    lines = written.splitlines()
    for label in LABELS:
        assert any(line.split()[:1] == [label] and len(line.split()) == 5 for line in lines), label  # per-class row
    accuracy = next(line for line in lines if line.split()[:1] == ["accuracy"])
    assert accuracy.split() == ["accuracy", f"{4 / 7:.4f}", "7"]
    assert "macro avg" in written and "weighted avg" in written
    assert "confusion matrix (rows: gold, columns: predicted)" in written
    matrix_rows = lines[lines.index("confusion matrix (rows: gold, columns: predicted)") + 1:]
    assert matrix_rows[0].split() == LABELS
    expected = hand_confusion(GOLD, PREDICTED, LABELS)
    assert [row.split() for row in matrix_rows[1:4]] == [[label, *map(str, counts)] for label, counts in zip(LABELS, expected)]


def test_json_report(report):
    out, _, table = report
    data = json.loads((out / "test_report.json").read_text())
    assert data["labels"] == LABELS
    assert data["confusion_matrix"] == hand_confusion(GOLD, PREDICTED, LABELS) == [[1, 1, 0], [0, 1, 1], [1, 0, 2]]
    assert data["accuracy"] == pytest.approx(4 / 7)
    for label in LABELS:
        row = data[label]
        assert set(row) == {"precision", "recall", "f1-score", "support"}
        gold_n = GOLD.count(label)
        predicted_n = PREDICTED.count(label)
        correct = sum(g == p == label for g, p in zip(GOLD, PREDICTED))
        assert row["support"] == gold_n
        assert row["precision"] == pytest.approx(correct / predicted_n)
        assert row["recall"] == pytest.approx(correct / gold_n)
        p, r = row["precision"], row["recall"]
        assert row["f1-score"] == pytest.approx(2 * p * r / (p + r) if p + r else 0.0)
    assert data["macro avg"]["f1-score"] == pytest.approx(sum(data[label]["f1-score"] for label in LABELS) / 3)
    assert data["macro avg"]["support"] == 7
    assert table["accuracy"] == pytest.approx(data["accuracy"])


def test_png_is_an_image(report):
    out, _, _ = report
    data = (out / "test_confusion.png").read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000


def test_predictions_tsv(report):
    out, _, _ = report
    lines = (out / "test_predictions.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "text\tgold\tpredicted"
    assert [line.split("\t") for line in lines[1:]] == [list(row) for row in zip(TEXTS, GOLD, PREDICTED)]


def test_label_absent_from_the_data_still_gets_a_row(tmp_path):
    """A training label missing from the test set: zero row and column, accuracy still reported."""
    _, table = write_classification_report(tmp_path, "dev", ["a", "b"], ["neg", "pos"], ["neg", "neg"], LABELS)
    data = json.loads((tmp_path / "dev_report.json").read_text())
    assert data["confusion_matrix"] == [[1, 0, 0], [0, 0, 0], [1, 0, 0]]
    assert data["neu"]["support"] == 0 and data["neu"]["f1-score"] == 0.0
    assert data["accuracy"] == pytest.approx(0.5) and table["accuracy"] == pytest.approx(0.5)
    assert (tmp_path / "dev_confusion.png").read_bytes().startswith(b"\x89PNG")


def test_creates_the_output_folder(tmp_path):
    out = tmp_path / "a" / "b"
    write_classification_report(out, "x", ["t"], ["pos"], ["pos"], ["neg", "pos"])
    assert (out / "x_report.json").is_file() and (out / "x_confusion.png").is_file()


@pytest.mark.parametrize(
    "texts, gold, predicted",
    [
        (TEXTS, GOLD, PREDICTED[:-1]),
        (TEXTS, GOLD[:-1], PREDICTED),
        (TEXTS[:-1], GOLD, PREDICTED),
    ],
)
def test_mismatched_lengths_raise(tmp_path, texts, gold, predicted):
    with pytest.raises(ValueError, match="different numbers"):
        write_classification_report(tmp_path / "out", "test", texts, gold, predicted, LABELS)
    assert not (tmp_path / "out").exists()  # nothing written


def test_predictions_tsv_survives_tabs_and_newlines_in_text(tmp_path):
    texts = ["tab\tinside", "two\nlines", "plain"]
    write_classification_report(tmp_path, "test", texts, ["pos", "neg", "pos"], ["pos", "pos", "neg"], ["neg", "pos"])
    with (tmp_path / "test_predictions.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    assert rows[0] == ["text", "gold", "predicted"]
    assert len(rows) == 4 and all(len(row) == 3 for row in rows)
    assert [row[1:] for row in rows[1:]] == [["pos", "pos"], ["neg", "pos"], ["pos", "neg"]]
