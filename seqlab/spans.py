"""Tag sequences to entity spans as seqeval's strict mode reads them (torch-free: training's
metrics and reports and both prediction backends use it).

:func:`strict_spans` asks seqeval itself (tag strings); :class:`SpanDecoder` gives the same spans
for tag ids, from tables of seqeval's own start / inside / end rules over every pair of a model's
labels, so prediction walks a sentence with integer lookups rather than seqeval's per-token objects.
"""

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


class SpanDecoder:
    """Entity spans of tag-id sequences, exactly as :func:`strict_spans` finds them.

    seqeval's strict mode decides whether a token starts a chunk, continues one or ends the one
    before it from the token and its predecessor alone. Those three rules are tabulated once for
    every pair of ``labels`` (plus the outside token seqeval appends to each sentence), and
    :meth:`spans` runs seqeval's own walk over the tables.
    """

    def __init__(self, labels: Sequence[str], scheme: str) -> None:
        kind = seqeval_scheme(scheme)
        #: Labels the scheme does not allow (seqeval refuses them when they occur), by tag id.
        self._invalid = {i: label for i, label in enumerate(labels) if not _allowed(kind, label)}
        valid = [label if i not in self._invalid else "O" for i, label in enumerate(labels)]
        tokens = [kind(label, suffix=False) for label in [*valid, "O"]]  # the last: seqeval's outside token
        self._scheme = scheme
        #: Index of the outside token, as a tag id.
        self.outside = len(labels)
        self.types = [token.tag for token in tokens]
        self.start = [[cur.is_start(prev) for cur in tokens] for prev in tokens]  # [prev][cur]
        self.inside = [[cur.is_inside(prev) for cur in tokens] for prev in tokens]
        self.end = [[cur.is_end(prev) for cur in tokens] for prev in tokens]
        #: Labels that can start a chunk after some token: a sentence without any has no span.
        self._starters = {cur for cur in range(len(tokens)) if any(row[cur] for row in self.start)}

    def spans(self, tags: Sequence[int]) -> list[tuple[str, int, int]]:
        """``(type, start, end)`` of each chunk of one sentence's tag ids, in order."""
        if self._invalid and self._invalid.keys() & set(tags):
            label = self._invalid[min(self._invalid.keys() & set(tags))]
            raise ValueError(f"tag {label!r} is not a {self._scheme} tag")
        if not self._starters.intersection(tags):
            return []
        ids = [*tags, self.outside]
        start, inside, end = self.start, self.inside, self.end
        found = []
        prev, i = self.outside, 0
        while i < len(ids):
            cur = ids[i]
            if start[prev][cur]:
                j, last = i + 1, cur
                while inside[last][ids[j]]:  # the outside token is never inside, so this stops
                    last = ids[j]
                    j += 1
                if end[ids[j - 1]][ids[j]]:
                    found.append((self.types[cur], i, j))
                i = j
            else:
                i += 1
            prev = ids[i - 1]
        return found


def _allowed(kind: type[seqeval.scheme.Token], label: str) -> bool:
    """Whether seqeval reads ``label`` as a token of scheme ``kind``."""
    try:
        return bool(kind(label, suffix=False).is_valid())
    except (KeyError, ValueError, IndexError):
        return False
