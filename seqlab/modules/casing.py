"""The casing part: an embedding of each token's shape as written (Collobert et al. 2011;
Lample et al.'s tagger has the same capitalisation feature; Reimers & Gurevych 2017).

GloVe 6B is lowercase, so "Apple" and "apple" share a vector; a casing class per token gives
the tagger the shape of the word as it was written. Enable it with ``+embedding/casing=default``.
"""

from __future__ import annotations

from typing import Annotated

from torch import Tensor, nn

from seqlab.constraints import POSITIVE
from seqlab.featurizers import CASING_CLASSES, CasingIds
from seqlab.modules.embedder import EmbeddingPart
from seqlab.spec import Featurizer

#: The featurizer of the ``casing`` input (each token's casing class).
casing_ids = CasingIds()


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
