"""Predictions written as pre-annotations an annotation tool imports as they are:
``seqlab-predict ... format=labelstudio|doccano|spans``.

- ``labelstudio``: one JSON list of tasks, ``{"data": {"text"}, "predictions": [{"model_version",
  "score", "result": [...]}]}``; each result (a ``labels`` span, or the ``choices`` of a classifier)
  has its own ``score``; offsets count UTF-16 code units, as Label Studio does.
- ``doccano``: JSONL, ``{"text", "label": [[start, end, type], ...]}`` (a classifier: ``[class]``),
  with ``scores`` and ``model_version`` beside it (doccano keeps other keys as metadata).
- ``spans``: JSONL as spaCy and Prodigy read it, ``{"text", "spans": [{start, end, label, score,
  token_start, token_end}], "meta": {"model_version"}}`` (taggers only).

:mod:`seqlab.data.annotations` reads every one of them back. Torch-free, like the outputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from seqlab.errors import ConfigError

#: The pre-annotation formats, by ``format=`` name.
PRE_ANNOTATION_FORMATS = ("labelstudio", "doccano", "spans")


def utf16_offset(text: str, index: int) -> int:
    """The UTF-16 offset (JavaScript's, Label Studio's) of Python string index ``index`` of ``text``."""
    return index + sum(1 for ch in text[:index] if ord(ch) >= 0x10000)


def _spans(prediction: dict[str, Any], style: str) -> list[dict[str, Any]]:
    if "spans" not in prediction:
        raise ConfigError(f"format={style} writes entity spans or a class; this model predicts neither")
    return prediction["spans"]


@dataclass(frozen=True)
class PreAnnotationWriter:
    """Formats predictions as pre-annotations of ``style`` (one of :data:`PRE_ANNOTATION_FORMATS`).

    Args:
        style: the format.
        model_version: what the pre-annotations say made them (Label Studio shows it per prediction).
        from_name: Label Studio's control tag the results are for (``None``: ``label`` for spans,
            ``sentiment`` for a class), as in the project's labelling config.
        to_name: Label Studio's object tag holding the text (its data key is ``text``).
    """

    style: str
    model_version: str
    from_name: str | None = None
    to_name: str = "text"

    def __post_init__(self) -> None:
        if self.style not in PRE_ANNOTATION_FORMATS:
            raise ConfigError(f"format must be one of {', '.join(PRE_ANNOTATION_FORMATS)}, got {self.style!r}")

    @property
    def head(self) -> str:
        """What the output starts with (Label Studio's list opens)."""
        return "[\n" if self.style == "labelstudio" else ""

    @property
    def tail(self) -> str:
        """What the output ends with (Label Studio's list closes)."""
        return "\n]\n" if self.style == "labelstudio" else ""

    def item(self, prediction: dict[str, Any], first: bool) -> str:
        """One prediction as the text to write (``first``: the first of the output)."""
        if self.style == "labelstudio":
            return ("" if first else ",\n") + json.dumps(self.labelstudio(prediction), ensure_ascii=False)
        row = self.doccano(prediction) if self.style == "doccano" else self.span_row(prediction)
        return json.dumps(row, ensure_ascii=False) + "\n"

    def labelstudio(self, prediction: dict[str, Any]) -> dict[str, Any]:
        """A Label Studio task with one prediction: a ``labels`` result per span, or the ``choices`` of a class."""
        text = prediction["text"]
        if "label" in prediction and "spans" not in prediction:
            label = prediction["label"]
            score = round(float(prediction["probabilities"].get(label, 0.0)), 4) if label is not None else None
            results = [] if label is None else [self._result("choices", "sentiment", {"choices": [label]}, score)]
            return self._task(text, results, score)
        results = []
        for span in _spans(prediction, self.style):
            start, end = span["char_start"], span["char_end"]
            value = {
                "start": utf16_offset(text, start),
                "end": utf16_offset(text, end),
                "text": text[start:end],
                "labels": [span["type"]],
            }
            results.append(self._result("labels", "label", value, span["score"]))
        return self._task(text, results, min((r["score"] for r in results), default=None))

    def _result(self, kind: str, default_name: str, value: dict[str, Any], score: float | None) -> dict[str, Any]:
        result = {"from_name": self.from_name or default_name, "to_name": self.to_name, "type": kind, "value": value}
        return {**result, "score": score} if score is not None else result

    def _task(self, text: str, results: list[dict[str, Any]], score: float | None) -> dict[str, Any]:
        for number, result in enumerate(results):
            result["id"] = f"r{number}"
        made: dict[str, Any] = {"model_version": self.model_version}
        if score is not None:  # the least certain span (Label Studio sorts tasks by it); none without spans
            made["score"] = score
        return {"data": {"text": text}, "predictions": [{**made, "result": results}]}

    def doccano(self, prediction: dict[str, Any]) -> dict[str, Any]:
        """A doccano JSONL row: ``label`` as ``[start, end, type]`` spans (or ``[class]``), and their ``scores``."""
        if "label" in prediction and "spans" not in prediction:
            label = prediction["label"]
            score = round(float(prediction["probabilities"].get(label, 0.0)), 4) if label is not None else None
            chosen = [] if label is None else [label]
            scores = [] if score is None else [score]
            return {"text": prediction["text"], "label": chosen, "scores": scores, "model_version": self.model_version}
        spans = _spans(prediction, self.style)
        return {
            "text": prediction["text"],
            "label": [[s["char_start"], s["char_end"], s["type"]] for s in spans],
            "scores": [s["score"] for s in spans],
            "model_version": self.model_version,
        }

    def span_row(self, prediction: dict[str, Any]) -> dict[str, Any]:
        """A spaCy / Prodigy span row (Prodigy's ``token_end`` is the last word's index, inclusive)."""
        if "spans" not in prediction:
            raise ConfigError("format=spans writes entity spans: it needs a tagging model; use labelstudio or doccano")
        spans = [
            {
                "start": s["char_start"],
                "end": s["char_end"],
                "label": s["type"],
                "score": s["score"],
                "token_start": s["start"],
                "token_end": s["end"] - 1,
            }
            for s in prediction["spans"]
        ]
        return {"text": prediction["text"], "spans": spans, "meta": {"model_version": self.model_version}}
