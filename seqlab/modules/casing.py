"""The casing part: an embedding of each token's shape as written (Collobert et al. 2011;
Lample et al.'s tagger has the same capitalisation feature; Reimers & Gurevych 2017).

GloVe 6B is lowercase, so "Apple" and "apple" share a vector; a casing class per token gives
the tagger the shape of the word as it was written. Enable it with ``+embedding/casing=default``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import torch
from torch import Tensor, nn

from seqlab.constraints import POSITIVE
from seqlab.modules.embedder import EmbeddingPart
from seqlab.spec import Featurizer

#: class names by id; id 0 is padding
CASING_CLASSES = (
    "<pad>",
    "other",
    "numeric",
    "mainly_numeric",
    "all_lower",
    "all_upper",
    "initial_upper",
    "contains_digit",
)
_ID = {name: i for i, name in enumerate(CASING_CLASSES)}


def casing_class(token: str) -> int:
    """The casing class id of one token (never 0, the padding id)."""
    digits = sum(c.isdigit() for c in token)
    if token.isdigit():
        return _ID["numeric"]
    if digits / max(len(token), 1) > 0.5:
        return _ID["mainly_numeric"]
    if digits:
        return _ID["contains_digit"]
    if token.islower():
        return _ID["all_lower"]
    if token.isupper():
        return _ID["all_upper"]
    if token[:1].isupper():
        return _ID["initial_upper"]
    return _ID["other"]


def casing_ids(sentences: Sequence[Sequence[str]]) -> list[Tensor]:
    """Featurizer: the casing class id of each token, ``(n,)`` per sentence (each distinct token
    classified once)."""
    table = {token: casing_class(token) for token in {token for tokens in sentences for token in tokens}}
    return [torch.tensor([table[token] for token in tokens], dtype=torch.long) for tokens in sentences]


class CasingEmbedding(EmbeddingPart):
    """A vector per casing class (:data:`CASING_CLASSES`); padding tokens get zeros.

    Args:
        dim: size of each casing vector.
    """

    inputs = ("casing",)

    def __init__(self, dim: Annotated[int, POSITIVE] = 10) -> None:
        super().__init__()
        if dim < 1:
            raise ValueError(f"embedding.casing.dim must be >= 1, got {dim}")
        self.embedding = nn.Embedding(len(CASING_CLASSES), dim, padding_idx=0)
        self.output_dim = dim

    def featurizers(self) -> dict[str, Featurizer]:
        return {"casing": casing_ids}

    def forward(self, casing: Tensor) -> Tensor:
        """``(B, T)`` casing class ids to ``(B, T, dim)``."""
        return self.embedding(casing)
