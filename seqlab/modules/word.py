"""Word vectors: one embedding row per vocabulary word, optionally pretrained, with word dropout."""

from __future__ import annotations

from typing import Annotated, Literal

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from seqlab.constraints import POSITIVE, PROBABILITY
from seqlab.errors import ConfigError
from seqlab.featurizers import WordIds
from seqlab.modules.embedder import EmbeddingPart
from seqlab.spec import DataSpec, Featurizer
from seqlab.tokenization.vocab import PAD_ID, UNK_ID


class WordEmbedding(EmbeddingPart):
    """A vector per word of the data's word vocabulary.

    Args:
        spec: the data's vocabularies (the word vocabulary sets the rows).
        dim: size of each word vector.
        pretrained: initial vectors ``(word_vocab_size, dim)``; the config names a file
            (``embedding.word.pretrained``), which the data side reads (its words of the data join the
            vocabulary), and the builder passes the rows here.
        freeze: keep the vectors fixed during training.
        word_dropout: during training, the probability that a word id is replaced by the unknown
            id, so the unknown vector learns to stand for words never seen in training.
        keep: which pretrained rows the model keeps (the data module reads it and builds the
            vocabulary; the spec records the outcome): ``dataset`` (the words of the data),
            ``all`` (every word of the vectors) or a count (that many of the most frequent). Rows
            beyond the data's words stay fixed, stored in float16, and serve text the data never
            showed (looked up exactly, then in lowercase).
        lowercase: lowercase words before the vocabulary lookup (characters keep their case); the
            data side builds the word vocabulary with it, and the spec's word tokenizer applies it.
    """

    inputs = ("word_ids",)

    def __init__(
        self,
        spec: DataSpec,
        dim: Annotated[int, POSITIVE] = 100,
        pretrained: Tensor | None = None,
        freeze: bool = False,
        word_dropout: Annotated[float, PROBABILITY] = 0.0,
        keep: Literal["dataset", "all"] | int = "dataset",
        lowercase: bool = False,
    ) -> None:
        super().__init__()
        if not 0.0 <= word_dropout < 1.0:
            raise ConfigError(f"word_dropout must be in [0, 1), got {word_dropout}")
        del keep, lowercase  # the data side builds the vocabulary with them; the spec records the outcome
        self.tokenizer = spec.word_tokenizer
        self.lowercase_fallback = spec.lowercase_fallback
        rows = spec.word_vocab_size if spec.kept_vectors_start is None else spec.kept_vectors_start
        self.embedding = nn.Embedding(rows, dim, padding_idx=PAD_ID)
        #: Pretrained rows kept for words the data never showed (ids from ``rows`` up); fixed.
        self.kept_vectors: Tensor | None
        self.register_buffer(
            "kept_vectors",
            None if spec.kept_vectors_start is None else torch.zeros(spec.word_vocab_size - rows, dim).half(),
        )
        if pretrained is not None:
            if not isinstance(pretrained, Tensor):
                raise TypeError(f"pretrained must be a tensor of word vectors, got {type(pretrained).__name__}")
            if pretrained.shape[1] != dim:
                raise ConfigError(
                    f"pretrained vectors have dimension {pretrained.shape[1]} but embedding.word.dim "
                    f"is {dim}; set embedding.word.dim={pretrained.shape[1]}"
                )
            if pretrained.shape[0] != spec.word_vocab_size:
                raise ValueError(f"pretrained vectors have {pretrained.shape[0]} rows for {spec.word_vocab_size} words")
            with torch.no_grad():
                self.embedding.weight.copy_(pretrained[:rows])
                if self.kept_vectors is not None:
                    self.kept_vectors.copy_(pretrained[rows:])
        self.embedding.weight.requires_grad_(not freeze)
        self.word_dropout = word_dropout
        self.output_dim = dim

    @property
    def weight(self) -> Tensor:
        """The trained word table: every word id below ``spec.kept_vectors_start`` (all, if none kept)."""
        return self.embedding.weight

    def featurizers(self) -> dict[str, Featurizer]:
        return {"word_ids": WordIds(self.tokenizer, self.lowercase_fallback)}

    def forward(self, word_ids: Tensor) -> Tensor:
        """``(B, T)`` word ids to ``(B, T, dim)``."""
        if self.training and self.word_dropout > 0:
            drop = torch.rand(word_ids.shape, device=word_ids.device) < self.word_dropout
            word_ids = word_ids.masked_fill(drop & (word_ids != PAD_ID), UNK_ID)
        if self.kept_vectors is None:
            return self.embedding(word_ids)
        rows = self.embedding.num_embeddings
        trained = word_ids < rows
        vectors = self.embedding(word_ids.masked_fill(~trained, UNK_ID))
        kept = F.embedding((word_ids - rows).clamp_min(0), self.kept_vectors).to(vectors.dtype)
        return torch.where(trained.unsqueeze(-1), vectors, kept)
