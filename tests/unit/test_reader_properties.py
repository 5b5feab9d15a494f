"""Property tests of the readers: valid files round-trip losslessly; corrupted files raise the
reader's own error at a line inside the file, never another exception."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqlab.data.readers import ReaderError, read_conll, read_text_classification

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Printable text without the characters that structure the files (whitespace, quotes, commas).
WORD = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FFF, blacklist_categories=("Cs", "Zs", "Zl", "Zp",
                                                                                          "Cc", "Cf"),
                             blacklist_characters='",'), min_size=1, max_size=8).filter(lambda w: w != "-DOCSTART-")
TYPE = st.sampled_from(["PER", "LOC", "ORG", "MISC"])


@st.composite
def iob2_sentence(draw) -> list[tuple[str, str]]:
    """Tokens with a valid IOB2 tag sequence."""
    tokens = draw(st.lists(WORD, min_size=1, max_size=6))
    tags, previous = [], "O"
    for _ in tokens:
        choice = draw(st.sampled_from(["O", "B", "I"] if previous != "O" else ["O", "B"]))
        tag = "O" if choice == "O" else f"{choice}-{previous[2:] if choice == 'I' else draw(TYPE)}"
        tags.append(tag)
        previous = tag
    return list(zip(tokens, tags))


def write(text: bytes | str, name: str) -> Path:
    path = Path(tempfile.mkdtemp()) / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def conll_text(sentences: list[list[tuple[str, str]]]) -> str:
    return "\n".join("".join(f"{token} {tag}\n" for token, tag in sentence) for sentence in sentences)


@SETTINGS
@given(st.lists(iob2_sentence(), min_size=1, max_size=5))
def test_valid_conll_files_round_trip(sentences):
    path = write(conll_text(sentences), "train.txt")
    read = list(read_conll(path, file_scheme="IOB2"))
    assert read == [{"tokens": [t for t, _ in s], "tags": [g for _, g in s]} for s in sentences]


@SETTINGS
@given(st.lists(iob2_sentence(), min_size=1, max_size=5), st.sampled_from(["\n", "\r\n", "\r"]),
       st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]))
def test_any_line_ending_and_marked_encoding_read_the_same(sentences, ending, encoding):
    path = write(conll_text(sentences).replace("\n", ending).encode(encoding), "train.txt")
    assert list(read_conll(path, file_scheme="IOB2")) == list(read_conll(write(conll_text(sentences), "train.txt")))


TEXT = st.lists(WORD, min_size=1, max_size=5).map(" ".join)
LABEL = st.sampled_from(["pos", "neg", "0", "1"])


@SETTINGS
@given(st.lists(st.tuples(TEXT, LABEL), min_size=1, max_size=6), st.sampled_from(["tsv", "csv", "jsonl"]))
def test_valid_text_files_round_trip(rows, kind):
    if kind == "jsonl":
        body = "".join(json.dumps({"sentence": t, "label": lab}, ensure_ascii=False) + "\n" for t, lab in rows)
    else:
        sep = "\t" if kind == "tsv" else ","
        body = f"sentence{sep}label\n" + "".join(f"{t}{sep}{lab}\n" for t, lab in rows)
    read = list(read_text_classification(write(body, f"train.{kind}")))
    assert [(e["text"], e["label"]) for e in read] == rows


@st.composite
def corruption(draw, data: bytes) -> bytes:
    """``data`` with a random byte inserted, deleted or replaced, or cut short."""
    position = draw(st.integers(0, len(data)))
    byte = bytes([draw(st.integers(0, 255))])
    kind = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
    if kind == "insert":
        return data[:position] + byte + data[position:]
    if kind == "delete":
        return data[:position] + data[position + 1 :]
    if kind == "replace":
        return data[:position] + byte + data[position + 1 :]
    return data[:position]


def assert_reader_error_inside(read, data: bytes) -> None:
    try:
        read()
    except ReaderError as err:
        assert 1 <= err.line <= max(1, data.count(b"\n") + 1), err
    except UnicodeError as err:  # pragma: no cover - would be a bug
        raise AssertionError(f"{type(err).__name__} escaped the reader: {err}") from err


@SETTINGS
@given(st.data(), st.lists(iob2_sentence(), min_size=1, max_size=4))
def test_corrupted_conll_files_raise_the_readers_error(data, sentences):
    corrupted = data.draw(corruption(conll_text(sentences).encode("utf-8")))
    path = write(corrupted, "train.txt")
    assert_reader_error_inside(lambda: list(read_conll(path, file_scheme="IOB2")), corrupted)


@SETTINGS
@given(st.data(), st.lists(st.tuples(TEXT, LABEL), min_size=1, max_size=4), st.sampled_from(["tsv", "csv", "jsonl"]))
def test_corrupted_text_files_raise_the_readers_error(data, rows, kind):
    if kind == "jsonl":
        body = "".join(json.dumps({"sentence": t, "label": lab}) + "\n" for t, lab in rows)
    else:
        sep = "\t" if kind == "tsv" else ","
        body = f"sentence{sep}label\n" + "".join(f"{t}{sep}{lab}\n" for t, lab in rows)
    corrupted = data.draw(corruption(body.encode("utf-8")))
    path = write(corrupted, f"train.{kind}")
    assert_reader_error_inside(lambda: list(read_text_classification(path)), corrupted)
