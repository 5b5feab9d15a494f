"""Span tag schemes (IOB1, IOB2, IOBES, BILOU): validation, conversion and CRF constraints.

Every scheme is parsed into spans ``(type, start, end_exclusive)`` and written back, so any
scheme converts to any other through the same two functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum

from seqlab.errors import ConfigError


class TagScheme(str, Enum):
    """A span encoding; the value is the name used in configs and passed to seqeval."""

    IOB1 = "IOB1"
    IOB2 = "IOB2"
    IOBES = "IOBES"
    BILOU = "BILOU"


#: Prefixes each scheme allows, besides the bare ``O``.
PREFIXES: dict[TagScheme, frozenset[str]] = {
    TagScheme.IOB1: frozenset("BI"),
    TagScheme.IOB2: frozenset("BI"),
    TagScheme.IOBES: frozenset("BIES"),
    TagScheme.BILOU: frozenset("BILU"),
}

Span = tuple[str, int, int]


class InvalidTagError(ValueError):
    """A tag or tag sequence that the declared scheme does not allow; ``position`` is its index."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


def parse_scheme(scheme: str | TagScheme) -> TagScheme:
    """Return the :class:`TagScheme` named ``scheme`` (case-insensitive; BIOES and BIO accepted)."""
    if isinstance(scheme, TagScheme):
        return scheme
    aliases = {"BIO": "IOB2", "BIOES": "IOBES", "BIOUL": "BILOU"}
    name = aliases.get(str(scheme).upper(), str(scheme).upper())
    try:
        return TagScheme(name)
    except ValueError:
        valid = ", ".join(s.value for s in TagScheme)
        raise ConfigError(f"unknown tag scheme {scheme!r}; expected one of {valid}") from None


def split_tag(tag: str) -> tuple[str, str]:
    """Split ``'B-PER'`` into ``('B', 'PER')``; ``'O'`` gives ``('O', '')``."""
    if tag == "O":
        return "O", ""
    prefix, sep, entity_type = tag.partition("-")
    if not sep or len(prefix) != 1 or not entity_type:
        return "", ""
    return prefix, entity_type


def check_tag(tag: str, scheme: TagScheme) -> None:
    """Raise ``ValueError`` if ``tag`` is not a label of ``scheme`` (e.g. ``E-PER`` in IOB2)."""
    prefix, _ = split_tag(tag)
    if prefix == "O":
        return
    allowed = PREFIXES[scheme]
    if prefix not in allowed:
        forms = ", ".join(f"{p}-TYPE" for p in sorted(allowed))
        raise ValueError(f"tag {tag!r} is not valid in {scheme.value} (expected O, {forms})")


def to_spans(tags: Sequence[str], scheme: str | TagScheme) -> list[Span]:
    """Parse a tag sequence into spans, raising :class:`InvalidTagError` on ill-formed input.

    IOB1 accepts ``B-X`` after a non-``X`` tag (two such tokens occur in CoNLL-2003 train); it
    starts a span, as conlleval reads it.
    """
    scheme = parse_scheme(scheme)
    spans: list[Span] = []
    open_type, open_start = "", -1

    def close(end: int) -> None:
        nonlocal open_type
        if open_type:
            spans.append((open_type, open_start, end))
        open_type = ""

    for i, tag in enumerate(tags):
        try:
            check_tag(tag, scheme)
        except ValueError as err:
            raise InvalidTagError(str(err), i) from None
        prefix, etype = split_tag(tag)
        if prefix == "O":
            close(i)
            continue
        continues = open_type == etype
        if scheme is TagScheme.IOB1:
            starts = prefix == "B" or not continues
        elif prefix in ("B", "S", "U"):
            starts = True
        else:  # I, E, L must continue an open span of the same type
            if not continues:
                prev = tags[i - 1] if i else "<start>"
                raise InvalidTagError(
                    f"tag {tag!r} after {prev!r} is not valid in {scheme.value}: "
                    f"{prefix}-{etype} must continue a {etype} span",
                    i,
                )
            starts = False
        if starts:
            close(i)
            open_type, open_start = etype, i
        if prefix in ("E", "S", "L", "U"):
            close(i + 1)
        elif scheme in (TagScheme.IOBES, TagScheme.BILOU) and not _continues_next(tags, i, etype, scheme):
            nxt = tags[i + 1] if i + 1 < len(tags) else "<end>"
            raise InvalidTagError(
                f"tag {tag!r} followed by {nxt!r} is not valid in {scheme.value}: "
                f"a {etype} span must end with {'E' if scheme is TagScheme.IOBES else 'L'}-{etype}",
                i,
            )
    close(len(tags))
    return spans


def _continues_next(tags: Sequence[str], i: int, etype: str, scheme: TagScheme) -> bool:
    if i + 1 >= len(tags):
        return False
    prefix, nxt_type = split_tag(tags[i + 1])
    closing = "E" if scheme is TagScheme.IOBES else "L"
    return nxt_type == etype and prefix in ("I", closing)


