"""Tag schemes: span round trips, CoNLL examples, error messages and CRF transition semantics."""
import itertools
import random

import pytest

from seqlab.data.tag_schemes import (
    InvalidTagError,
    TagScheme,
    allowed_transitions,
    convert,
    from_spans,
    labels_for_types,
    parse_scheme,
    to_spans,
)

SCHEMES = list(TagScheme)
TYPES = ["PER", "LOC", "ORG"]


def random_spans(rng: random.Random, length: int) -> list[tuple[str, int, int]]:
    """Random non-overlapping spans; biased towards adjacent same-type and single-token spans."""
    spans, position = [], 0
    previous_type = None
    while position < length:
        roll = rng.random()
        if roll < 0.3:
            position += 1  # an O token
            previous_type = None
            continue
        size = 1 if roll < 0.6 else rng.randint(1, min(4, length - position))
        if previous_type is not None and rng.random() < 0.5:
            etype = previous_type  # adjacent span of the same type
        else:
            etype = rng.choice(TYPES)
        spans.append((etype, position, position + size))
        position += size
        previous_type = etype
    return spans


def random_cases(count: int = 300):
    rng = random.Random(1234)
    for _ in range(count):
        length = rng.randint(0, 12)
        yield length, random_spans(rng, length)


CASES = list(random_cases())


def test_random_cases_cover_edge_cases():
    """The generator really produces empty sentences, single-token and adjacent same-type spans."""
    assert any(length == 0 for length, _ in CASES)
    assert any(any(end - start == 1 for _, start, end in spans) for _, spans in CASES)
    assert any(
        any(a[0] == b[0] and a[2] == b[1] for a, b in zip(spans, spans[1:])) for _, spans in CASES
    )


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.value)
def test_from_spans_to_spans_round_trip(scheme):
    """Writing random spans in a scheme and parsing them back gives the same spans."""
    for length, spans in CASES:
        tags = from_spans(spans, length, scheme)
        assert len(tags) == length
        assert to_spans(tags, scheme) == spans, (spans, tags)


@pytest.mark.parametrize(
    "source,target", list(itertools.permutations(SCHEMES, 2)), ids=lambda s: s.value
)
def test_convert_round_trip_every_pair(source, target):
    """convert(convert(tags, A, B), B, A) == tags for every pair of schemes."""
    for length, spans in CASES:
        tags = from_spans(spans, length, source)
        there = convert(tags, source, target)
        assert to_spans(there, target) == spans
        assert convert(there, target, source) == tags, (tags, there)


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.value)
def test_convert_to_same_scheme_is_identity_on_canonical_tags(scheme):
    """Converting canonical tags to their own scheme changes nothing."""
    for length, spans in CASES:
        tags = from_spans(spans, length, scheme)
        assert convert(tags, scheme, scheme) == tags


CONLL_IOB1 = "I-ORG I-ORG O I-PER B-PER".split()


@pytest.mark.parametrize(
    "target,expected",
    [
        ("IOB2", "B-ORG I-ORG O B-PER B-PER"),
        ("IOBES", "B-ORG E-ORG O S-PER S-PER"),
        ("BILOU", "B-ORG L-ORG O U-PER U-PER"),
        ("IOB1", "I-ORG I-ORG O I-PER B-PER"),
    ],
)
def test_conll_iob1_known_conversions(target, expected):
    """A CoNLL-2003 style IOB1 sentence in every other scheme."""
    assert convert(CONLL_IOB1, "IOB1", target) == expected.split()
    assert convert(expected.split(), target, "IOB1") == CONLL_IOB1


def test_conll_iob1_spans():
    """IOB1: B- separates two adjacent spans of the same type."""
    assert to_spans(CONLL_IOB1, "IOB1") == [("ORG", 0, 2), ("PER", 3, 4), ("PER", 4, 5)]


