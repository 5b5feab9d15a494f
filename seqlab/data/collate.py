"""Encoded examples, padded batches, and the length-bucketed batch sampler."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.utils.data import Sampler

from seqlab.tokenization.vocab import PAD_ID


@dataclass
class EncodedExample:
    """One text as tensors: each batch input by name (first dimension: the text's words), and its
    target, if labelled: tag ids ``(n,)`` for sequence labelling, a 0-d label id for classification."""

    index: int
    features: dict[str, Tensor]
    length: int
    target: Tensor | None


@dataclass
class Batch:
    """A padded batch; ``mask`` is True on real tokens, ``index`` the examples' dataset rows.

    ``features`` holds each batch input by name, ``(B, T, ...)``, 0 on padding.
    """

    index: Tensor  # (B,)
    features: dict[str, Tensor]
    mask: Tensor  # (B, T) bool
    targets: Tensor | None = None  # (B, T) tag ids, or (B,) label ids

    def __len__(self) -> int:
        return self.index.numel()

    def _map(self, move: Callable[[Tensor], Tensor]) -> Batch:
        return Batch(
            move(self.index),
            {name: move(t) for name, t in self.features.items()},
            move(self.mask),
            move(self.targets) if self.targets is not None else None,
        )

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        """The same batch with every tensor on ``device``."""
        return self._map(lambda t: t.to(device, non_blocking=non_blocking))

    def pin_memory(self) -> Batch:
        """The same batch in page-locked memory (called by the DataLoader with ``pin_memory=True``)."""
        return self._map(lambda t: t.pin_memory())


def pad_stack(tensors: Sequence[Tensor], fill: int = PAD_ID) -> Tensor:
    """Stack tensors of one rank and varying sizes, each padded with ``fill`` to the largest size."""
    shape = [max(t.size(d) for t in tensors) for d in range(tensors[0].dim())]
    out = tensors[0].new_full((len(tensors), *shape), fill)
    for row, tensor in enumerate(tensors):
        region: tuple[int | slice, ...] = (row, *(slice(0, n) for n in tensor.shape))
        out[region] = tensor
    return out


def collate_examples(examples: Sequence[EncodedExample]) -> Batch:
    """Pad every input to the longest text (and its other dimensions to their largest) in the batch."""
    lengths = torch.tensor([e.length for e in examples], dtype=torch.long)
    mask = torch.arange(int(lengths.max())).unsqueeze(0) < lengths.unsqueeze(1)
    features = {name: pad_stack([e.features[name] for e in examples]) for name in examples[0].features}
    first = examples[0].target
    targets = None
    if first is not None:
        labelled: list[Tensor] = []
        for e in examples:
            assert e.target is not None, "a batch mixes labelled and unlabelled examples"
            labelled.append(e.target)
        targets = torch.stack(labelled) if first.dim() == 0 else pad_stack(labelled, fill=0)
    index = torch.tensor([e.index for e in examples], dtype=torch.long)
    return Batch(index=index, features=features, mask=mask, targets=targets)


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of sentences of similar length, for little padding.

    Each epoch sorts the sentences by length (ties in a random order), cuts them into batches
    and, when ``shuffle`` is set, shuffles the batches. The order depends only on ``seed`` and
    the epoch (:meth:`set_epoch`), so a resumed run sees the same batches.

    Data-parallel ranks (``num_replicas > 1``) share global batches of
    ``batch_size * num_replicas`` sentences, each rank taking its slice, so N ranks at
    ``batch_size`` see what one process sees at ``N * batch_size``. In training every rank
    needs a batch at every step: a last global batch with fewer sentences than ranks is topped
    up with the epoch's first sentences. Evaluation (``shuffle=False``) repeats nothing: a rank
    with no share of the last batch simply has one batch fewer.

    With ``max_tokens`` a batch also closes before its padded size (sentences times the longest
    one) would pass ``max_tokens`` per rank, so memory is bounded however long the texts are; a
    single longer sentence is a batch of its own.

    Args:
        lengths: length of each sentence.
        batch_size: sentences per batch (per rank).
        shuffle: shuffle sentences of equal length and the order of batches (training).
        seed: base seed of the shuffling.
        num_replicas: number of data-parallel ranks.
        rank: this rank.
        max_tokens: the most padded tokens in a batch (per rank); ``None``: no limit.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
        max_tokens: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if max_tokens is not None and max_tokens < 1:
            raise ValueError(f"max_tokens must be positive, got {max_tokens}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank must be in [0, {num_replicas}), got {rank}")
        self.lengths = torch.as_tensor(list(lengths), dtype=torch.float64)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.num_replicas = num_replicas
        self.rank = rank
        self.max_tokens = max_tokens
        self.epoch = 0
        self._skip = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    @property
    def sampler(self) -> BucketBatchSampler:
        """This sampler itself: Lightning sets each epoch through ``batch_sampler.sampler.set_epoch``
        (as for a ``DistributedSampler`` inside a ``BatchSampler``), and this one orders its own
        batches, so every epoch is shuffled anew."""
        return self

    def skip_next(self, batches_done: int) -> None:
        """Leave out the first ``batches_done`` batches on the next iteration only (resuming inside
        an epoch; the length stays the whole epoch's)."""
        self._skip = batches_done

    def _global_batches(self) -> list[list[int]]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        keys = self.lengths
        if self.shuffle:
            keys = keys + torch.rand(len(keys), generator=generator, dtype=torch.float64) * 0.5
        order = torch.argsort(keys, stable=True).tolist()
        batches = self._cut(order, self.batch_size * self.num_replicas)
        if self.shuffle and batches and len(batches[-1]) < self.num_replicas <= len(order):
            short = batches[-1]
            batches[-1] = short + [i for i in order if i not in short][: self.num_replicas - len(short)]
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
        return batches

    def _cut(self, order: list[int], size: int) -> list[list[int]]:
        """``order`` (ascending length) cut into batches of ``size`` sentences, or fewer where
        :attr:`max_tokens` (times the ranks) would be passed."""
        if self.max_tokens is None:
            return [order[i : i + size] for i in range(0, len(order), size)]
        budget = self.max_tokens * self.num_replicas
        lengths = self.lengths.tolist()
        batches: list[list[int]] = [[]]
        for i in order:
            batch = batches[-1]
            if batch and (len(batch) == size or (len(batch) + 1) * lengths[i] > budget):
                batches.append(batch := [])
            batch.append(i)
        return batches if order else []

    def _share(self, size: int) -> tuple[int, int]:
        """This rank's slice ``[start, end)`` of a global batch of ``size`` sentences (as even as possible)."""
        return self.rank * size // self.num_replicas, (self.rank + 1) * size // self.num_replicas

    def _batches(self) -> list[list[int]]:
        if self.num_replicas == 1:
            return self._global_batches()
        shares = []
        for batch in self._global_batches():
            start, end = self._share(len(batch))
            if end > start:
                shares.append(batch[start:end])
        return shares

    def __iter__(self) -> Iterator[list[int]]:
        skip, self._skip = self._skip, 0
        return iter(self._batches()[skip:])

    def __len__(self) -> int:
        if self.max_tokens is not None:  # the cut depends on lengths only, not on the epoch
            return len(self._batches())
        total = len(self.lengths)
        size = self.batch_size * self.num_replicas
        full, last = divmod(total, size)
        if self.num_replicas == 1 or last == 0:
            return full + (last > 0)
        if self.shuffle:
            return full + 1
        start, end = self._share(last)
        return full + (end > start)
