"""What a model predicts, one object per kind of prediction: :class:`TagOutput` (tags and entity
spans), :class:`LabelOutput` (a class per text), and those plug-ins register.

An output names the tensors a network's prediction is made of (:attr:`Output.graph_outputs`, also
the outputs of an exported graph), computes them from the network's head (:meth:`Output.tensors`),
turns them into predictions (:meth:`Output.decode`), describes one prediction as JSON
(:meth:`Output.describe`) and gives the prediction of a text with no words (:meth:`Output.empty`).
The torch and the ONNX backends run the same output, so they give the same JSON. A checkpoint and
a model folder name their output by its registry name (:func:`output_class`).

An exported graph may stop short of :attr:`Output.graph_outputs`: it returns
:meth:`Output.export_tensors` (by default the graph outputs themselves), and the ONNX backend
finishes them in NumPy (:meth:`Output.finish`) with the constants the export saved
(:meth:`Output.export_constants`). :class:`TagOutput` does so for a CRF head: the graph returns the
emissions and the CRF's Viterbi and marginals run batched in NumPy (:mod:`seqlab.predict.crf_numpy`).

Torch-free: :meth:`Output.tensors` only calls the head's methods and the tensors' own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from typing import Any, ClassVar

import numpy as np

from seqlab.errors import SeqlabError
from seqlab.predict.crf_numpy import CrfScores, marginals, viterbi
from seqlab.spans import SpanDecoder


def describe_tags(
    prediction: dict[str, Any], words: list[str], offsets: list[tuple[int, int]], text: str
) -> dict[str, Any]:
    """Tokens, tags, each tag's marginal probability (``confidence``) and entity spans of one text;
    a span's ``score`` is the mean probability of its tags, and its offsets are given in tokens and
    in characters."""
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
    described = {"tokens": words, "tags": tags, "confidence": [round(p, 4) for p in confidence], "spans": spans}
    if "nbest" in prediction:
        described["nbest"] = prediction["nbest"]
    return described


def describe_label(probabilities: Sequence[float], labels: Sequence[str], words: list[str]) -> dict[str, Any]:
    """Tokens, the best label and every class probability of one text."""
    best = max(range(len(probabilities)), key=probabilities.__getitem__)
    return {"tokens": words, "label": labels[best], "probabilities": dict(zip(labels, probabilities))}


def empty_tags(text: str) -> dict[str, Any]:
    """The prediction for a text with no words, tagging."""
    return {"text": text, "tokens": [], "tags": [], "confidence": [], "spans": []}


def empty_label(text: str) -> dict[str, Any]:
    """The prediction for a text with no words, classification."""
    return {"text": text, "tokens": [], "label": None, "probabilities": {}}


class UnknownOutputError(SeqlabError, ValueError):
    """An output name that neither seqlab nor an installed plug-in registers."""


class Output:
    """What a model predicts, for one label set; subclasses set :attr:`name` and :attr:`graph_outputs`.

    Args:
        labels: the label vocabulary (index = label id).
        tag_scheme: span scheme of ``labels`` (taggers), or ``None``.
    """

    #: The registry name a checkpoint or model folder records (see :func:`output_class`).
    name: ClassVar[str] = ""
    #: The tensors a prediction is made of, in this order (the exported graph's outputs).
    graph_outputs: ClassVar[tuple[str, ...]] = ()
    #: Whether those tensors have a words axis after the batch axis (``(B, T)``), or only ``(B, ...)``.
    per_word: ClassVar[bool] = False
    #: Whether :meth:`tensors` can add the ``nbest`` best predictions (torch backend only).
    has_nbest: ClassVar[bool] = False

    def __init__(self, labels: Sequence[str], tag_scheme: str | None = None) -> None:
        self.labels = list(labels)
        self.tag_scheme = tag_scheme

    def tensors(self, head: Any, features: Any, mask: Any, nbest: int = 1) -> dict[str, Any]:
        """:attr:`graph_outputs` (and any n-best extras) as tensors, from the head of a network."""
        raise NotImplementedError

    def decode(self, outputs: Mapping[str, Any], lengths: Sequence[int]) -> list[Any]:
        """One prediction per text from the outputs as nested lists (``tensor.tolist()``)."""
        raise NotImplementedError

    def export_tensors(self, head: Any, features: Any, mask: Any) -> dict[str, Any]:
        """What an exported graph returns, by name; by default :attr:`graph_outputs` themselves."""
        found = self.tensors(head, features, mask)
        return {name: found[name] for name in self.graph_outputs}

    def export_constants(self, head: Any) -> dict[str, Any] | None:
        """JSON-ready values :meth:`finish` needs beside the graph's outputs (the model folder keeps
        them), or ``None`` when it needs none."""
        return None

    def load_constants(self, constants: Mapping[str, Any]) -> Any:
        """:meth:`export_constants` as read back from a model folder, checked and ready for
        :meth:`finish` (a bad value is a ``ValueError``)."""
        return constants

    def finish(self, outputs: dict[str, np.ndarray], lengths: np.ndarray, constants: Any) -> dict[str, np.ndarray]:
        """:attr:`graph_outputs` from an exported graph's outputs and each text's length (NumPy only;
        ``constants`` from :meth:`load_constants`); by default the outputs are already those."""
        return outputs

    def describe(self, prediction: Any, words: list[str], offsets: list[tuple[int, int]], text: str) -> dict[str, Any]:
        """One prediction as a JSON-ready dict, given the text's words and character offsets."""
        raise NotImplementedError

    def empty(self, text: str) -> dict[str, Any]:
        """The prediction of a text with no words."""
        raise NotImplementedError


