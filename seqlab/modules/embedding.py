"""Token representations: word embedding, character encoders (CNN, BiLSTM) and their concatenation.

Every module exposes ``output_dim`` so no size is typed by hand in a config.
"""
from __future__ import annotations

from typing import Callable, Protocol

import torch
from torch import Tensor, nn

from seqlab.modules.dropout import Dropout
from seqlab.modules.drift import UnseenWordDrift
from seqlab.tokenization.casing import CASING_CLASSES
from seqlab.tokenization.vocab import PAD_ID, UNK_ID


class CharEncoder(Protocol):
    """Maps character ids ``(B, T, L)`` to one vector per token ``(B, T, output_dim)``."""

    output_dim: int

    def __call__(self, char_ids: Tensor) -> Tensor: ...


class CharCNNEmbedding(nn.Module):
    """Character CNN (Ma & Hovy 2016): embed characters, convolve, max-pool over the word.

    Args:
        vocab_size: number of character ids (including padding and unknown).
        embedding_dim: size of each character embedding.
        num_filters: number of convolution filters, the output size.
        kernel_size: convolution window in characters (odd, so the output keeps the word's length).
        dropout: dropout on the character embeddings before the convolution (Ma & Hovy: 0.5).
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 30, num_filters: int = 50, kernel_size: int = 3,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd number, got {kernel_size}")
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID)
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


class CharLSTMEmbedding(nn.Module):
    """Character BiLSTM (Lample et al. 2016): final forward and backward states, concatenated.

    Args:
        vocab_size: number of character ids (including padding and unknown).
        embedding_dim: size of each character embedding.
        hidden_size: LSTM size per direction; the output is ``2 * hidden_size``.
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 30, hidden_size: int = 25) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True, bidirectional=True)
        self.output_dim = 2 * hidden_size

    def forward(self, char_ids: Tensor) -> Tensor:
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


