"""Ranking predictions by uncertainty: each measure orders hand-made predictions as expected, ties
keep the input order, and selecting K keeps the K most uncertain."""

from __future__ import annotations

import math

import pytest

from seqlab.errors import ConfigError
from seqlab.predict.selection import (
    rank_by_uncertainty,
    resolved_measure,
    select_most_uncertain,
    summarize,
    uncertainty,
)


def tagged(name: str, *confidence: float) -> dict:
    return {"text": name, "tokens": [name] * len(confidence), "tags": ["O"] * len(confidence),
            "confidence": list(confidence), "spans": []}


def labelled(name: str, *probabilities: float) -> dict:
    return {"text": name, "tokens": [name], "label": "0",
            "probabilities": {str(i): p for i, p in enumerate(probabilities)}}


TAGGED = [
    tagged("sure", 0.99, 0.98, 0.99),          # least 0.02, mean ~0.013
    tagged("one-doubt", 0.99, 0.40, 0.99),     # least 0.60, mean ~0.207
    tagged("all-middling", 0.55, 0.55, 0.55),  # least 0.45, mean 0.45
    tagged("empty"),                           # nothing to label: 0
]

LABELLED = [
    labelled("sure", 0.97, 0.02, 0.01),        # least 0.03, margin 0.05, entropy low
    labelled("two-way", 0.50, 0.48, 0.02),     # least 0.50, margin 0.98, entropy middling
    labelled("three-way", 0.40, 0.30, 0.30),   # least 0.60, margin 0.90, entropy highest
]


def order(ranked: list[dict]) -> list[str]:
    return [p["text"] for p in ranked]


@pytest.mark.parametrize("measure, expected", [
    ("least_confidence", ["one-doubt", "all-middling", "sure", "empty"]),
    ("auto", ["one-doubt", "all-middling", "sure", "empty"]),
    ("mean_confidence", ["all-middling", "one-doubt", "sure", "empty"]),
])
def test_tagger_measures_order_the_texts(measure: str, expected: list[str]) -> None:
    ranked = rank_by_uncertainty(TAGGED, measure)
    assert order(ranked) == expected
    scores = [p["uncertainty"] for p in ranked]
    assert scores == sorted(scores, reverse=True) and scores[-1] == 0.0


@pytest.mark.parametrize("measure, expected", [
    ("least_confidence", ["three-way", "two-way", "sure"]),
    ("margin", ["two-way", "three-way", "sure"]),
    ("auto", ["two-way", "three-way", "sure"]),
    ("entropy", ["three-way", "two-way", "sure"]),
])
def test_classifier_measures_order_the_texts(measure: str, expected: list[str]) -> None:
    assert order(rank_by_uncertainty(LABELLED, measure)) == expected


def test_the_scores_are_the_documented_formulas() -> None:
    one_doubt, three_way = TAGGED[1], LABELLED[2]
    assert uncertainty(one_doubt, "least_confidence") == pytest.approx(0.60)
    assert uncertainty(one_doubt, "mean_confidence") == pytest.approx(1 - (0.99 + 0.40 + 0.99) / 3, abs=1e-6)
    assert uncertainty(three_way, "least_confidence") == pytest.approx(0.60)
    assert uncertainty(three_way, "margin") == pytest.approx(0.90)
    entropy = -(0.4 * math.log(0.4) + 2 * 0.3 * math.log(0.3)) / math.log(3)
    assert uncertainty(three_way, "entropy") == pytest.approx(entropy, abs=1e-6)
    assert uncertainty(labelled("even", 0.5, 0.5), "entropy") == pytest.approx(1.0)
    assert uncertainty({"text": "", "tokens": [], "label": None, "probabilities": {}}) == 0.0


def test_ties_keep_the_input_order() -> None:
    same = [tagged(name, 0.7, 0.9) for name in "abcde"]
    assert order(rank_by_uncertainty(same)) == list("abcde")
    assert order(select_most_uncertain(iter(same), 3)) == list("abc")
    mixed = [tagged("a", 0.9), tagged("b", 0.5), tagged("c", 0.9), tagged("d", 0.5)]
    assert order(select_most_uncertain(mixed, 3)) == ["b", "d", "a"]


def test_selecting_k_keeps_the_k_most_uncertain_in_descending_order() -> None:
    chosen = select_most_uncertain(iter(TAGGED), 2)
    assert order(chosen) == ["one-doubt", "all-middling"]
    assert [p["uncertainty"] for p in chosen] == [0.6, 0.45]
    assert "uncertainty" not in TAGGED[1]  # the given predictions are left as they were
    assert len(select_most_uncertain(TAGGED, 10)) == len(TAGGED)


def test_mistakes_are_one_line() -> None:
    with pytest.raises(ConfigError, match="measure must be auto or one of least_confidence"):
        rank_by_uncertainty(TAGGED, "variance")
    with pytest.raises(ConfigError, match="measure=margin does not fit a tagger's predictions: use one of "
                                          "least_confidence, mean_confidence"):
        rank_by_uncertainty(TAGGED, "margin")
    with pytest.raises(ConfigError, match="measure=mean_confidence does not fit a classifier's predictions"):
        rank_by_uncertainty(LABELLED, "mean_confidence")
    with pytest.raises(ConfigError, match="needs a tagger's per-token 'confidence' or a classifier's"):
        rank_by_uncertainty([{"text": "x", "tokens": ["x"], "tags": ["NN"]}])  # a plug-in's output
    with pytest.raises(ConfigError, match="select must be a positive number of texts, got 0"):
        select_most_uncertain(TAGGED, 0)


def test_auto_names_the_measure_by_the_kind_of_prediction() -> None:
    assert resolved_measure("auto", TAGGED[0]) == "least_confidence"
    assert resolved_measure("auto", LABELLED[0]) == "margin"
    assert resolved_measure("entropy", LABELLED[0]) == "entropy"


def test_summary() -> None:
    assert summarize([0.2, 0.9, 0.5]) == {"count": 3, "min": 0.2, "median": 0.5, "mean": pytest.approx(0.533333),
                                          "max": 0.9}
    assert summarize([]) == {"count": 0, "min": 0.0, "median": 0.0, "mean": 0.0, "max": 0.0}
