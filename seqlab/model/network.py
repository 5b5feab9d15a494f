"""The network a task trains and a predictor runs: embedder -> encoder -> head."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor, nn

from seqlab.errors import ConfigError
from seqlab.modules.embedder import TokenEmbedder


class Network(nn.Module):
    """Embedder -> encoder -> head, each sized from the previous part's ``output_dim``."""

    def __init__(self, embedder: TokenEmbedder, encoder: nn.Module, head: nn.Module) -> None:
        super().__init__()
        if encoder.input_dim != embedder.output_dim:
            raise ConfigError(
                f"encoder input_dim {encoder.input_dim} does not match embedder output_dim {embedder.output_dim}"
            )
        self.embedder = embedder
        self.encoder = encoder
        self.head: Any = head  # a Head (seqlab.model.heads); which kind, the task's output says

    def features(self, inputs: Mapping[str, Tensor], mask: Tensor) -> Tensor:
        """Encoder output ``(B, T, encoder.output_dim)`` for the batch inputs by name."""
        return self.encoder(self.embedder(inputs), mask)