class TokenEmbedder(nn.Module):
    """Word embedding concatenated with an optional character encoder and casing embedding, then dropout.

    Args:
        word_vocab_size: number of word ids (set from the data).
        char_vocab_size: number of character ids (set from the data).
        word_dim: size of the word embedding.
        char: factory building the character encoder from ``vocab_size``, or ``None`` for words only.
        dropout: dropout on the concatenated representation.
        word_dropout: during training, the probability that a word id is replaced by the
            unknown id, so the unknown embedding is trained for words unseen at test time.
        pretrained: initial word vectors ``(word_vocab_size, word_dim)`` (the data module reads
            the file named by ``embedding.pretrained`` and passes the rows here).
        freeze: keep the word vectors fixed during training.
        variational_dropout: one dropout mask per sentence, shared by all its tokens.
        casing_dim: size of an embedding of each token's casing class (all lower, all upper,
            initial upper, numeric, ...: :mod:`seqlab.tokenization.casing`); 0 for none.
        static_pretrained: also concatenate a frozen copy of the pretrained vectors (Kim 2014's
            static + fine-tuned channels). The fine-tuned embedding then keeps rows for the
            training words only (ids below ``train_word_vocab_size``): a dev/test word the
            vectors cover reads the unknown row there and its own vector in the frozen copy,
            just as a training word does under word dropout, which acts on the fine-tuned
            ids only. Without it, such a word reads its untrained vector among fine-tuned ones.
        train_word_vocab_size: the word ids below it are the training data's words (set from
            the data; ``None``: every id).
        drift_neighbours: > 0: at evaluation, each word from ``train_word_vocab_size`` up (a
            dev/test word the pretrained vectors cover) reads its vector moved by the fine-tuning
            drift of that many nearest training words (:class:`~seqlab.modules.drift.UnseenWordDrift`);
            0: its pretrained vector as it is.
        drift_dropout: during training, the probability that a training word reads the vector its
            initial vector and the drift of its nearest other training words give (without
            gradient) instead of its own: how a word outside train is read at evaluation, so the
            tagger learns to read such vectors. Needs ``drift_neighbours``.
        drift_scale: the factor on that mean drift (a mean of drifts pointing different ways is
            shorter than they are). Needs ``drift_neighbours`` unless 1.
    """

    def __init__(
        self,
        word_vocab_size: int,
        char_vocab_size: int,
        word_dim: int = 100,
        char: Callable[..., CharEncoder] | None = None,
        dropout: float = 0.5,
        word_dropout: float = 0.0,
        pretrained: torch.Tensor | None = None,
        freeze: bool = False,
        variational_dropout: bool = False,
        casing_dim: int = 0,
        static_pretrained: bool = False,
        train_word_vocab_size: int | None = None,
        drift_neighbours: int = 0,
        drift_dropout: float = 0.0,
        drift_scale: float = 1.0,
    ) -> None:
        super().__init__()
        if not 0.0 <= word_dropout < 1.0:
            raise ValueError(f"word_dropout must be in [0, 1), got {word_dropout}")
        self.word = nn.Embedding(word_vocab_size, word_dim, padding_idx=PAD_ID)
        if pretrained is not None:
            if not isinstance(pretrained, torch.Tensor):
                raise TypeError(f"pretrained must be a tensor of word vectors, got {type(pretrained).__name__}")
            if pretrained.shape[1] != word_dim:
                raise ValueError(f"pretrained vectors have dimension {pretrained.shape[1]} but embedding.word_dim "
                                 f"is {word_dim}; set embedding.word_dim={pretrained.shape[1]}")
            if pretrained.shape[0] != word_vocab_size:
                raise ValueError(f"pretrained vectors have {pretrained.shape[0]} rows for {word_vocab_size} words")
            with torch.no_grad():
                self.word.weight.copy_(pretrained)
        self.word.weight.requires_grad_(not freeze)
        self.static = None
        if static_pretrained:
            if freeze:
                raise ValueError("embedding.static_pretrained adds a frozen copy of the vectors to fine-tuned ones; "
                                 "it cannot be combined with embedding.freeze=true")
            self.static = nn.Embedding(word_vocab_size, word_dim, padding_idx=PAD_ID)
            self.static.weight.requires_grad_(False)
            if pretrained is not None:
                with torch.no_grad():
                    self.static.weight.copy_(pretrained)
        self.train_word_vocab_size = train_word_vocab_size if static_pretrained else None
        self.drift = None
        if drift_neighbours < 0:
            raise ValueError(f"drift_neighbours must be >= 0, got {drift_neighbours}")
        if drift_neighbours:
            if static_pretrained:
                raise ValueError("embedding.drift_neighbours moves the vectors of words outside train, which "
                                 "embedding.static_pretrained maps to the unknown word; use one or the other")
            if train_word_vocab_size is None:
                raise ValueError("embedding.drift_neighbours needs to know which word ids are training words "
                                 "(train_word_vocab_size, set from the data)")
            self.drift = UnseenWordDrift(self.word.weight, train_word_vocab_size, drift_neighbours, drift_scale)
        elif drift_scale != 1.0:
            raise ValueError(f"embedding.drift_scale={drift_scale} scales the unseen-word drift; "
                             "set embedding.drift_neighbours (e.g. 20) too")
        if not 0.0 <= drift_dropout < 1.0:
            raise ValueError(f"drift_dropout must be in [0, 1), got {drift_dropout}")
        if drift_dropout and self.drift is None:
            raise ValueError("embedding.drift_dropout replaces training words by their neighbours' drift estimate; "
                             "set embedding.drift_neighbours (e.g. 20) too")
        self.drift_dropout = drift_dropout
        self.word_dropout = word_dropout
        self.char = char(vocab_size=char_vocab_size) if char is not None else None
        if casing_dim < 0:
            raise ValueError(f"casing_dim must be >= 0, got {casing_dim}")
        self.casing = nn.Embedding(len(CASING_CLASSES), casing_dim, padding_idx=PAD_ID) if casing_dim else None
        self.dropout = Dropout(dropout, variational=variational_dropout)
        self.output_dim = (word_dim * (2 if self.static is not None else 1) + casing_dim
                           + (self.char.output_dim if self.char is not None else 0))

    def _drift_dropout(self, word_ids: Tensor, x: Tensor) -> Tensor:
        """``x`` with each training word, at probability ``drift_dropout``, replaced by its drift estimate."""
        pick = torch.rand(word_ids.shape, device=word_ids.device) < self.drift_dropout
        pick &= (word_ids > UNK_ID) & (word_ids < self.drift.train_word_vocab_size)
        if not pick.any():
            return x
        return x.index_put((pick,), self.drift.estimate(word_ids[pick], self.word.weight).to(x.dtype))

    def forward(self, word_ids: Tensor, char_ids: Tensor | None = None, casing: Tensor | None = None) -> Tensor:
        """``(B, T)`` word ids, ``(B, T, L)`` character ids and ``(B, T)`` casing class ids to
        ``(B, T, output_dim)``."""
        static = self.static(word_ids) if self.static is not None else None
        if self.train_word_vocab_size is not None:
            word_ids = word_ids.masked_fill(word_ids >= self.train_word_vocab_size, UNK_ID)
        if self.training and self.word_dropout > 0:
            drop = torch.rand(word_ids.shape, device=word_ids.device) < self.word_dropout
            word_ids = word_ids.masked_fill(drop & (word_ids != PAD_ID), UNK_ID)
        if self.drift is not None and not self.training:
            x = nn.functional.embedding(word_ids, self.drift.table(self.word.weight), padding_idx=PAD_ID)
        else:
            x = self.word(word_ids)
        if self.training and self.drift_dropout > 0:
            x = self._drift_dropout(word_ids, x)
        if static is not None:
            x = torch.cat([x, static], dim=-1)
        if self.char is not None:
            if char_ids is None:
                raise ValueError("this embedder has a character encoder but no char_ids were given")
            x = torch.cat([x, self.char(char_ids)], dim=-1)
        if self.casing is not None:
            if casing is None:
                raise ValueError("this embedder has a casing embedding but no casing classes were given")
            x = torch.cat([x, self.casing(casing)], dim=-1)
        return self.dropout(x)
