"""Splits carved from the training file: a held-out dev (and test) fraction, or k-fold
cross-validation. Seeded, stratified by label for classification, and logged with counts.

A plan turns the training rows' labels into row indices per split; the data module selects
those rows. It is a part of the data config (``+data/split=holdout``, ``+data/split=kfold``).
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence

from seqlab.errors import ConfigError


def _fraction(key: str, value: float | None) -> float | None:
    if value is not None and not (isinstance(value, (int, float)) and 0 < value < 1):
        raise ConfigError(f"{key}: expected a fraction in (0, 1), got {value!r}")
    return value


def _shuffled_groups(labels: Sequence[Hashable] | None, count: int, seed: int) -> list[list[int]]:
    """Row indices grouped by label (one group when ``labels`` is ``None``), each group shuffled."""
    groups: dict[Hashable, list[int]] = {}
    for i in range(count):
        groups.setdefault(labels[i] if labels is not None else None, []).append(i)
    rng = random.Random(seed)
    ordered = [groups[key] for key in sorted(groups, key=str)]
    for group in ordered:
        rng.shuffle(group)
    return ordered


class SplitPlan:
    """Which training rows go to which split; ``labels`` (one per row) stratify the split."""

    #: The splits this plan produces besides train; a file configured for one of them is a conflict.
    produces: tuple[str, ...] = ()

    def assign(self, labels: Sequence[Hashable] | None, count: int) -> dict[str, list[int]]:
        """Row indices of ``train`` and of each split in :attr:`produces`, disjoint and covering."""
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


class HoldOut(SplitPlan):
    """Carve ``dev`` (and ``test``) fractions out of the training file.

    Args:
        dev: fraction of the training rows held out as dev (``None``: the dev file, if any).
        test: fraction held out as test (``None``: the test file, if any).
        seed: seed of the shuffle.
    """

    def __init__(self, dev: float | None = 0.1, test: float | None = None, seed: int = 0) -> None:
        self.dev = _fraction("data.split.dev", dev)
        self.test = _fraction("data.split.test", test)
        if self.dev is None and self.test is None:
            raise ConfigError("data.split: give a dev and/or a test fraction")
        if (self.dev or 0) + (self.test or 0) >= 1:
            raise ConfigError(f"data.split: dev + test = {(self.dev or 0) + (self.test or 0)} leaves no training rows")
        self.seed = seed
        self.produces = tuple(name for name, value in (("dev", self.dev), ("test", self.test)) if value is not None)

    def assign(self, labels: Sequence[Hashable] | None, count: int) -> dict[str, list[int]]:
        fractions = {"dev": self.dev or 0.0, "test": self.test or 0.0}
        out: dict[str, list[int]] = {"train": [], **{name: [] for name in self.produces}}
        for group in _shuffled_groups(labels, count, self.seed):
            start = 0
            for name in self.produces:
                size = round(len(group) * fractions[name])
                out[name] += group[start : start + size]
                start += size
            out["train"] += group[start:]
        return {name: sorted(rows) for name, rows in out.items()}

    def describe(self) -> str:
        parts = [f"{name} {self.dev if name == 'dev' else self.test:.0%}" for name in self.produces]
        return f"held out of train: {', '.join(parts)} (seed {self.seed})"


class KFold(SplitPlan):
    """Cross-validation: fold ``fold`` of ``folds`` is the test split, a ``dev`` fraction of the
    remaining rows selects the checkpoint, the rest trains.

    Args:
        folds: number of folds (2 or more).
        fold: which fold is tested, ``0 <= fold < folds``.
        dev: fraction of the other folds' rows held out as dev.
        seed: seed of the fold assignment (the same for every fold of one cross-validation).
    """

    produces = ("dev", "test")

    def __init__(self, folds: int = 10, fold: int = 0, dev: float = 0.1, seed: int = 0) -> None:
        if not isinstance(folds, int) or folds < 2:
            raise ConfigError(f"data.split.folds: expected an integer of 2 or more, got {folds!r}")
        if not isinstance(fold, int) or not 0 <= fold < folds:
            raise ConfigError(f"data.split.fold: expected an integer in [0, {folds - 1}], got {fold!r}")
        self.folds, self.fold, self.seed = folds, fold, seed
        self.dev = _fraction("data.split.dev", dev)

    def assign(self, labels: Sequence[Hashable] | None, count: int) -> dict[str, list[int]]:
        test: list[int] = []
        rest_labels: dict[int, Hashable] = {}
        position = 0  # round-robin over the groups in turn keeps every fold stratified
        for group in _shuffled_groups(labels, count, self.seed):
            for i in group:
                if position % self.folds == self.fold:
                    test.append(i)
                else:
                    rest_labels[i] = labels[i] if labels is not None else None
                position += 1
        rest = sorted(rest_labels)
        carved = HoldOut(dev=self.dev, seed=self.seed).assign(
            [rest_labels[i] for i in rest] if labels is not None else None, len(rest)
        )
        return {
            "train": sorted(rest[i] for i in carved["train"]),
            "dev": sorted(rest[i] for i in carved["dev"]),
            "test": sorted(test),
        }

    def describe(self) -> str:
        return f"fold {self.fold} of {self.folds} is test, dev {self.dev:.0%} of the rest (seed {self.seed})"
