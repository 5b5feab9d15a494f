"""CoNLL readers: good files, every error with its line number, the load_conll cache, nothing dropped."""
import os
from pathlib import Path

import pytest

from seqlab.data.readers import ReaderError, load_conll, read_conll

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "seqlab" / "resources" / "sample" / "conll"

GOOD = (
    "-DOCSTART- -X- -X- O\n"
    "\n"
    "EU NNP I-NP I-ORG\n"
    "rejects VBZ I-VP O\n"
    "German JJ I-NP I-MISC\n"
    "call NN I-NP O\n"
    "\n"
    "\n"
    "Peter   NNP  I-NP   I-PER\n"
    "Blackburn\tNNP I-NP I-PER\n"
    "\n"
    "-DOCSTART- -X- -X- O\n"
    "\n"
    "Italian JJ I-NP I-MISC\n"
    "Mexican JJ B-NP B-MISC\n"
    "talks NNS I-NP O"  # last sentence without trailing newline / blank line
)


def write(tmp_path: Path, text: str | bytes, name: str = "data.txt") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def cache(tmp_path: Path) -> str:
    return str(tmp_path / "cache")


# ---------------------------------------------------------------------------- good files


def test_read_good_iob1_file_keeps_scheme(tmp_path):
    """DOCSTART, extra blank lines, runs of spaces/tabs, no trailing blank line: all read."""
    path = write(tmp_path, GOOD)
    sentences = list(read_conll(path, file_scheme="IOB1"))
    assert sentences == [
        {"tokens": ["EU", "rejects", "German", "call"], "tags": ["I-ORG", "O", "I-MISC", "O"]},
        {"tokens": ["Peter", "Blackburn"], "tags": ["I-PER", "I-PER"]},
        {"tokens": ["Italian", "Mexican", "talks"], "tags": ["I-MISC", "B-MISC", "O"]},
    ]


def test_read_iob1_converted_to_iob2(tmp_path):
    """IOB1 labels are re-encoded as IOB2 at read time."""
    path = write(tmp_path, GOOD)
    tags = [s["tags"] for s in read_conll(path, file_scheme="IOB1", tag_scheme="IOB2")]
    assert tags == [["B-ORG", "O", "B-MISC", "O"], ["B-PER", "I-PER"], ["B-MISC", "B-MISC", "O"]]


def test_read_iob1_converted_to_iobes(tmp_path):
    """IOB1 labels are re-encoded as IOBES at read time."""
    path = write(tmp_path, GOOD)
    tags = [s["tags"] for s in read_conll(path, file_scheme="IOB1", tag_scheme="IOBES")]
    assert tags == [["S-ORG", "O", "S-MISC", "O"], ["B-PER", "E-PER"], ["S-MISC", "S-MISC", "O"]]


def test_read_pos_column_without_scheme(tmp_path):
    """label_column=1 with file_scheme=None reads POS tags as plain labels."""
    path = write(tmp_path, GOOD)
    sentences = list(read_conll(path, label_column=1, file_scheme=None))
    assert [s["tags"] for s in sentences] == [["NNP", "VBZ", "JJ", "NN"], ["NNP", "NNP"], ["JJ", "JJ", "NNS"]]
    assert sentences[0]["tokens"] == ["EU", "rejects", "German", "call"]


def test_read_chunk_column_negative_index(tmp_path):
    """label_column=-2 counts from the end (the chunk column, IOB1)."""
    path = write(tmp_path, GOOD)
    sentences = list(read_conll(path, label_column=-2, file_scheme="IOB1", tag_scheme="IOB2"))
    assert sentences[0]["tags"] == ["B-NP", "B-VP", "B-NP", "I-NP"]
    assert sentences[2]["tags"] == ["B-NP", "B-NP", "I-NP"]


def test_read_token_column_configurable(tmp_path):
    """token_column picks another column as the token."""
    path = write(tmp_path, GOOD)
    sentences = list(read_conll(path, token_column=1, label_column=None))
    assert sentences[1] == {"tokens": ["NNP", "NNP"]}


