"""Character parts: each token's characters encoded by a CNN (Ma & Hovy) or a BiLSTM (Lample et al.)."""

from __future__ import annotations

from typing import Annotated

import torch
from torch import Tensor, nn

from seqlab.constraints import POSITIVE, PROBABILITY
from seqlab.errors import ConfigError
from seqlab.featurizers import CharIds
from seqlab.modules.dropout import Dropout
from seqlab.modules.embedder import EmbeddingPart
from seqlab.spec import DataSpec, Featurizer
from seqlab.tokenization.vocab import PAD_ID


class _CharPart(EmbeddingPart):
    """A part reading ``char_ids`` from the data's character vocabulary."""

    inputs = ("char_ids",)

    def __init__(self, spec: DataSpec, max_chars: int | None = None) -> None:
        super().__init__()
        self.tokenizer = spec.char_tokenizer
        # The spec records the max_chars the part was trained with (a checkpoint from before
        # embedding.char.max_chars has it there only).
        self.max_chars = spec.max_chars if max_chars is None else max_chars

    def featurizers(self) -> dict[str, Featurizer]:
        return {"char_ids": CharIds(self.tokenizer, self.max_chars)}


class CharCNNEmbedding(_CharPart):
    """Character CNN (Ma & Hovy 2016): embed characters, convolve, max-pool over the word.

    Args:
        spec: the data's vocabularies (the character vocabulary) and ``max_chars``.
        embedding_dim: size of each character embedding.
        max_chars: characters kept per token (``None``: the spec's, as a checkpoint recorded it).
        num_filters: number of convolution filters, the output size.
        kernel_size: convolution window in characters (odd, so the output keeps the word's length).
        dropout: dropout on the character embeddings before the convolution (Ma & Hovy: 0.5).
    """

    def __init__(
        self,
        spec: DataSpec,
        embedding_dim: Annotated[int, POSITIVE] = 30,
        num_filters: Annotated[int, POSITIVE] = 50,
        kernel_size: Annotated[int, POSITIVE] = 3,
        dropout: Annotated[float, PROBABILITY] = 0.0,
        max_chars: Annotated[int, POSITIVE] | None = None,
    ) -> None:
        super().__init__(spec, max_chars)
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ConfigError(f"embedding.char.kernel_size must be a positive odd number, got {kernel_size}")
        self.embedding = nn.Embedding(spec.char_vocab_size, embedding_dim, padding_idx=PAD_ID)
        self.conv = nn.Conv1d(embedding_dim, num_filters, kernel_size, padding=kernel_size // 2)
        self.dropout = Dropout(dropout)
        self.output_dim = num_filters

    def forward(self, char_ids: Tensor) -> Tensor:
        """``(B, T, L)`` character ids to ``(B, T, num_filters)``; padding tokens get zeros.

        The words' characters are laid end to end in one stream, ``kernel_size // 2`` zero
        (padding) characters between words, so no window crosses a word and padding characters
        cost nothing: a CoNLL batch has about a third as many real characters as ``B x T x L``
        slots. The convolution is one matrix product over the stream's windows and the max runs
        over each word's own characters; the result equals ``conv`` + max over the padded words.
        """
        if torch.onnx.is_in_onnx_export():
            return self._padded_forward(char_ids)
        real = char_ids[:, :, 0] != PAD_ID  # (B, T): padding tokens have no characters
        words = char_ids[real]  # (N, L)
        is_char = words != PAD_ID
        lengths = is_char.sum(1)  # (N,), each >= 1
        k = self.conv.kernel_size[0]
        half = k // 2
        span = lengths + half  # a word and the separator after it
        starts = torch.cumsum(span, 0) - span + half
        positions = (starts.unsqueeze(1) + torch.arange(words.size(1), device=words.device)).masked_select(is_char)
        stream = words.new_full((half + int(span.sum()),), PAD_ID)
        stream[positions] = words.masked_select(is_char)
        # (S, C); padding characters embed to zero (and stay zero through dropout), like the conv's zero padding
        x = self.dropout(self.embedding(stream))
        centres = x.size(0) - 2 * half
        windows = torch.cat([x[i : i + centres] for i in range(k)], dim=1)  # (S - 2 * half, k * C)
        weight = self.conv.weight.permute(0, 2, 1).reshape(self.conv.out_channels, -1)  # (F, k * C)
        filters = nn.functional.linear(windows, weight, self.conv.bias)[positions - half]  # (chars, F)
        pooled = torch.segment_reduce(filters, "max", lengths=lengths)  # (N, F), each word's own characters
        out = pooled.new_zeros((*char_ids.shape[:2], self.output_dim))
        out[real] = pooled
        return out

    def _padded_forward(self, char_ids: Tensor) -> Tensor:
        """The same result as a plain convolution over every padded word and a max over its own
        characters: the ops every ONNX runtime has (used when exporting)."""
        batch, length, width = char_ids.shape
        words = char_ids.reshape(batch * length, width)
        is_char = (words != PAD_ID).unsqueeze(1)  # (N, 1, L)
        x = self.embedding(words).transpose(1, 2)  # (N, C, L); padding characters embed to zero
        # An additive mask: onnxruntime broadcasts Add far faster than Where.
        outside = (~is_char).to(x.dtype) * torch.finfo(x.dtype).min
        filters = (self.conv(x) + outside).amax(dim=2)  # (N, F), each word's own characters
        real = is_char.any(dim=2).to(x.dtype)  # (N, 1): padding tokens have no characters
        return (filters * real).reshape(batch, length, -1)


class CharLSTMEmbedding(_CharPart):
    """Character BiLSTM (Lample et al. 2016): final forward and backward states, concatenated.

    Args:
        spec: the data's vocabularies (the character vocabulary) and ``max_chars``.
        embedding_dim: size of each character embedding.
        hidden_size: LSTM size per direction; the output is ``2 * hidden_size``.
        max_chars: characters kept per token (``None``: the spec's, as a checkpoint recorded it).
    """

    def __init__(
        self,
        spec: DataSpec,
        embedding_dim: Annotated[int, POSITIVE] = 30,
        hidden_size: Annotated[int, POSITIVE] = 25,
        max_chars: Annotated[int, POSITIVE] | None = None,
    ) -> None:
        super().__init__(spec, max_chars)
        self.embedding = nn.Embedding(spec.char_vocab_size, embedding_dim, padding_idx=PAD_ID)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True, bidirectional=True)
        self.output_dim = 2 * hidden_size

    def forward(self, char_ids: Tensor) -> Tensor:
        if torch.onnx.is_in_onnx_export():
            return self._padded_forward(char_ids)
        real = char_ids[:, :, 0] != PAD_ID  # (B, T): padding tokens have no characters
        words = char_ids[real]  # (N, L), real tokens only
        lengths = (words != PAD_ID).sum(1)
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embedding(words), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        _, (hidden, _) = self.lstm(packed)  # (2, N, H)
        out = hidden.new_zeros((*char_ids.shape[:2], self.output_dim))
        out[real] = torch.cat([hidden[0], hidden[1]], dim=1)
        return out

    def _padded_forward(self, char_ids: Tensor) -> Tensor:
        """The same result over every padded token slot, without boolean indexing (used when
        exporting): padding tokens run one padding character and are then zeroed."""
        batch, length, width = char_ids.shape
        words = char_ids.reshape(batch * length, width)
        lengths = (words != PAD_ID).sum(1)
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embedding(words), lengths.clamp_min(1).cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=width)  # (N, L, 2H)
        half = out.size(2) // 2
        last = (lengths - 1).clamp_min(0).view(-1, 1, 1).expand(-1, 1, half)
        forward = out[:, :, :half].gather(1, last).squeeze(1)  # the forward state after the last character
        vectors = torch.cat([forward, out[:, 0, half:]], dim=1)  # the backward state after the first
        return vectors.masked_fill((lengths == 0).unsqueeze(1), 0.0).reshape(batch, length, -1)
