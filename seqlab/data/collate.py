"""Encoded examples, padded batches, and the length-bucketed batch sampler."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator, Sequence

import torch
from torch import Tensor
from torch.utils.data import Sampler

from seqlab.tokenization.vocab import PAD_ID


@dataclass
class EncodedExample:
    """One text as tensors: word ids ``(n,)``, char ids ``(n, L)`` and its target, if labelled:
    tag ids ``(n,)`` for sequence labelling, a 0-d label id for classification."""

    index: int
    word_ids: Tensor
    char_ids: Tensor
    target: Tensor | None


@dataclass
class Batch:
    """A padded batch; ``mask`` is True on real tokens, ``index`` the examples' dataset rows."""

    index: Tensor  # (B,)
    word_ids: Tensor  # (B, T)
    char_ids: Tensor  # (B, T, L)
    mask: Tensor  # (B, T) bool
    targets: Tensor | None = None  # (B, T) tag ids, or (B,) label ids

    def __len__(self) -> int:
        return self.index.numel()

    def to(self, device: torch.device | str) -> "Batch":
        """The same batch with every tensor on ``device``."""
        return Batch(**{k: v.to(device) if v is not None else None for k, v in vars(self).items()})


def collate_examples(sentences: Sequence[EncodedExample]) -> Batch:
    """Pad texts to the longest one (and characters to the longest word) in the batch."""
    size = len(sentences)
    length = max(s.word_ids.numel() for s in sentences)
    chars = max(s.char_ids.size(1) for s in sentences)
    word_ids = torch.full((size, length), PAD_ID, dtype=torch.long)
    char_ids = torch.full((size, length, chars), PAD_ID, dtype=torch.long)
    mask = torch.zeros((size, length), dtype=torch.bool)
    first = sentences[0].target
    per_token = first is not None and first.dim() == 1
    targets = None
    if first is not None and not per_token:
        targets = torch.stack([s.target for s in sentences])
    elif per_token:
        targets = torch.zeros((size, length), dtype=torch.long)
    for row, sentence in enumerate(sentences):
        n, c = sentence.char_ids.shape
        word_ids[row, :n] = sentence.word_ids
        char_ids[row, :n, :c] = sentence.char_ids
        mask[row, :n] = True
        if per_token:
            targets[row, :n] = sentence.target
    index = torch.tensor([s.index for s in sentences], dtype=torch.long)
    return Batch(index=index, word_ids=word_ids, char_ids=char_ids, mask=mask, targets=targets)


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of sentences of similar length, for little padding.

    Each epoch sorts the sentences by length (ties in a random order), cuts them into batches
    and, when ``shuffle`` is set, shuffles the batches. The order depends only on ``seed`` and
    the epoch (:meth:`set_epoch`), so a resumed run sees the same batches. With
    ``num_replicas > 1`` each rank takes every ``num_replicas``-th batch.

    Args:
        lengths: length of each sentence.
        batch_size: sentences per batch.
        shuffle: shuffle sentences of equal length and the order of batches.
        seed: base seed of the shuffling.
        num_replicas: number of data-parallel ranks.
        rank: this rank.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.lengths = torch.as_tensor(list(lengths), dtype=torch.float64)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _batches(self) -> list[list[int]]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        keys = self.lengths
        if self.shuffle:
            keys = keys + torch.rand(len(keys), generator=generator, dtype=torch.float64) * 0.5
        order = torch.argsort(keys, stable=True).tolist()
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
        if self.num_replicas > 1:
            per_rank = math.ceil(len(batches) / self.num_replicas)
            batches = (batches * 2)[: per_rank * self.num_replicas]  # pad so every rank gets as many
            batches = batches[self.rank :: self.num_replicas]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self._batches())

    def __len__(self) -> int:
        total = math.ceil(len(self.lengths) / self.batch_size)
        return math.ceil(total / self.num_replicas)
