"""Texts longer than ``data.max_tokens``: truncation for classification, overlapping windows for tagging.

A classifier reads one label per text, so a long text is cut to ``max_tokens`` words: its
``head``, its ``tail``, or ``head+tail`` (the first quarter of the budget from the start and the
rest from the end, as Sun et al. 2019 found best for long reviews). A tagger needs every word:
a long sentence becomes training windows of ``max_tokens`` words that overlap by ``overlap``
words, so every word is trained on with context on both sides of a cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from seqlab.errors import ConfigError

T = TypeVar("T")

#: The parts of a long text a classifier may keep.
TRUNCATIONS = ("head", "tail", "head+tail")


def check_count(value: int | None, key: str, unit: str) -> int | None:
    """A length setting (``data.max_tokens``, ``data.max_batch_tokens``) checked: ``None`` or a
    positive count of ``unit``; anything else is a config error naming ``key``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{key} must be a positive number of {unit} or null, got {value!r}")
    return value


def check_truncation(truncation: str) -> str:
    """``data.truncation`` checked against :data:`TRUNCATIONS`."""
    if truncation not in TRUNCATIONS:
        raise ConfigError(f"data.truncation must be one of {', '.join(TRUNCATIONS)}, got {truncation!r}")
    return truncation


def truncate(tokens: Sequence[T], max_tokens: int, truncation: str = "head") -> list[T]:
    """At most ``max_tokens`` of ``tokens``: the first (``head``), the last (``tail``), or the first
    quarter of the budget and the rest from the end (``head+tail``)."""
    if len(tokens) <= max_tokens:
        return list(tokens)
    if truncation == "head":
        return list(tokens[:max_tokens])
    if truncation == "tail":
        return list(tokens[len(tokens) - max_tokens :])
    if truncation == "head+tail":
        head = max_tokens // 4
        return [*tokens[:head], *tokens[len(tokens) - (max_tokens - head) :]]
    raise ConfigError(f"data.truncation must be one of {', '.join(TRUNCATIONS)}, got {truncation!r}")


def check_overlap(overlap: int, max_tokens: int) -> int:
    """``data.window_overlap`` checked: at least 0 and below ``max_tokens``."""
    if isinstance(overlap, bool) or not isinstance(overlap, int) or not 0 <= overlap < max_tokens:
        raise ConfigError(
            f"data.window_overlap must be a number of words in [0, data.max_tokens={max_tokens}), got {overlap!r}"
        )
    return overlap
