"""Overlapping windows over a sequence: long training sentences (:mod:`seqlab.data.long_documents`)
and subword sequences longer than a transformer's limit (:mod:`seqlab.featurizers`)."""

from __future__ import annotations


def windows(length: int, max_tokens: int, overlap: int) -> list[tuple[int, int]]:
    """``[start, end)`` spans of ``max_tokens`` (or ``length``, if shorter) covering ``range(length)``,
    each starting ``max_tokens - overlap`` after the previous; the last ends at ``length`` (and so
    may overlap its neighbour by more)."""
    stride = max_tokens - overlap
    spans = [(start, start + max_tokens) for start in range(0, max(length - max_tokens, 0), stride)]
    spans.append((max(length - max_tokens, 0), length))
    return spans
