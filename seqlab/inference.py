"""The network alone (embedder -> encoder -> head) and what its heads predict, in plain torch.

Tasks train and evaluate a network; predictors run one. Both turn head outputs into predictions
with the functions here, so a network rebuilt from a checkpoint without Lightning
(:mod:`seqlab.backends.torch_model`) predicts exactly what its task does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from seqlab.modules.embedder import TokenEmbedder
from seqlab.outputs import tag_predictions


class Head(Protocol):
    """What a task calls on its head (an ``nn.Module``); task subclasses may ask for more."""

    def loss(self, features: Tensor, targets: Tensor, mask: Tensor, /) -> Tensor:
        """The training loss of ``features (B, T, D)`` against the gold ``targets``."""
        ...

    def decode(self, features: Tensor, mask: Tensor, /) -> Tensor:
        """Predicted ids: ``(B, T)`` tags or ``(B,)`` classes."""
        ...


class TagHead(Head, Protocol):
    """A tag head (:class:`~seqlab.modules.heads.CRFTagHead`, :class:`~seqlab.modules.heads.SoftmaxTagHead`)."""

    def marginals(self, features: Tensor, mask: Tensor, /) -> Tensor:
        """Per-token tag probabilities ``(B, T, K)``."""
        ...

    def decode_nbest(self, features: Tensor, mask: Tensor, nbest: int, /) -> tuple[Tensor, Tensor]:
        """The ``nbest`` best tag sequences ``(B, n, T)`` and their probabilities ``(B, n)``."""
        ...


class ClassHead(Head, Protocol):
    """A classifier head (:class:`~seqlab.modules.heads.ClassifierHead`)."""

    def logits(self, features: Tensor, mask: Tensor, /) -> Tensor:
        """Class scores ``(B, num_labels)``."""
        ...


class Network(nn.Module):
    """Embedder -> encoder -> head, with the attribute names a task gives them (so a task's
    ``state_dict`` loads into it unchanged)."""

    def __init__(self, embedder: TokenEmbedder, encoder: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.embedder = embedder
        self.encoder = encoder
        self.head = head

    def features(self, inputs: Mapping[str, Tensor], mask: Tensor) -> Tensor:
        """Encoder output ``(B, T, encoder.output_dim)`` for the batch inputs by name."""
        return self.encoder(self.embedder(inputs), mask)


def labels_of(tag_ids: Tensor, mask: Tensor, labels: Sequence[str]) -> list[list[str]]:
    """Tag id tensor to label strings, one list per sentence (padding dropped)."""
    lengths = mask.sum(1).tolist()
    return [[labels[i] for i in row[:n]] for row, n in zip(tag_ids.tolist(), lengths)]


def tag_tensors(head: TagHead, features: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """Best tag ids ``(B, T)`` and each one's marginal probability ``(B, T)``."""
    tag_ids = head.decode(features, mask)
    confidence = head.marginals(features, mask).gather(2, tag_ids.unsqueeze(2)).squeeze(2)
    return tag_ids, confidence


def predict_tags(
    head: TagHead, features: Tensor, mask: Tensor, labels: Sequence[str], tag_scheme: str, nbest: int = 1
) -> list[dict[str, Any]]:
    """For each sentence: its tags, each tag's marginal probability, its spans ``(type, start, end)``
    and, if ``nbest > 1``, the ``nbest`` best tag sequences with their probabilities (impossible
    ones dropped)."""
    tag_ids, confidence = tag_tensors(head, features, mask)
    lengths = mask.sum(1).tolist()
    out = tag_predictions(
        labels_of(tag_ids, mask, labels), [row[:n] for row, n in zip(confidence.tolist(), lengths)], tag_scheme
    )
    if nbest > 1:
        paths, probabilities = head.decode_nbest(features, mask, nbest)
        for b, item in enumerate(out):
            item["nbest"] = [
                {"tags": labels_of(paths[b, r : r + 1], mask[b : b + 1], labels)[0], "probability": round(p, 6)}
                for r, p in enumerate(probabilities[b].tolist())
                if p > 0.0
            ]
    return out


def class_probabilities(head: ClassHead, features: Tensor, mask: Tensor) -> Tensor:
    """Class probabilities ``(B, K)`` in float32."""
    return torch.softmax(head.logits(features, mask).float(), dim=-1)