class TagOutput(Output):
    """A tag per word, each tag's probability, and the entity spans (``tags``, ``confidence``)."""

    name = "tags"
    graph_outputs = ("tags", "confidence")
    per_word = True
    has_nbest = True

    def __init__(self, labels: Sequence[str], tag_scheme: str | None = None) -> None:
        if tag_scheme is None:
            raise ValueError("a tagging model needs a tag_scheme (IOB1/IOB2/IOBES/BILOU)")
        super().__init__(labels, tag_scheme)
        self.scheme = tag_scheme
        self.spans = SpanDecoder(self.labels, tag_scheme)

    def tensors(self, head: Any, features: Any, mask: Any, nbest: int = 1) -> dict[str, Any]:
        """Best tag ids ``tags (B, T)`` (0 on padding), each one's marginal probability
        ``confidence (B, T)`` and, with ``nbest > 1``, the best paths ``(B, n, T)`` and their
        probabilities ``(B, n)``."""
        crf = getattr(head, "crf", None)
        if crf is not None:  # project once for both
            emissions = head.emissions(features)
            tags, probabilities = crf.decode(emissions, mask), crf.marginals(emissions, mask)
        else:
            tags, probabilities = head.decode(features, mask), head.marginals(features, mask)
        found = {"tags": tags, "confidence": probabilities.gather(2, tags.unsqueeze(2)).squeeze(2)}
        if nbest > 1:
            found["nbest_tags"], found["nbest_probabilities"] = head.decode_nbest(features, mask, nbest)
        return found

    def export_tensors(self, head: Any, features: Any, mask: Any) -> dict[str, Any]:
        """A CRF head's emissions ``(B, T, K)`` (decoded in NumPy by :meth:`finish`); other heads'
        tags and confidence."""
        if getattr(head, "crf", None) is None:
            return super().export_tensors(head, features, mask)
        return {"emissions": head.emissions(features).float()}

    def export_constants(self, head: Any) -> dict[str, Any] | None:
        """A CRF head's constrained transition, start and end scores."""
        crf = getattr(head, "crf", None)
        if crf is None:
            return None
        transitions, start, end = crf.scores()
        return {"crf": {"transitions": transitions.tolist(), "start": start.tolist(), "end": end.tolist()}}

    def load_constants(self, constants: Mapping[str, Any]) -> CrfScores | None:
        return CrfScores.from_lists(constants["crf"], len(self.labels)) if "crf" in constants else None

    def finish(
        self, outputs: dict[str, np.ndarray], lengths: np.ndarray, constants: CrfScores | None
    ) -> dict[str, np.ndarray]:
        """Emissions to Viterbi ``tags`` and their marginal probabilities ``confidence`` (as the torch CRF)."""
        if "emissions" not in outputs:
            return outputs
        if constants is None:
            raise ValueError("the graph returns CRF emissions but the model folder has no CRF scores")
        emissions = outputs["emissions"]
        tags = viterbi(emissions, lengths, constants)
        probabilities = marginals(emissions, lengths, constants)
        return {"tags": tags, "confidence": np.take_along_axis(probabilities, tags[:, :, None], 2)[:, :, 0]}

    def decode(self, outputs: Mapping[str, Any], lengths: Sequence[int]) -> list[dict[str, Any]]:
        """Per text: its tags, each tag's probability, its spans ``(type, start, end)`` and, with
        n-best outputs, the best tag sequences with their probabilities (impossible ones dropped)."""
        labels = self.labels
        ids = [row[:n] for row, n in zip(outputs["tags"], lengths)]
        predictions = [
            {"tags": [labels[i] for i in row], "confidence": confidence[:n], "spans": self.spans.spans(row)}
            for row, confidence, n in zip(ids, outputs["confidence"], lengths)
        ]
        if "nbest_tags" in outputs:
            for item, paths, probabilities, n in zip(
                predictions, outputs["nbest_tags"], outputs["nbest_probabilities"], lengths
            ):
                item["nbest"] = [
                    {"tags": [labels[i] for i in path[:n]], "probability": round(p, 6)}
                    for path, p in zip(paths, probabilities)
                    if p > 0.0
                ]
        return predictions

    def describe(
        self, prediction: dict[str, Any], words: list[str], offsets: list[tuple[int, int]], text: str
    ) -> dict[str, Any]:
        return describe_tags(prediction, words, offsets, text)

    def empty(self, text: str) -> dict[str, Any]:
        return empty_tags(text)