def test_iob1_quirk_b_after_o_starts_a_span():
    """IOB1 `O B-MISC` (as in CoNLL-2003 train) is accepted and starts a span."""
    assert to_spans(["O", "B-MISC"], "IOB1") == [("MISC", 1, 2)]
    assert to_spans(["B-MISC", "I-MISC"], "IOB1") == [("MISC", 0, 2)]
    assert to_spans(["I-PER", "B-MISC", "I-MISC"], "IOB1") == [("PER", 0, 1), ("MISC", 1, 3)]
    assert convert(["O", "B-MISC"], "IOB1", "IOB2") == ["O", "B-MISC"]
    assert convert(["O", "B-MISC"], "IOB1", "IOB1") == ["O", "I-MISC"]


def test_empty_sequence():
    """Empty sentences have no spans in any scheme."""
    for scheme in SCHEMES:
        assert to_spans([], scheme) == []
        assert from_spans([], 0, scheme) == []
        assert convert([], scheme, "IOB2") == []


def raises_invalid(tags, scheme):
    with pytest.raises(InvalidTagError) as info:
        to_spans(tags, scheme)
    return info.value


def test_e_tag_not_valid_in_iob2():
    """E-PER is not an IOB2 label."""
    err = raises_invalid(["O", "E-PER"], "IOB2")
    assert err.position == 1
    assert "not valid in IOB2" in str(err)
    assert "'E-PER'" in str(err)
    assert isinstance(err, ValueError)


def test_i_after_o_invalid_in_iob2():
    """IOB2: I-PER must continue a PER span."""
    err = raises_invalid(["B-LOC", "O", "I-PER"], "IOB2")
    assert err.position == 2
    assert "'I-PER' after 'O' is not valid in IOB2" in str(err)
    assert "must continue a PER span" in str(err)


def test_i_at_sentence_start_invalid_in_iob2():
    """IOB2: a sentence cannot start with I-."""
    err = raises_invalid(["I-PER"], "IOB2")
    assert err.position == 0
    assert "after '<start>'" in str(err)


def test_i_after_other_type_invalid_in_iob2():
    """IOB2: I-PER after B-LOC is invalid."""
    err = raises_invalid(["B-LOC", "I-PER"], "IOB2")
    assert err.position == 1


def test_unfinished_span_invalid_in_iobes():
    """IOBES: `B-PER O` — the span must end with E-PER."""
    err = raises_invalid(["B-PER", "O"], "IOBES")
    assert err.position == 0
    assert "'B-PER' followed by 'O' is not valid in IOBES" in str(err)
    assert "span must end with E-PER" in str(err)


def test_unfinished_span_at_end_invalid_in_iobes():
    """IOBES: a B-/I- span running off the end of the sentence is invalid."""
    err = raises_invalid(["O", "B-PER", "I-PER"], "IOBES")
    assert err.position == 2
    assert "followed by '<end>'" in str(err)


def test_i_loc_after_b_per_invalid_in_bilou():
    """BILOU: I-LOC after B-PER (B-PER never closed, I-LOC continues nothing)."""
    err = raises_invalid(["B-PER", "I-LOC", "L-LOC"], "BILOU")
    assert err.position == 0
    assert "'B-PER' followed by 'I-LOC' is not valid in BILOU" in str(err)
    assert "span must end with L-PER" in str(err)


def test_e_tag_not_valid_in_bilou():
    """BILOU uses L-/U-, not E-/S-."""
    err = raises_invalid(["S-PER"], "BILOU")
    assert err.position == 0
    assert "not valid in BILOU" in str(err)


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.value)
@pytest.mark.parametrize("bad", ["PER", "B-", "-PER", "BI-PER", "b_PER", ""])
def test_label_without_prefix_is_invalid(scheme, bad):
    """Labels without a one-letter prefix (`PER`, `B-`, ...) are rejected at their position."""
    err = raises_invalid(["O", "O", bad], scheme)
    assert err.position == 2
    assert f"tag {bad!r} is not valid in {scheme.value}" in str(err)


