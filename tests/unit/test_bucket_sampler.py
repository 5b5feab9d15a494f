"""The length-bucketed batch sampler: deterministic per epoch, and sharded over data-parallel ranks."""
from __future__ import annotations

import random

import pytest

from seqlab.data.collate import BucketBatchSampler

LENGTHS = [random.Random(0).randint(1, 40) for _ in range(103)]


def batches(ranks: int, rank: int, shuffle: bool, batch_size: int = 8, lengths=LENGTHS, epoch: int = 1):
    sampler = BucketBatchSampler(lengths, batch_size, shuffle=shuffle, seed=5, num_replicas=ranks, rank=rank)
    sampler.set_epoch(epoch)
    out = list(sampler)
    assert len(out) == len(sampler)
    return out


def test_one_process_covers_every_sentence_once_and_is_reproducible() -> None:
    for shuffle in (True, False):
        got = batches(1, 0, shuffle)
        assert sorted(i for b in got for i in b) == list(range(len(LENGTHS)))
        assert got == batches(1, 0, shuffle)
    assert batches(1, 0, True, epoch=1) != batches(1, 0, True, epoch=2)


def test_batches_hold_sentences_of_similar_length() -> None:
    spread = [max(LENGTHS[i] for i in b) - min(LENGTHS[i] for i in b) for b in batches(1, 0, True)]
    assert max(spread) <= 3


@pytest.mark.parametrize("ranks", [2, 3, 4])
@pytest.mark.parametrize("shuffle", [True, False])
def test_ranks_split_the_global_batches_of_one_process(ranks: int, shuffle: bool) -> None:
    """N ranks at batch B see, step by step, the batches one process sees at N * B."""
    single = batches(1, 0, shuffle, batch_size=8 * ranks)
    per_rank = [batches(ranks, r, shuffle) for r in range(ranks)]
    assert all(len(shares) == len(single) for shares in per_rank)
    for step, global_batch in enumerate(single):
        assert [i for shares in per_rank for i in shares[step]] == global_batch
        if len(global_batch) == 8 * ranks:  # all but the short one (shuffled somewhere in training)
            assert all(len(shares[step]) == 8 for shares in per_rank)


def test_training_gives_every_rank_a_batch_at_every_step() -> None:
    lengths = [5] * 17  # last global batch of 17 % 16 = 1 sentence for 4 ranks
    per_rank = [batches(4, r, True, batch_size=4, lengths=lengths) for r in range(4)]
    assert {len(b) for b in per_rank} == {2}
    assert all(len(step) >= 1 for b in per_rank for step in b)
    seen = {i for b in per_rank for step in b for i in step}
    assert seen == set(range(17))  # the short batch was topped up, nothing dropped


def test_evaluation_repeats_nothing_and_may_leave_a_rank_one_batch_short() -> None:
    lengths = [5] * 17
    per_rank = [batches(4, r, False, batch_size=4, lengths=lengths) for r in range(4)]
    flat = [i for b in per_rank for step in b for i in step]
    assert sorted(flat) == list(range(17))
    assert sorted(len(b) for b in per_rank) == [1, 1, 1, 2]


def test_bad_rank_is_an_error() -> None:
    with pytest.raises(ValueError, match="rank"):
        BucketBatchSampler([1, 2], 2, num_replicas=2, rank=2)


def test_lightning_sets_the_epoch_so_each_epoch_is_shuffled_anew() -> None:
    """Lightning calls ``set_epoch`` on ``loader.batch_sampler.sampler`` at each epoch's start."""
    from lightning_fabric.utilities.data import _set_sampler_epoch  # what the fit loop calls
    from torch.utils.data import DataLoader

    sampler = BucketBatchSampler(list(range(1, 41)), batch_size=4, shuffle=True, seed=0)
    loader = DataLoader(list(range(40)), batch_sampler=sampler)
    orders = []
    for epoch in range(3):
        _set_sampler_epoch(loader, epoch)
        orders.append([list(batch) for batch in sampler])
    assert sampler.epoch == 2 and orders[0] != orders[1] != orders[2]
    _set_sampler_epoch(loader, 1)
    assert [list(batch) for batch in sampler] == orders[1]  # an epoch's order is its own: resuming repeats it
