"""Feature columns as an embedding part: a vector per value of each extra CoNLL column (POS, chunk),
as NCRF++ reads ``[POS]`` features. Enable with ``data.feature_columns=[1] +embedding/features=default``.
"""

from __future__ import annotations

from typing import Annotated

import torch
from torch import Tensor, nn

from seqlab.constraints import POSITIVE
from seqlab.errors import ConfigError
from seqlab.featurizers import FeatureIds
from seqlab.modules.embedder import EmbeddingPart
from seqlab.spec import DataSpec, Featurizer


class FeatureEmbedding(EmbeddingPart):
    """One embedding table per feature column; a token's vectors are concatenated (padding: zeros;
    a value training never showed: its column's unknown vector).

    Args:
        spec: the data's feature columns and their training values.
        dim: size of each column's vectors.
    """

    inputs = ("features",)

    def __init__(self, spec: DataSpec, dim: Annotated[int, POSITIVE] = 20) -> None:
        super().__init__()
        if not spec.feature_values:
            raise ConfigError(
                "embedding.features embeds feature columns, but the data reads none: give data.feature_columns=[1] "
                "(the CoNLL columns to read), or drop the part with ~embedding/features"
            )
        if dim < 1:
            raise ConfigError(f"embedding.features.dim must be >= 1, got {dim}")
        self.values = spec.feature_values
        self.tables = nn.ModuleList(nn.Embedding(len(values) + 2, dim, padding_idx=0) for values in self.values)
        self.output_dim = dim * len(self.values)

    def featurizers(self) -> dict[str, Featurizer]:
        return {"features": FeatureIds(self.values)}

    def forward(self, features: Tensor) -> Tensor:
        """``(B, T, C)`` value ids to ``(B, T, C * dim)``."""
        return torch.cat([table(features[..., i]) for i, table in enumerate(self.tables)], dim=-1)
