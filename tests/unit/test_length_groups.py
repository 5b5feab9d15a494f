"""How the ONNX backend groups a batch's rows by length before running its graph."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from seqlab.predict.onnx_backend import length_groups


@given(st.lists(st.integers(1, 60), min_size=1, max_size=300), st.integers(0, 64))
def test_every_row_is_in_one_group_shortest_first(lengths: list[int], run_tokens: int) -> None:
    groups = length_groups(np.asarray(lengths), run_tokens)
    rows = np.concatenate(groups)
    assert sorted(rows.tolist()) == list(range(len(lengths)))
    ordered = np.asarray(lengths)[rows]
    assert (np.diff(ordered) >= 0).all()


def test_large_groups_of_equal_lengths_stay_apart() -> None:
    lengths = np.asarray([10] * 50 + [11] * 50)
    assert [len(g) for g in length_groups(lengths, 8)] == [50, 50]


def test_a_few_rows_of_close_lengths_run_together() -> None:
    # three rows of 5 take on 2 padded tokens each when the 7 joins them: 6 <= 8, one run
    assert [len(g) for g in length_groups(np.asarray([5, 7, 5, 5]), 8)] == [4]
    # four rows of 5 take on 8 padded tokens with the 7, not over 8: one run; the 30 is a run of its own
    assert [len(g) for g in length_groups(np.asarray([5, 5, 5, 5, 7, 30]), 8)] == [5, 1]
