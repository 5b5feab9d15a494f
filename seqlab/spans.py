"""Tag sequences to entity spans as seqeval's strict mode reads them (torch-free: training's
metrics and reports and both prediction backends use it)."""

from __future__ import annotations

from collections.abc import Sequence

import seqeval.scheme

SEQEVAL_SCHEMES = {
    "IOB1": seqeval.scheme.IOB1,
    "IOB2": seqeval.scheme.IOB2,
    "IOBES": seqeval.scheme.IOBES,
    "BILOU": seqeval.scheme.BILOU,
}


def seqeval_scheme(name: str) -> type[seqeval.scheme.Token]:
    """The seqeval scheme class for a scheme name."""
    try:
        return SEQEVAL_SCHEMES[name]
    except KeyError:
        raise ValueError(f"no seqeval scheme for {name!r}; expected one of {', '.join(SEQEVAL_SCHEMES)}") from None


def strict_spans(sequences: Sequence[Sequence[str]], scheme: str) -> list[set[tuple[str, int, int]]]:
    """Per sentence, the set of ``(type, start, end)`` spans seqeval's strict mode accepts.

    Sentences tagged all ``O`` hold no span and skip seqeval, whose per-token checks are the
    slowest part of turning predictions into spans.
    """
    spans: list[set[tuple[str, int, int]]] = [set() for _ in sequences]
    tagged = [i for i, sentence in enumerate(sequences) if any(tag != "O" for tag in sentence)]
    if tagged:
        entities = seqeval.scheme.Entities([list(sequences[i]) for i in tagged], seqeval_scheme(scheme), suffix=False)
        for i, sentence in zip(tagged, entities.entities):
            spans[i] = {(e.tag, e.start, e.end) for e in sentence}
    return spans
