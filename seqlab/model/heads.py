"""What a network's head offers: the protocols tasks and outputs call (the heads are in
:mod:`seqlab.modules.heads`)."""

from __future__ import annotations

from typing import Protocol

from torch import Tensor


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
