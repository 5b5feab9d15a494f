"""Model outputs to predictions: tag rows to entity spans with offsets, class probabilities to a
label. Torch-free, so the torch and ONNX predictors describe their outputs with the same code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import seqeval.scheme

SEQEVAL_SCHEMES = {
    "IOB1": seqeval.scheme.IOB1,
    "IOB2": seqeval.scheme.IOB2,
    "IOBES": seqeval.scheme.IOBES,
    "BILOU": seqeval.scheme.BILOU,
}


def seqeval_scheme(name: str) -> type[seqeval.scheme.Token]:
    """The seqeval scheme class for a scheme name."""
    try:
        return SEQEVAL_SCHEMES[name]
    except KeyError:
        raise ValueError(f"no seqeval scheme for {name!r}; expected one of {', '.join(SEQEVAL_SCHEMES)}") from None


def strict_spans(sequences: Sequence[Sequence[str]], scheme: str) -> list[set[tuple[str, int, int]]]:
    """Per sentence, the set of ``(type, start, end)`` spans seqeval's strict mode accepts.

    Sentences tagged all ``O`` hold no span and skip seqeval, whose per-token checks are the
    slowest part of turning predictions into spans.
    """
    spans: list[set[tuple[str, int, int]]] = [set() for _ in sequences]
    tagged = [i for i, sentence in enumerate(sequences) if any(tag != "O" for tag in sentence)]
    if tagged:
        entities = seqeval.scheme.Entities([list(sequences[i]) for i in tagged], seqeval_scheme(scheme), suffix=False)
        for i, sentence in zip(tagged, entities.entities):
            spans[i] = {(e.tag, e.start, e.end) for e in sentence}
    return spans


def tag_predictions(
    tags: Sequence[list[str]], confidence: Sequence[list[float]], tag_scheme: str
) -> list[dict[str, Any]]:
    """Per sentence: its tags, each tag's probability and its spans ``(type, start, end)`` in order."""
    spans = strict_spans(tags, tag_scheme)  # one seqeval pass for the whole batch
    return [
        {"tags": t, "confidence": c, "spans": sorted(s, key=lambda span: span[1])}
        for t, c, s in zip(tags, confidence, spans)
    ]


def describe_tags(
    prediction: dict[str, Any], words: list[str], offsets: list[tuple[int, int]], text: str
) -> dict[str, Any]:
    """Tokens, tags and entity spans of one text; a span's ``score`` is the mean probability of its
    tags, and its offsets are given in tokens and in characters."""
    tags, confidence = prediction["tags"], prediction["confidence"]
    spans = []
    for entity_type, start, end in prediction["spans"]:
        char_start, char_end = offsets[start][0], offsets[end - 1][1]
        spans.append(
            {
                "type": entity_type,
                "start": start,
                "end": end,
                "char_start": char_start,
                "char_end": char_end,
                "text": text[char_start:char_end],
                "score": round(sum(confidence[start:end]) / (end - start), 4),
            }
        )
    described = {"tokens": words, "tags": tags, "spans": spans}
    if "nbest" in prediction:
        described["nbest"] = prediction["nbest"]
    return described


def describe_label(probabilities: Sequence[float], labels: Sequence[str], words: list[str]) -> dict[str, Any]:
    """Tokens, the best label and every class probability of one text."""
    best = max(range(len(probabilities)), key=probabilities.__getitem__)
    return {"tokens": words, "label": labels[best], "probabilities": dict(zip(labels, probabilities))}


def empty_tags(text: str) -> dict[str, Any]:
    """The prediction for a text with no words, tagging."""
    return {"text": text, "tokens": [], "tags": [], "spans": []}


def empty_label(text: str) -> dict[str, Any]:
    """The prediction for a text with no words, classification."""
    return {"text": text, "tokens": [], "label": None, "probabilities": {}}


def describe(
    kind: str, prediction: Any, labels: Sequence[str], words: list[str], offsets: list[tuple[int, int]], text: str
) -> dict[str, Any]:
    """One prediction of a ``kind`` (``"tags"`` or ``"label"``) model as a JSON-ready dict."""
    if kind == "label":
        return describe_label(prediction, labels, words)
    return describe_tags(prediction, words, offsets, text)


def empty_prediction(kind: str, text: str) -> dict[str, Any]:
    """The prediction of a ``kind`` model for a text with no words."""
    return empty_label(text) if kind == "label" else empty_tags(text)