class LabelOutput(Output):
    """A class per text, with every class's probability (``probabilities (B, K)``)."""

    name = "label"
    graph_outputs = ("probabilities",)

    def tensors(self, head: Any, features: Any, mask: Any, nbest: int = 1) -> dict[str, Any]:
        return {"probabilities": head.logits(features, mask).float().softmax(-1)}

    def decode(self, outputs: Mapping[str, Any], lengths: Sequence[int]) -> list[list[float]]:
        return list(outputs["probabilities"])

    def describe(
        self, probabilities: list[float], words: list[str], offsets: list[tuple[int, int]], text: str
    ) -> dict[str, Any]:
        return describe_label(probabilities, self.labels, words)

    def empty(self, text: str) -> dict[str, Any]:
        return empty_label(text)


#: seqlab's own outputs by registry name; plug-ins register theirs in the ``seqlab.predict.outputs``
#: entry-point group (``pos = "seqlab_pos.output:PosOutput"``).
OUTPUTS: dict[str, type[Output]] = {TagOutput.name: TagOutput, LabelOutput.name: LabelOutput}
OUTPUTS_GROUP = "seqlab.outputs"


def output_class(name: str) -> type[Output]:
    """The output registered as ``name``: seqlab's own or an installed plug-in's (imported only then)."""
    if name in OUTPUTS:
        return OUTPUTS[name]
    registered = {ep.name: ep for ep in entry_points(group=OUTPUTS_GROUP)}
    if name not in registered:
        known = ", ".join(sorted({*OUTPUTS, *registered}))
        raise UnknownOutputError(
            f"no output {name!r} is registered (known: {known}); install the plug-in whose task made this model"
        )
    found = registered[name].load()
    if not (isinstance(found, type) and issubclass(found, Output)):
        raise UnknownOutputError(f"output {name!r} ({registered[name].value}) is not a seqlab Output class")
    return found