def test_read_unlabelled_has_no_tags(tmp_path):
    """label_column=None: only tokens, one column is enough."""
    path = write(tmp_path, "Hello\nworld\n\nBye\n")
    assert list(read_conll(path, label_column=None)) == [{"tokens": ["Hello", "world"]}, {"tokens": ["Bye"]}]


def test_read_two_column_iob2(tmp_path):
    """The default (token first, label last, IOB2) on a two-column file."""
    path = write(tmp_path, "John B-PER\nSmith I-PER\nsaid O\n\nParis B-LOC\n\n")
    assert list(read_conll(path)) == [
        {"tokens": ["John", "Smith", "said"], "tags": ["B-PER", "I-PER", "O"]},
        {"tokens": ["Paris"], "tags": ["B-LOC"]},
    ]


def test_read_crlf_line_endings(tmp_path):
    """Windows line endings are treated like LF."""
    path = write(tmp_path, b"John B-PER\r\nsaid O\r\n\r\nParis B-LOC\r\n")
    assert list(read_conll(path)) == [
        {"tokens": ["John", "said"], "tags": ["B-PER", "O"]},
        {"tokens": ["Paris"], "tags": ["B-LOC"]},
    ]


def test_load_conll_good_file(tmp_path):
    """load_conll gives a Dataset with the same rows as read_conll."""
    path = write(tmp_path, GOOD)
    dataset = load_conll(path, file_scheme="IOB1", tag_scheme="IOBES", cache_dir=cache(tmp_path))
    assert len(dataset) == 3
    assert dataset.column_names == ["tokens", "tags"]
    assert dataset.to_list() == list(read_conll(path, file_scheme="IOB1", tag_scheme="IOBES"))


def test_load_conll_unlabelled(tmp_path):
    """load_conll with label_column=None has a tokens column only."""
    path = write(tmp_path, GOOD)
    dataset = load_conll(path, label_column=None, cache_dir=cache(tmp_path))
    assert dataset.column_names == ["tokens"]
    assert dataset[1] == {"tokens": ["Peter", "Blackburn"]}


# ---------------------------------------------------------------------------- errors


def reader_error(path: Path, **kwargs) -> ReaderError:
    with pytest.raises(ReaderError) as info:
        list(read_conll(path, **kwargs))
    err = info.value
    assert err.path == str(path)
    assert str(err).startswith(f"{path}:{err.line}: ")
    return err


def load_error(tmp_path: Path, path: Path, **kwargs) -> ReaderError:
    with pytest.raises(ReaderError) as info:
        load_conll(path, cache_dir=cache(tmp_path), **kwargs)
    assert type(info.value) is ReaderError
    return info.value


def assert_same_error_from_load(tmp_path, path, err, **kwargs):
    """load_conll raises the same ReaderError (not a datasets wrapper)."""
    loaded = load_error(tmp_path, path, **kwargs)
    assert (loaded.line, str(loaded)) == (err.line, str(err))


def test_error_wrong_column_count(tmp_path):
    """A line with a different width names expected/found counts and the line that set the width."""
    text = "-DOCSTART- -X- -X- O\n\nEU NNP I-NP B-ORG\nrejects VBZ I-VP O\n\nGerman JJ B-MISC\n"
    path = write(tmp_path, text)
    err = reader_error(path)
    assert err.line == 6
    assert "expected 4 columns (as on line 3), found 3" in str(err)
    assert "'German JJ B-MISC'" in str(err)
    assert_same_error_from_load(tmp_path, path, err)


def test_error_too_few_columns_on_first_line(tmp_path):
    """The first token line must have the label column."""
    path = write(tmp_path, "\nEU\nrejects O\n")
    err = reader_error(path, label_column=1)
    assert err.line == 2
    assert "expected at least 2 whitespace-separated columns, found 1" in str(err)
    assert_same_error_from_load(tmp_path, path, err, label_column=1)


