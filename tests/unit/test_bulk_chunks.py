"""Bulk prediction's sharding: every rank reads the same rounds, and the ranks' chunks taken
round-robin give back the input in order."""
from __future__ import annotations

import pytest

from seqlab.predict.bulk import World, own_chunks


@pytest.mark.parametrize("count", [0, 1, 5, 6, 7, 18, 19, 36, 40])
@pytest.mark.parametrize("size", [1, 2, 3])
def test_the_ranks_chunks_round_robin_are_the_input(count: int, size: int) -> None:
    texts = [f"t{i}" for i in range(count)]
    per_rank = [list(own_chunks(iter(texts), 6, World(rank, size))) for rank in range(size)]
    assert len({len(rounds) for rounds in per_rank}) == 1  # the same number of rounds everywhere
    merged: list[str] = []
    for round_number in range(len(per_rank[0])):
        sizes = per_rank[0][round_number][1]
        assert all(rounds[round_number][1] == sizes for rounds in per_rank)
        for rank in range(len(sizes)):
            mine = per_rank[rank][round_number][0]
            assert len(mine) == sizes[rank] > 0
            merged.extend(mine)
        assert all(not per_rank[rank][round_number][0] for rank in range(len(sizes), size))
    assert merged == texts
