"""SpanF1 against seqeval (strict mode), and the span report files."""
import json
import math
import random
import warnings

import pytest
import torch
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

from seqlab.data.tag_schemes import from_spans, labels_for_types, to_spans
from seqlab.metrics.reports import span_report, write_span_report
from seqlab.metrics.span_f1 import absent_types, SEQEVAL_SCHEMES, SpanF1, seqeval_scheme, strict_spans

TYPES = ["LOC", "ORG", "PER"]


def random_tags(rng: random.Random, labels: list[str], length: int) -> list[str]:
    """Uniformly random labels: mostly invalid sequences."""
    return [rng.choice(labels) for _ in range(length)]


def valid_tags(rng: random.Random, length: int, scheme: str) -> list[str]:
    """A valid sequence written by from_spans from random spans."""
    spans, position = [], 0
    while position < length:
        if rng.random() < 0.4:
            position += 1
            continue
        size = rng.randint(1, min(3, length - position))
        spans.append((rng.choice(TYPES), position, position + size))
        position += size
    return from_spans(spans, length, scheme)


def random_corpus(seed: int, scheme: str, sentences: int = 40):
    """Gold and predicted tags: a mix of valid and random (invalid) sequences, some predictions = gold."""
    rng = random.Random(seed)
    labels = labels_for_types(TYPES, scheme)
    gold, predicted = [], []
    for _ in range(sentences):
        length = rng.randint(0, 10)  # empty sentences included
        g = valid_tags(rng, length, scheme) if rng.random() < 0.5 else random_tags(rng, labels, length)
        roll = rng.random()
        if roll < 0.2:
            p = list(g)
        elif roll < 0.5:
            p = valid_tags(rng, length, scheme)
        elif roll < 0.7:  # gold with a few tokens changed
            p = [rng.choice(labels) if rng.random() < 0.2 else t for t in g]
        else:
            p = random_tags(rng, labels, length)
        gold.append(g)
        predicted.append(p)
    return gold, predicted


def seqeval_scores(gold, predicted, scheme):
    kwargs = dict(mode="strict", scheme=seqeval_scheme(scheme))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return (
            precision_score(gold, predicted, **kwargs),
            recall_score(gold, predicted, **kwargs),
            f1_score(gold, predicted, **kwargs),
            classification_report(gold, predicted, output_dict=True, **kwargs),
        )


def updated_metric(gold, predicted, scheme, chunks: int = 4) -> SpanF1:
    """A SpanF1 fed the corpus in several update calls."""
    metric = SpanF1(TYPES, scheme)
    step = max(1, math.ceil(len(gold) / chunks))
    for i in range(0, len(gold), step):
        metric.update(predicted[i : i + step], gold[i : i + step])
    return metric


@pytest.mark.parametrize("scheme", ["IOB2", "IOBES", "IOB1", "BILOU"])
@pytest.mark.parametrize("seed", range(6))
def test_span_f1_equals_seqeval(scheme, seed):
    """Micro P/R/F1 and per-type F1 equal seqeval strict mode on random (partly invalid) tags."""
    gold, predicted = random_corpus(seed, scheme)
    precision, recall, f1, report = seqeval_scores(gold, predicted, scheme)
    result = updated_metric(gold, predicted, scheme, chunks=1 + seed % 5).compute()
    assert float(result["precision"]) == pytest.approx(precision, abs=1e-9)
    assert float(result["recall"]) == pytest.approx(recall, abs=1e-9)
    assert float(result["f1"]) == pytest.approx(f1, abs=1e-9)
    for entity_type in TYPES:
        expected = report[entity_type]["f1-score"] if entity_type in report else 0.0
        assert float(result[f"f1_{entity_type}"]) == pytest.approx(expected, abs=1e-9), entity_type


def test_random_corpus_has_invalid_sequences():
    """The random data really contains sequences that are invalid in the scheme."""
    for scheme in ("IOB2", "IOBES"):
        gold, predicted = random_corpus(0, scheme)
        invalid = 0
        for tags in gold + predicted:
            try:
                to_spans(tags, scheme)
            except ValueError:
                invalid += 1
        assert invalid >= 10