def test_error_too_few_columns_for_token_column(tmp_path):
    """token_column beyond the line's width is reported, not an IndexError."""
    path = write(tmp_path, "EU B-ORG\n")
    err = reader_error(path, token_column=2)
    assert err.line == 1
    assert "expected at least 3 whitespace-separated columns, found 2" in str(err)


def test_error_too_few_columns_default_label_column(tmp_path):
    """Default columns (token 0, label -1) need two columns; a one-column first line is an error."""
    path = write(tmp_path, "NNP\nVBZ\n")
    err = reader_error(path, file_scheme=None)
    assert err.line == 1
    assert "expected at least 2 whitespace-separated columns, found 1" in str(err)


@pytest.mark.parametrize("text", ["", "\n\n  \n\t\n"], ids=["empty", "blank-lines-only"])
def test_error_empty_file(tmp_path, text):
    """An empty file (or one with only blank lines) is an error on line 1."""
    path = write(tmp_path, text)
    err = reader_error(path)
    assert err.line == 1
    assert "file is empty" in str(err)
    assert_same_error_from_load(tmp_path, path, err)


def test_error_docstart_only_file(tmp_path):
    """A file with -DOCSTART- but no token lines has no sentences: a ReaderError from both readers."""
    path = write(tmp_path, "-DOCSTART- -X- -X- O\n\n")
    with pytest.raises(ReaderError):
        list(read_conll(path))
    with pytest.raises(ReaderError):
        load_conll(path, cache_dir=cache(tmp_path))


def test_utf8_bom_is_not_part_of_first_token(tmp_path):
    """A UTF-8 BOM must not turn -DOCSTART- into a token (stripping it or a ReaderError are both fine)."""
    path = write(tmp_path, b"\xef\xbb\xbf-DOCSTART- -X- -X- O\n\nJohn NNP I-NP B-PER\n")
    try:
        sentences = list(read_conll(path))
    except ReaderError:
        return
    assert sentences == [{"tokens": ["John"], "tags": ["B-PER"]}]


def test_error_label_not_in_scheme(tmp_path):
    """A label the declared scheme does not have is reported on the offending token's line."""
    path = write(tmp_path, "EU B-ORG\nsays O\n\nPeter B-PER\nBlackburn E-PER\nsaid O\n")
    err = reader_error(path, file_scheme="IOB2")
    assert err.line == 5
    assert "'E-PER' is not valid in IOB2" in str(err)
    assert_same_error_from_load(tmp_path, path, err, file_scheme="IOB2")


def test_error_label_without_prefix(tmp_path):
    """A bare type like `PER` is not a label of IOB2."""
    path = write(tmp_path, "Peter PER\n")
    err = reader_error(path)
    assert err.line == 1
    assert "'PER' is not valid in IOB2" in str(err)


def test_error_i_after_o_in_iob2(tmp_path):
    """An I- after O in an IOB2 file is reported on the I- line."""
    path = write(tmp_path, "-DOCSTART- O\n\nEU B-ORG\nrejects O\nGerman I-MISC\ncall O\n")
    err = reader_error(path, file_scheme="IOB2")
    assert err.line == 5
    assert "'I-MISC' after 'O' is not valid in IOB2" in str(err)
    assert_same_error_from_load(tmp_path, path, err, file_scheme="IOB2")


def test_error_invalid_iobes_span_line(tmp_path):
    """IOBES: an unterminated span is reported on the line of the span's last tag."""
    path = write(tmp_path, "a O\n\nb B-PER\nc I-PER\nd O\n")
    err = reader_error(path, file_scheme="IOBES", tag_scheme="IOB2")
    assert err.line == 4
    assert "span must end with E-PER" in str(err)


def test_iob1_quirk_accepted_in_file(tmp_path):
    """IOB1 `O B-MISC` in a file is accepted (CoNLL-2003 train has it)."""
    path = write(tmp_path, "a O\nb B-MISC\n")
    assert list(read_conll(path, file_scheme="IOB1", tag_scheme="IOB2")) == [
        {"tokens": ["a", "b"], "tags": ["O", "B-MISC"]}
    ]