@pytest.mark.parametrize(
    "name,expected",
    [
        ("bio", TagScheme.IOB2),
        ("BIO", TagScheme.IOB2),
        ("iob2", TagScheme.IOB2),
        ("iob1", TagScheme.IOB1),
        ("bioes", TagScheme.IOBES),
        ("IOBES", TagScheme.IOBES),
        ("bilou", TagScheme.BILOU),
        ("BIOUL", TagScheme.BILOU),
        (TagScheme.BILOU, TagScheme.BILOU),
    ],
)
def test_parse_scheme_aliases(name, expected):
    """Scheme names are case-insensitive; BIO/BIOES/BIOUL are aliases."""
    assert parse_scheme(name) is expected


def test_parse_scheme_unknown_lists_valid_names():
    """An unknown scheme name says which names are valid."""
    with pytest.raises(ValueError) as info:
        parse_scheme("xyz")
    message = str(info.value)
    assert "'xyz'" in message
    for name in ("IOB1", "IOB2", "IOBES", "BILOU"):
        assert name in message


def test_labels_for_types():
    """Labels: O first, then per type (sorted) in prefix order."""
    assert labels_for_types(["B", "A"], "IOB2") == ["O", "B-A", "I-A", "B-B", "I-B"]
    assert labels_for_types(["A"], "IOBES") == ["O", "B-A", "I-A", "E-A", "S-A"]
    assert labels_for_types(["A"], "BILOU") == ["O", "B-A", "I-A", "L-A", "U-A"]
    assert labels_for_types(["A", "A"], "IOB1") == ["O", "B-A", "I-A"]


def is_valid_sequence(tags, scheme) -> bool:
    """Valid under to_spans; for IOB1 additionally canonical (what from_spans writes)."""
    try:
        to_spans(tags, scheme)
    except InvalidTagError:
        return False
    if scheme is TagScheme.IOB1:
        return convert(tags, scheme, scheme) == list(tags)
    return True


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.value)
def test_allowed_transitions_match_sequence_validity(scheme):
    """Key property: a sequence (len <= 4) is valid iff all its transitions, START and END included, are allowed."""
    labels = labels_for_types(["A", "B"], scheme)
    allowed = set(allowed_transitions(scheme, labels))
    start, end = len(labels), len(labels) + 1
    assert all(0 <= i <= start and 0 <= j <= end and i != end and j != start for i, j in allowed)
    mismatches = []
    for length in range(5):
        for seq in itertools.product(range(len(labels)), repeat=length):
            path = (start, *seq, end)
            by_transitions = all(pair in allowed for pair in zip(path, path[1:]))
            tags = [labels[i] for i in seq]
            if by_transitions != is_valid_sequence(tags, scheme):
                mismatches.append((tags, by_transitions))
    assert not mismatches, mismatches[:10]


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.value)
def test_every_allowed_transition_is_used_by_some_valid_sequence(scheme):
    """No allowed pair is dead: each one occurs in a valid sequence of length <= 4."""
    labels = labels_for_types(["A", "B"], scheme)
    allowed = set(allowed_transitions(scheme, labels))
    start, end = len(labels), len(labels) + 1
    used = set()
    for length in range(5):
        for seq in itertools.product(range(len(labels)), repeat=length):
            if is_valid_sequence([labels[i] for i in seq], scheme):
                path = (start, *seq, end)
                used.update(zip(path, path[1:]))
    assert used == allowed


def test_allowed_transitions_iob2_examples():
    """IOB2 spot checks: START->I forbidden, B-A->I-A allowed, B-A->I-B forbidden."""
    labels = labels_for_types(["A", "B"], "IOB2")  # O B-A I-A B-B I-B
    allowed = set(allowed_transitions("IOB2", labels))
    start, end = len(labels), len(labels) + 1
    index = {label: i for i, label in enumerate(labels)}
    assert (start, index["I-A"]) not in allowed
    assert (start, index["B-A"]) in allowed
    assert (index["B-A"], index["I-A"]) in allowed
    assert (index["B-A"], index["I-B"]) not in allowed
    assert (index["O"], index["I-A"]) not in allowed
    assert (index["I-A"], end) in allowed
    assert (start, end) in allowed