def test_update_split_does_not_matter():
    """One update call or many give the same counts."""
    gold, predicted = random_corpus(11, "IOBES")
    once = updated_metric(gold, predicted, "IOBES", chunks=1)
    many = updated_metric(gold, predicted, "IOBES", chunks=len(gold))
    for name in ("correct", "predicted", "gold"):
        assert torch.equal(getattr(once, name), getattr(many, name))


def test_perfect_predictions():
    """Predictions equal to gold give P = R = F1 = 1."""
    gold, _ = random_corpus(3, "IOB2")
    result = updated_metric(gold, gold, "IOB2").compute()
    assert float(result["f1"]) == 1.0
    assert float(result["precision"]) == 1.0
    assert float(result["recall"]) == 1.0


def test_zero_predictions_give_zero_not_nan():
    """No predicted spans: precision/recall/F1 are 0, never NaN; as seqeval (zero_division=0)."""
    gold = [["B-PER", "I-PER", "O"], ["B-LOC"]]
    predicted = [["O", "O", "O"], ["O"]]
    result = updated_metric(gold, predicted, "IOB2").compute()
    for key, value in result.items():
        assert not torch.isnan(value).any(), key
        assert float(value) == 0.0, key
    precision, recall, f1, _ = seqeval_scores(gold, predicted, "IOB2")
    assert (precision, recall, f1) == (0.0, 0.0, 0.0)


def test_no_spans_at_all_and_no_updates():
    """No spans anywhere (or no update at all) gives zeros, not NaN."""
    metric = SpanF1(TYPES, "IOBES")
    metric.update([["O", "O"]], [["O", "O"]])
    for value in metric.compute().values():
        assert float(value) == 0.0
    fresh = SpanF1(TYPES, "IOBES")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchmetrics warns about compute before update
        for value in fresh.compute().values():
            assert float(value) == 0.0


def test_counts_known_example():
    """Hand-checked counts: one correct span, one wrong boundary, one missed."""
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    predicted = [["B-PER", "I-PER", "O", "O"], ["B-ORG", "I-ORG"]]
    metric = updated_metric(gold, predicted, "IOB2", chunks=2)
    assert metric.correct.tolist() == [0, 0, 1]  # LOC ORG PER
    assert metric.predicted.tolist() == [0, 1, 1]
    assert metric.gold.tolist() == [1, 1, 1]
    result = metric.compute()
    assert float(result["precision"]) == pytest.approx(0.5)
    assert float(result["recall"]) == pytest.approx(1 / 3)
    assert float(result["f1"]) == pytest.approx(0.4)
    assert float(result["f1_PER"]) == 1.0
    assert float(result["f1_ORG"]) == 0.0


def test_a_type_absent_from_the_gold_spans_is_named():
    """Every type keeps its key (ranks log alike); absent_types names those a split does not hold."""
    metric = SpanF1(["LOC", "PER"], "IOB2")
    metric.update([["B-PER", "B-LOC"]], [["B-PER", "O"]])  # LOC predicted, never gold
    result = metric.compute()
    assert {"f1_LOC", "f1_PER"} <= set(result) and float(result["f1_PER"]) == 1.0
    assert absent_types(["LOC", "PER"], [["B-PER", "O"]]) == ["LOC"]


def test_types_outside_entity_types_are_ignored():
    """Spans of types not given to SpanF1 are not counted."""
    metric = SpanF1(["PER"], "IOB2")
    metric.update([["B-PER", "B-MISC"]], [["B-PER", "O"]])
    result = metric.compute()
    assert float(result["precision"]) == 1.0
    assert set(result) == {"precision", "recall", "f1", "f1_PER"}


def test_update_length_mismatch_raises():
    """Different numbers of predicted and gold sentences is an error."""
    metric = SpanF1(TYPES, "IOB2")
    with pytest.raises(ValueError, match="2 predicted sequences but 1 gold"):
        metric.update([["O"], ["O"]], [["O"]])


def test_unknown_scheme_raises():
    """A scheme without a seqeval class is rejected with the valid names."""
    with pytest.raises(ValueError, match="IOB1, IOB2, IOBES, BILOU"):
        SpanF1(TYPES, "XYZ")
    assert set(SEQEVAL_SCHEMES) == {"IOB1", "IOB2", "IOBES", "BILOU"}