def test_error_undecodable_bytes(tmp_path):
    """Latin-1 bytes on line 3 are reported as not valid UTF-8 with the line number."""
    path = write(tmp_path, b"EU B-ORG\n\ncaf\xe9 O\n")
    err = reader_error(path)
    assert err.line == 3
    assert "not valid UTF-8" in str(err)
    assert "b'\\xe9'" in str(err)
    assert "column 4" in str(err)
    assert_same_error_from_load(tmp_path, path, err)


def test_error_docstart_inside_sentence(tmp_path):
    """-DOCSTART- without a blank line before it is an error on the DOCSTART line."""
    path = write(tmp_path, "EU B-ORG\nrejects O\n-DOCSTART- O\n\nPeter B-PER\n")
    err = reader_error(path)
    assert err.line == 3
    assert "-DOCSTART- inside a sentence" in str(err)
    assert_same_error_from_load(tmp_path, path, err)


def test_missing_file(tmp_path):
    """A missing file raises FileNotFoundError naming the path (both readers)."""
    path = tmp_path / "nope" / "missing.txt"
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        list(read_conll(path))
    with pytest.raises(FileNotFoundError) as info:
        load_conll(path, cache_dir=cache(tmp_path))
    assert str(path) in str(info.value)


def test_reader_error_is_value_error(tmp_path):
    """ReaderError is a ValueError carrying path and line."""
    err = ReaderError("x.txt", 7, "bad")
    assert isinstance(err, ValueError)
    assert (err.path, err.line, str(err)) == ("x.txt", 7, "x.txt:7: bad")


# ---------------------------------------------------------------------------- cache


def test_load_conll_rereads_changed_file(tmp_path):
    """An edited file (new size) is re-read, not served from the cache."""
    path = write(tmp_path, "John B-PER\n")
    first = load_conll(path, cache_dir=cache(tmp_path))
    assert first.to_list() == [{"tokens": ["John"], "tags": ["B-PER"]}]
    write(tmp_path, "Paris B-LOC\nis O\n\nbig O\n")
    second = load_conll(path, cache_dir=cache(tmp_path))
    assert second.to_list() == [{"tokens": ["Paris", "is"], "tags": ["B-LOC", "O"]}, {"tokens": ["big"], "tags": ["O"]}]


def test_load_conll_rereads_same_size_file_with_new_mtime(tmp_path):
    """Same size, different content, newer mtime: still re-read."""
    path = write(tmp_path, "John B-PER\n")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert load_conll(path, cache_dir=cache(tmp_path))["tokens"] == [["John"]]
    write(tmp_path, "Jane B-PER\n")
    os.utime(path, ns=(2_000_000_000, 2_000_000_000))
    assert load_conll(path, cache_dir=cache(tmp_path))["tokens"] == [["Jane"]]


def test_load_conll_options_are_part_of_cache_key(tmp_path):
    """Loading the same file with another target scheme gives the other encoding."""
    path = write(tmp_path, "Peter I-PER\nBlackburn I-PER\n")
    assert load_conll(path, file_scheme="IOB1", tag_scheme="IOB2", cache_dir=cache(tmp_path))["tags"] == [
        ["B-PER", "I-PER"]
    ]
    assert load_conll(path, file_scheme="IOB1", tag_scheme="BILOU", cache_dir=cache(tmp_path))["tags"] == [
        ["B-PER", "L-PER"]
    ]


# ---------------------------------------------------------------------------- nothing dropped


def simple_count(path: Path) -> tuple[int, int]:
    """Independent count of sentences and tokens: non-blank non-DOCSTART lines, grouped by blank lines."""
    sentences = tokens = 0
    in_sentence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            in_sentence = False
            continue
        if line.startswith("-DOCSTART-"):
            continue
        tokens += 1
        if not in_sentence:
            sentences += 1
            in_sentence = True
    return sentences, tokens


