"""Splits carved from train: disjoint, covering, seeded, stratified for classification; folds
partition the rows; bad fractions and folds are config errors naming the key."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.data.splits import HoldOut, KFold
from seqlab.errors import ConfigError


def test_holdout_is_disjoint_covering_seeded_and_stratified() -> None:
    labels = ["pos"] * 80 + ["neg"] * 20
    rows = HoldOut(dev=0.1, test=0.2, seed=3).assign(labels, 100)
    assert sorted(rows["train"] + rows["dev"] + rows["test"]) == list(range(100))
    assert Counter(labels[i] for i in rows["dev"]) == {"pos": 8, "neg": 2}
    assert Counter(labels[i] for i in rows["test"]) == {"pos": 16, "neg": 4}
    assert rows == HoldOut(dev=0.1, test=0.2, seed=3).assign(labels, 100)
    assert rows != HoldOut(dev=0.1, test=0.2, seed=4).assign(labels, 100)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 60), st.integers(2, 7), st.lists(st.sampled_from("abc"), min_size=60, max_size=60))
def test_kfold_test_folds_partition_the_rows(count: int, folds: int, labels: list[str]) -> None:
    labels = labels[:count]
    tests = []
    for fold in range(folds):
        rows = KFold(folds=folds, fold=fold, dev=0.2, seed=1).assign(labels, count)
        assert sorted(rows["train"] + rows["dev"] + rows["test"]) == list(range(count))
        tests += rows["test"]
    assert sorted(tests) == list(range(count))  # every row is tested exactly once


def test_kfold_folds_are_stratified() -> None:
    labels = ["a"] * 50 + ["b"] * 50
    for fold in range(10):
        rows = KFold(folds=10, fold=fold, seed=0).assign(labels, 100)
        assert Counter(labels[i] for i in rows["test"]) == {"a": 5, "b": 5}


@pytest.mark.parametrize("make, message", [
    (lambda: HoldOut(dev=1.5), r"data.split.dev: expected a fraction in \(0, 1\), got 1.5"),
    (lambda: HoldOut(dev=0.0), r"data.split.dev: expected a fraction in \(0, 1\), got 0.0"),
    (lambda: HoldOut(dev=None, test=None), "give a dev and/or a test fraction"),
    (lambda: HoldOut(dev=0.6, test=0.5), "leaves no training rows"),
    (lambda: KFold(folds=10, fold=10), r"data.split.fold: expected an integer in \[0, 9\], got 10"),
    (lambda: KFold(folds=1), "data.split.folds: expected an integer of 2 or more"),
])
def test_bad_settings_are_config_errors_naming_the_key(make, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make()
