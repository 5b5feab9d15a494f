"""What to label next: rank predictions by the model's uncertainty and keep the most uncertain.

The scores come from what :class:`~seqlab.predict.predictor.Predictor` returns, so both backends
rank alike. Every measure is in ``[0, 1]``, higher meaning less sure:

- ``least_confidence``: taggers ``1 - min`` over tokens of the marginal probability (CRF
  forward-backward) of the Viterbi tag, the most doubtful token deciding; classifiers
  ``1 - p1``, one minus the probability of the best class.
- ``mean_confidence`` (taggers): ``1 - mean`` token marginal of the Viterbi tags.
- ``margin`` (classifiers): ``1 - (p1 - p2)``, the two best classes' probabilities.
- ``entropy`` (classifiers): the entropy of the class probabilities over ``log K``.
- ``auto``: ``least_confidence`` for taggers, ``margin`` for classifiers.

A text with no words scores 0 (nothing to label). Ties keep the input order.

    predictor = Predictor.open(ckpt_path="...ckpt")
    chosen = select_most_uncertain(predictor.predict_stream(texts), k=100)   # each with "uncertainty"

Torch-free: plain Python on the predictions' JSON.
"""

from __future__ import annotations

import heapq
import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from seqlab.errors import ConfigError

Prediction = Mapping[str, Any]


def _token_confidence(prediction: Prediction) -> list[float]:
    if "confidence" not in prediction:
        raise ConfigError("this measure needs a tagger's predictions (per-token 'confidence')")
    return list(prediction["confidence"])


def _class_probabilities(prediction: Prediction) -> list[float]:
    if "probabilities" not in prediction:
        raise ConfigError("this measure needs a classifier's predictions ('probabilities')")
    return sorted(prediction["probabilities"].values(), reverse=True)


def least_confidence(prediction: Prediction) -> float:
    """Taggers: 1 - the lowest token marginal of the Viterbi tags; classifiers: 1 - the best class's probability."""
    if "confidence" in prediction:
        confidence = _token_confidence(prediction)
        return 1.0 - min(confidence) if confidence else 0.0
    probabilities = _class_probabilities(prediction)
    return 1.0 - probabilities[0] if probabilities else 0.0


def mean_confidence(prediction: Prediction) -> float:
    """Taggers: 1 - the mean token marginal of the Viterbi tags."""
    confidence = _token_confidence(prediction)
    return 1.0 - sum(confidence) / len(confidence) if confidence else 0.0


def margin(prediction: Prediction) -> float:
    """Classifiers: 1 - (best class's probability - second best's)."""
    probabilities = _class_probabilities(prediction)
    if len(probabilities) < 2:
        return 0.0
    return 1.0 - (probabilities[0] - probabilities[1])


def entropy(prediction: Prediction) -> float:
    """Classifiers: entropy of the class probabilities divided by log(number of classes)."""
    probabilities = _class_probabilities(prediction)
    if len(probabilities) < 2:
        return 0.0
    return -sum(p * math.log(p) for p in probabilities if p > 0.0) / math.log(len(probabilities))


MEASURES: dict[str, Callable[[Prediction], float]] = {
    "least_confidence": least_confidence,
    "mean_confidence": mean_confidence,
    "margin": margin,
    "entropy": entropy,
}


#: The measures each kind of prediction has: a tagger's (per-token ``confidence``) and a classifier's
#: (``probabilities``).
TAGGER_MEASURES = ("least_confidence", "mean_confidence")
CLASSIFIER_MEASURES = ("least_confidence", "margin", "entropy")


def resolved_measure(name: str, prediction: Prediction) -> str:
    """``name``, or for ``auto`` the measure ``prediction``'s kind gets; one line for an unknown
    name or one that does not fit the kind of prediction."""
    if name != "auto" and name not in MEASURES:
        raise ConfigError(f"measure must be auto or one of {', '.join(MEASURES)}, got {name!r}")
    fitting: tuple[str, ...]
    if "confidence" in prediction:
        kind, fitting, default = "a tagger's", TAGGER_MEASURES, "least_confidence"
    elif "probabilities" in prediction:
        kind, fitting, default = "a classifier's", CLASSIFIER_MEASURES, "margin"
    else:
        raise ConfigError("uncertainty needs a tagger's per-token 'confidence' or a classifier's 'probabilities'")
    if name == "auto":
        return default
    if name not in fitting:
        raise ConfigError(f"measure={name} does not fit {kind} predictions: use one of {', '.join(fitting)}")
    return name


def measure_of(name: str, prediction: Prediction) -> Callable[[Prediction], float]:
    """The measure called ``name`` (``auto``: by the kind of ``prediction``)."""
    return MEASURES[resolved_measure(name, prediction)]


def uncertainty(prediction: Prediction, measure: str = "auto") -> float:
    """How unsure the model is of ``prediction`` (see the module's measures), rounded to 6 decimals."""
    return round(measure_of(measure, prediction)(prediction), 6)


def rank_by_uncertainty(predictions: Iterable[Prediction], measure: str = "auto") -> list[dict[str, Any]]:
    """Every prediction with its ``uncertainty`` added, most uncertain first (ties in input order)."""
    scored = [{**p, "uncertainty": uncertainty(p, measure)} for p in predictions]
    return sorted(scored, key=lambda p: p["uncertainty"], reverse=True)  # sorted is stable


def select_most_uncertain(predictions: Iterable[Prediction], k: int, measure: str = "auto") -> list[dict[str, Any]]:
    """The ``k`` most uncertain predictions, each with its ``uncertainty``, most uncertain first
    (ties in input order); reads ``predictions`` once, keeping only ``k`` in memory."""
    if k < 1:
        raise ConfigError(f"select must be a positive number of texts, got {k}")
    scored = ((uncertainty(p, measure), -i, p) for i, p in enumerate(predictions))
    best = heapq.nlargest(k, scored, key=lambda item: (item[0], item[1]))
    return [{**p, "uncertainty": score} for score, _, p in best]


def summarize(scores: Iterable[float]) -> dict[str, float | int]:
    """Count, min, median, mean and max of uncertainty scores (all 0 when there are none)."""
    values = list(scores)
    if not values:
        return {"count": 0, "min": 0.0, "median": 0.0, "mean": 0.0, "max": 0.0}
    return {
        "count": len(values),
        "min": round(min(values), 6),
        "median": round(statistics.median(values), 6),
        "mean": round(statistics.fmean(values), 6),
        "max": round(max(values), 6),
    }
