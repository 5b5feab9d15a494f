"""Tag heads: map encoder features to a loss and to decoded tag ids."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.constraints import PROBABILITY
from seqlab.modules.crf import CRF
from seqlab.modules.dropout import Dropout


class CRFTagHead(nn.Module):
    """Linear projection to tag scores followed by a CRF constrained to the tag scheme.

    Args:
        input_dim: feature size (the encoder's ``output_dim``).
        num_labels: number of tags.
        allowed_transitions: ``(from, to)`` pairs the CRF may use (see
            :func:`seqlab.data.tag_schemes.allowed_transitions`); ``None`` allows all.
        loss_reduction: ``"sum"`` over the batch (the classic recipe, SGD lr 0.015) or ``"mean"``.
    """

    def __init__(
        self,
        input_dim: int,
        num_labels: int,
        allowed_transitions: Iterable[tuple[int, int]] | None = None,
        loss_reduction: str = "sum",
    ) -> None:
        super().__init__()
        self.projection = nn.Linear(input_dim, num_labels)
        self.crf = CRF(num_labels, allowed_transitions)
        self.loss_reduction = loss_reduction

    def loss(self, features: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        """Negative log-likelihood of the gold ``tags``."""
        return -self.crf.log_likelihood(self.projection(features), tags, mask, reduction=self.loss_reduction)

    def emissions(self, features: Tensor) -> Tensor:
        """The CRF's unary tag scores ``(B, T, K)``."""
        return self.projection(features)

    def decode(self, features: Tensor, mask: Tensor) -> Tensor:
        """Best tag ids ``(B, T)`` (0 on padding)."""
        return self.crf.decode(self.projection(features), mask)

    def marginals(self, features: Tensor, mask: Tensor) -> Tensor:
        """Per-token tag probabilities ``(B, T, K)`` (forward-backward)."""
        return self.crf.marginals(self.projection(features), mask)

    def decode_nbest(self, features: Tensor, mask: Tensor, nbest: int) -> tuple[Tensor, Tensor]:
        """The ``nbest`` best tag sequences ``(B, n, T)`` and their probabilities ``(B, n)``."""
        emissions = self.projection(features)
        paths, scores = self.crf.decode_nbest(emissions, mask, nbest)
        return paths, (scores - self.crf.log_partition(emissions, mask).unsqueeze(1)).exp()


class SoftmaxTagHead(nn.Module):
    """Independent per-token softmax, trained with cross-entropy.

    With ``allowed_transitions`` the decoder returns the best *valid* sequence under the
    per-token log-probabilities (a Viterbi search with fixed, zero transition scores), so
    predictions never break the tag scheme; without it, decoding is a plain argmax.

    Args:
        input_dim: feature size (the encoder's ``output_dim``).
        num_labels: number of tags.
        allowed_transitions: optional ``(from, to)`` pairs to constrain decoding.
        loss_reduction: ``"sum"`` over tokens or ``"mean"``.
    """

    def __init__(
        self,
        input_dim: int,
        num_labels: int,
        allowed_transitions: Iterable[tuple[int, int]] | None = None,
        loss_reduction: str = "sum",
    ) -> None:
        super().__init__()
        self.projection = nn.Linear(input_dim, num_labels)
        self.loss_reduction = loss_reduction
        self.constraint = None
        if allowed_transitions is not None:
            self.constraint = CRF(num_labels, allowed_transitions)
            for parameter in self.constraint.parameters():
                parameter.requires_grad_(False)
                parameter.data.zero_()

    def loss(self, features: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        """Cross-entropy of the gold ``tags`` over real tokens."""
        logits = self.projection(features)[mask]  # (N, K)
        return F.cross_entropy(logits.float(), tags[mask], reduction=self.loss_reduction)

    def decode(self, features: Tensor, mask: Tensor) -> Tensor:
        """Best tag ids ``(B, T)`` (0 on padding)."""
        logits = self.projection(features).float()
        if self.constraint is None:
            return logits.argmax(-1).masked_fill(~mask, 0)
        return self.constraint.decode(torch.log_softmax(logits, -1), mask)

    def marginals(self, features: Tensor, mask: Tensor) -> Tensor:
        """Per-token tag probabilities ``(B, T, K)`` (the softmax)."""
        return torch.softmax(self.projection(features).float(), -1).masked_fill(~mask.unsqueeze(2), 0.0)

    def decode_nbest(self, features: Tensor, mask: Tensor, nbest: int) -> tuple[Tensor, Tensor]:
        raise ValueError("n-best decoding needs a CRF head (head=crf); the softmax head scores tokens independently")


POOLINGS = ("last", "mean", "max", "attention")


class ClassifierHead(nn.Module):
    """Pool the encoder features of a text into one vector, then a linear classifier.

    Args:
        input_dim: feature size (the encoder's ``output_dim``).
        num_labels: number of classes.
        pooling: ``last`` (forward state at the last token and backward state at the first,
            for bidirectional features ``[forward; backward]``), ``mean``, ``max`` or
            ``attention`` (a learned query scores each token; softmax-weighted sum).
        dropout: dropout on the pooled vector.
    """

    def __init__(
        self,
        input_dim: int,
        num_labels: int,
        pooling: Literal["last", "mean", "max", "attention"] = "max",
        dropout: Annotated[float, PROBABILITY] = 0.0,
    ) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; expected one of {', '.join(POOLINGS)}")
        if pooling == "last" and input_dim % 2:
            raise ValueError(f"pooling 'last' needs bidirectional features of even size, got {input_dim}")
        self.pooling = pooling
        self.attention = (
            nn.Sequential(nn.Linear(input_dim, input_dim), nn.Tanh(), nn.Linear(input_dim, 1, bias=False))
            if pooling == "attention"
            else None
        )
        self.dropout = Dropout(dropout)
        self.projection = nn.Linear(input_dim, num_labels)

    def pool(self, features: Tensor, mask: Tensor) -> Tensor:
        """``(B, T, D)`` features to ``(B, D)``."""
        keep = mask.unsqueeze(-1)  # (B, T, 1)
        if self.pooling == "mean":
            return (features * keep).sum(1) / keep.sum(1).clamp_min(1)
        if self.pooling == "max":
            return features.masked_fill(~keep, torch.finfo(features.dtype).min).max(1).values
        if self.pooling == "last":
            half = features.size(-1) // 2
            last = (mask.sum(1) - 1).clamp_min(0)  # (B,)
            forward = features[torch.arange(features.size(0), device=features.device), last, :half]
            return torch.cat([forward, features[:, 0, half:]], dim=-1)
        assert self.attention is not None  # built in __init__ for pooling == "attention"
        scores = self.attention(features).squeeze(-1).masked_fill(~mask, torch.finfo(features.dtype).min)
        return (torch.softmax(scores, dim=1).unsqueeze(-1) * features).sum(1)

    def logits(self, features: Tensor, mask: Tensor) -> Tensor:
        """Class scores ``(B, num_labels)``."""
        return self.projection(self.dropout(self.pool(features, mask)))

    def loss(self, features: Tensor, labels: Tensor, mask: Tensor) -> Tensor:
        """Mean cross-entropy of the gold ``labels (B,)``."""
        return F.cross_entropy(self.logits(features, mask).float(), labels)

    def decode(self, features: Tensor, mask: Tensor) -> Tensor:
        """Best class ids ``(B,)``."""
        return self.logits(features, mask).argmax(-1)