def from_spans(spans: Iterable[Span], length: int, scheme: str | TagScheme) -> list[str]:
    """Write non-overlapping spans as a tag sequence of ``length`` in ``scheme``."""
    scheme = parse_scheme(scheme)
    tags = ["O"] * length
    previous_end, previous_type = -1, ""
    for etype, start, end in sorted(spans, key=lambda s: s[1]):
        size = end - start
        if scheme is TagScheme.IOB1:
            begin = "B" if (start == previous_end and etype == previous_type) else "I"
            tags[start:end] = [f"{begin}-{etype}"] + [f"I-{etype}"] * (size - 1)
        elif scheme is TagScheme.IOB2:
            tags[start:end] = [f"B-{etype}"] + [f"I-{etype}"] * (size - 1)
        else:
            single, last = ("S", "E") if scheme is TagScheme.IOBES else ("U", "L")
            if size == 1:
                tags[start] = f"{single}-{etype}"
            else:
                tags[start:end] = [f"B-{etype}"] + [f"I-{etype}"] * (size - 2) + [f"{last}-{etype}"]
        previous_end, previous_type = end, etype
    return tags


def convert(tags: Sequence[str], source: str | TagScheme, target: str | TagScheme) -> list[str]:
    """Re-encode ``tags`` from ``source`` scheme to ``target`` scheme (validating the input)."""
    return from_spans(to_spans(tags, source), len(tags), target)


def labels_for_types(entity_types: Iterable[str], scheme: str | TagScheme) -> list[str]:
    """All labels of ``scheme`` for ``entity_types``, ``O`` first, in a stable order."""
    scheme = parse_scheme(scheme)
    order = {"B": 0, "I": 1, "E": 2, "L": 2, "S": 3, "U": 3}
    prefixes = sorted(PREFIXES[scheme], key=order.__getitem__)
    return ["O"] + [f"{p}-{t}" for t in sorted(set(entity_types)) for p in prefixes]


def allowed_transitions(scheme: str | TagScheme, labels: Sequence[str]) -> list[tuple[int, int]]:
    """Pairs ``(from, to)`` of label indices that ``scheme`` allows.

    Index ``len(labels)`` stands for the sentence start and ``len(labels) + 1`` for its end,
    so ``(len(labels), j)`` means "a sentence may begin with label j".
    """
    scheme = parse_scheme(scheme)
    start, end = len(labels), len(labels) + 1
    parts = [split_tag(label) for label in labels] + [("START", ""), ("END", "")]
    pairs = []
    for i, (from_prefix, from_type) in enumerate(parts):
        if i == end:
            continue
        for j, (to_prefix, to_type) in enumerate(parts):
            if j == start:
                continue
            if _allowed(scheme, from_prefix, from_type, to_prefix, to_type):
                pairs.append((i, j))
    return pairs


def _allowed(scheme: TagScheme, fp: str, ft: str, tp: str, tt: str) -> bool:
    """The rule table: may a tag ``fp-ft`` be followed by ``tp-tt``?"""
    same = ft == tt
    # Where a span may end (the next tag may start something new or be O/END).
    if scheme in (TagScheme.IOB1, TagScheme.IOB2):
        ends_ok = True
        inside_ok = fp in ("B", "I") and same
    else:
        last, single = ("E", "S") if scheme is TagScheme.IOBES else ("L", "U")
        ends_ok = fp in ("O", "START", last, single)
        inside_ok = fp in ("B", "I") and same
    if tp in ("O", "END"):
        return ends_ok
    if scheme is TagScheme.IOB1:
        if tp == "B":  # B only separates two adjacent spans of one type
            return fp in ("B", "I") and same
        return True  # I starts a span after anything, or continues one
    if scheme is TagScheme.IOB2:
        return tp == "B" or inside_ok
    # IOBES / BILOU: B and S/U start spans, I and E/L continue them.
    if tp in ("B", "S", "U"):
        return ends_ok
    return inside_ok


#: The scheme assumed when a file's tags do not tell IOB1 from IOB2.
AMBIGUOUS_DEFAULT = TagScheme.IOB1


def detect_scheme(sequences: Iterable[Sequence[str]]) -> tuple[TagScheme | None, str]:
    """The span scheme a file's tag sequences are written in, and the evidence, in words.

    ``None``: the labels are not span tags (a label that is neither ``O`` nor ``P-TYPE``: POS tags,
    say). ``E``/``S`` prefixes mean IOBES, ``L``/``U`` BILOU. With ``B`` and ``I`` only, a span
    opened by ``I`` means IOB1 and a ``B`` after ``O`` (or another type) means IOB2; the majority
    decides when both occur (CoNLL-2003's IOB1 train file has two such ``B`` tags). Files with
    neither are ambiguous: :data:`AMBIGUOUS_DEFAULT` is assumed and the evidence says so.
    """
    prefixes: set[str] = set()
    opened_by_i = opened_by_b = 0
    for tags in sequences:
        previous = ("O", "")
        for tag in tags:
            prefix, entity_type = split_tag(tag)
            if not prefix:
                return None, f"label {tag!r} is not a span tag (O or P-TYPE): plain labels"
            prefixes.add(prefix)
            starts = previous[0] == "O" or previous[1] != entity_type
            if prefix == "I" and starts:
                opened_by_i += 1
            elif prefix == "B" and starts:
                opened_by_b += 1
            previous = (prefix, entity_type)
    if prefixes & {"L", "U"}:
        return TagScheme.BILOU, "L-/U- prefixes"
    if prefixes & {"E", "S"}:
        return TagScheme.IOBES, "E-/S- prefixes"
    counts = f"{opened_by_i} spans opened by I-, {opened_by_b} B- tags after O or another type"
    if opened_by_i > opened_by_b:
        return TagScheme.IOB1, counts
    if opened_by_b > opened_by_i:
        return TagScheme.IOB2, counts
    return AMBIGUOUS_DEFAULT, f"ambiguous ({counts}); assuming {AMBIGUOUS_DEFAULT.value}"