def test_strict_spans_match_to_spans_on_valid_tags():
    """On valid sequences seqeval's strict spans equal our to_spans (end exclusive)."""
    for scheme in ("IOB2", "IOBES", "BILOU"):
        rng = random.Random(5)
        sequences = [valid_tags(rng, rng.randint(1, 10), scheme) for _ in range(50)]
        for spans, tags in zip(strict_spans(sequences, scheme), sequences):
            assert spans == set(to_spans(tags, scheme)), tags


# ---------------------------------------------------------------------------- reports

TOKENS = [["John", "Smith", "visited", "Paris"], ["IBM", "rose"]]
GOLD = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
PRED = [["B-PER", "I-PER", "O", "O"], ["B-ORG", "I-ORG"]]


def test_span_report_dict():
    """span_report: per-type precision/recall/f1-score/support as floats, and averages."""
    text, table = span_report(GOLD, PRED, "IOB2")
    assert table["PER"] == {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 1.0}
    assert table["LOC"] == {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 1.0}
    assert table["ORG"] == {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 1.0}
    assert table["micro avg"]["precision"] == pytest.approx(0.5)
    assert table["micro avg"]["recall"] == pytest.approx(1 / 3)
    assert table["micro avg"]["f1-score"] == pytest.approx(0.4)
    assert table["micro avg"]["support"] == 3.0
    assert all(type(v) is float for row in table.values() for v in row.values())
    for name in ("PER", "LOC", "ORG", "micro avg"):
        assert name in text
    assert "1.0000" in text  # digits=4


def test_write_span_report_files(tmp_path):
    """write_span_report writes txt, json, two PNG charts and a token/gold/predicted CoNLL file."""
    out = tmp_path / "run" / "eval"
    text, table = write_span_report(out, "test", TOKENS, GOLD, PRED, "IOB2")
    assert sorted(p.name for p in out.iterdir()) == [
        "test_confusion.png",
        "test_f1.png",
        "test_predictions.conll",
        "test_report.json",
        "test_report.txt",
    ]
    assert all((out / name).read_bytes()[:4] == b"\x89PNG" for name in ("test_confusion.png", "test_f1.png"))

    txt = (out / "test_report.txt").read_text()
    assert txt == text
    assert txt.startswith("test: seqeval strict, scheme IOB2, 2 sentences\n\n")
    assert span_report(GOLD, PRED, "IOB2")[0] in txt
    assert "confusion matrix (rows: gold, columns: predicted)" in txt

    report = json.loads((out / "test_report.json").read_text())
    assert report["scheme"] == "IOB2"
    assert report["mode"] == "strict"
    for entity_type in ("PER", "LOC", "ORG"):
        assert set(report[entity_type]) == {"precision", "recall", "f1-score", "support"}
        assert report[entity_type] == table[entity_type]
    assert report["PER"]["f1-score"] == 1.0
    assert report["LOC"]["support"] == 1

    assert (out / "test_predictions.conll").read_text() == (
        "John B-PER B-PER\n"
        "Smith I-PER I-PER\n"
        "visited O O\n"
        "Paris B-LOC O\n"
        "\n"
        "IBM B-ORG B-ORG\n"
        "rose O I-ORG\n"
        "\n"
    )


def test_report_matches_span_f1():
    """The JSON report's per-type and micro F1 agree with SpanF1 on the same tags."""
    gold, predicted = random_corpus(7, "IOBES")
    _, table = span_report(gold, predicted, "IOBES")
    result = updated_metric(gold, predicted, "IOBES").compute()
    assert float(result["f1"]) == pytest.approx(table["micro avg"]["f1-score"], abs=1e-9)
    for entity_type in TYPES:
        expected = table[entity_type]["f1-score"] if entity_type in table else 0.0
        assert float(result[f"f1_{entity_type}"]) == pytest.approx(expected, abs=1e-9)


def test_predictions_file_refuses_mismatched_lengths(tmp_path):
    """A sentence whose tokens and tags differ in length is an error, not a truncated row."""
    with pytest.raises(ValueError, match="sentence 1: 2 tokens, 2 gold, 1 predicted"):
        write_span_report(tmp_path, "test", [["a", "b"]], [["O", "O"]], [["O"]], "IOB2")