def test_nothing_dropped_small_file(tmp_path):
    """Sentence and token counts of read_conll and load_conll match an independent count."""
    path = write(tmp_path, GOOD)
    expected = simple_count(path)
    assert expected == (3, 9)
    read = list(read_conll(path, file_scheme="IOB1"))
    assert (len(read), sum(len(s["tokens"]) for s in read)) == expected
    assert all(len(s["tokens"]) == len(s["tags"]) for s in read)
    loaded = load_conll(path, file_scheme="IOB1", cache_dir=cache(tmp_path))
    assert (len(loaded), sum(len(t) for t in loaded["tokens"])) == expected


@pytest.mark.parametrize("split,sizes", [("train", (320, 4121)), ("dev", (100, 1372)), ("test", (100, 1430))])
def test_nothing_dropped_sample_corpus(tmp_path, split, sizes):
    """The bundled sample corpus: every sentence and token is read (counts from its README too)."""
    path = SAMPLE_DIR / f"{split}.txt"
    expected = simple_count(path)
    assert expected == sizes
    read = list(read_conll(path, file_scheme="IOB1", tag_scheme="IOB2"))
    assert (len(read), sum(len(s["tokens"]) for s in read)) == expected
    assert all(len(s["tokens"]) == len(s["tags"]) for s in read)
    loaded = load_conll(path, file_scheme="IOB1", tag_scheme="IOB2", cache_dir=cache(tmp_path))
    assert (len(loaded), sum(len(t) for t in loaded["tokens"])) == expected


def test_no_break_space_stays_inside_a_token(tmp_path):
    """Columns split on ASCII spaces and tabs only: a no-break space is part of the token."""
    path = write(tmp_path, "New\u00a0York B-LOC\nsays O\n")
    assert list(read_conll(path)) == [{"tokens": ["New\u00a0York", "says"], "tags": ["B-LOC", "O"]}]


def test_unknown_label_in_dev_names_file_and_line(tmp_path):
    """Dev/test are read with the training labels: a new label is an error at its line."""
    path = write(tmp_path, "EU B-ORG\n\nParis B-LOC\nsays O\n")
    for reader in (lambda: list(read_conll(path, known_labels=["O", "B-ORG", "I-ORG"])),
                   lambda: load_conll(path, cache_dir=cache(tmp_path), known_labels=["O", "B-ORG", "I-ORG"])):
        with pytest.raises(ReaderError, match=r"data.txt:3: label 'B-LOC' does not occur in the training data"):
            reader()


def test_unknown_label_is_quoted_as_the_file_writes_it(tmp_path):
    """An IOB1 test file read into IOBES: the error quotes 'I-EVENT', not the converted 'S-EVENT'."""
    path = write(tmp_path, "EU I-ORG\n\nOlympics I-EVENT\nstart O\n")
    known = ["O", "B-ORG", "I-ORG", "E-ORG", "S-ORG"]
    with pytest.raises(ReaderError, match=r"data.txt:3: label 'I-EVENT' does not occur in the training data; .* "
                                          r"\(read as 'S-EVENT' in IOBES\)"):
        list(read_conll(path, file_scheme="IOB1", tag_scheme="IOBES", known_labels=known))


def test_declared_entity_types_make_any_other_an_error_at_its_line(tmp_path):
    from seqlab.data.datamodules import ConllDataModule

    data = tmp_path / "data"
    data.mkdir()
    (data / "train.txt").write_text("EU B-ORG\nrejects O\n\nPeter B-PER\n\nParis B-LCO\n")
    module = ConllDataModule(str(data), dev_file=None, test_file=None, file_scheme="IOB2", labels=["PER", "LOC", "ORG"],
                             cache_dir=str(tmp_path / "cache"))
    with pytest.raises(ReaderError, match=r"train.txt:6: label 'B-LCO' does not occur in data.labels"):
        module.setup("fit")
    (data / "train.txt").write_text("EU B-ORG\nrejects O\n")
    module = ConllDataModule(str(data), dev_file=None, test_file=None, file_scheme="IOB2", labels=["PER", "ORG"],
                             cache_dir=str(tmp_path / "cache2"))
    module.setup("fit")
    assert module.spec.labels == ("O", "B-ORG", "I-ORG", "B-PER", "I-PER")  # every declared type, seen or not
