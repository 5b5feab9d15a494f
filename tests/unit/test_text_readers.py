"""Text-classification reader: TSV/CSV/JSONL files, every error as ReaderError with its line."""
from __future__ import annotations

import gzip

from pathlib import Path

import pytest

from seqlab.data.readers import ReaderError, load_examples, read_text_classification


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def read(path: Path, **kwargs) -> list[dict]:
    return list(read_text_classification(path, **kwargs))


def reader_error(path: Path, line: int, match: str, **kwargs) -> ReaderError:
    """Reading ``path`` raises ReaderError at ``line`` whose message matches ``match``."""
    with pytest.raises(ReaderError, match=match) as info:
        read(path, **kwargs)
    assert info.value.line == line
    assert info.value.path == str(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    return info.value


# ---------------------------------------------------------------------------- good files


def test_tsv_with_header_strips_spaces_around_fields(tmp_path):
    path = write(tmp_path, "train.tsv", "sentence\tlabel\ngood film  \tpos\n  a \"quoted\" word\t neg \n")
    assert read(path) == [
        {"text": "good film", "line": 2, "label": "pos"},
        {"text": 'a "quoted" word', "line": 3, "label": "neg"},  # TSV: quotes are plain characters
    ]


def test_tsv_blank_lines_are_skipped_and_line_numbers_kept(tmp_path):
    path = write(tmp_path, "train.tsv", "sentence\tlabel\n\nfirst\tpos\n\nsecond\tneg\n")
    assert [(e["text"], e["line"]) for e in read(path)] == [("first", 3), ("second", 5)]


def test_csv_with_quoted_commas(tmp_path):
    path = write(tmp_path, "train.csv", 'sentence,label\n"good, fun film",pos\n"a ""quoted"" one",neg\nplain,pos\n')
    assert read(path) == [
        {"text": "good, fun film", "line": 2, "label": "pos"},
        {"text": 'a "quoted" one', "line": 3, "label": "neg"},
        {"text": "plain", "line": 4, "label": "pos"},
    ]


def test_jsonl_with_custom_fields(tmp_path):
    path = write(
        tmp_path, "reviews.jsonl",
        '{"review": "great film", "stars": 5, "id": 1}\n\n{"review": " meh ", "stars": "2"}\n',
    )
    assert read(path, text_field="review", label_field="stars") == [
        {"text": "great film", "line": 1, "label": "5"},  # labels become strings
        {"text": "meh", "line": 3, "label": "2"},
    ]


def test_json_suffix_reads_as_jsonl(tmp_path):
    path = write(tmp_path, "data.json", '{"sentence": "hello", "label": "a"}\n')
    assert read(path) == [{"text": "hello", "line": 1, "label": "a"}]


@pytest.mark.parametrize(
    "name, text, format, line",
    [
        ("data.txt", "sentence\tlabel\nhello there\tpos\n", "tsv", 2),
        ("data.txt", "sentence,label\nhello there,pos\n", "csv", 2),
        ("data.txt", '{"sentence": "hello there", "label": "pos"}\n', "jsonl", 1),
        ("data.tsv", "sentence,label\nhello there,pos\n", "csv", 2),  # explicit format beats the suffix
        ("data.csv", "sentence\tlabel\nhello there\tpos\n", "TSV", 2),  # case-insensitive
    ],
)
def test_explicit_format(tmp_path, name, text, format, line):
    path = write(tmp_path, name, text)
    assert read(path, format=format) == [{"text": "hello there", "line": line, "label": "pos"}]


def test_uppercase_suffix(tmp_path):
    path = write(tmp_path, "DATA.TSV", "sentence\tlabel\nhello\tpos\n")
    assert read(path) == [{"text": "hello", "line": 2, "label": "pos"}]


@pytest.mark.parametrize(
    "name, text",
    [
        ("test.tsv", "sentence\nfirst one\nsecond one\n"),
        ("test.csv", "sentence,label\nfirst one,x\nsecond one,y\n"),
        ("test.jsonl", '{"sentence": "first one"}\n{"sentence": "second one", "label": ""}\n'),
    ],
)
def test_unlabelled(tmp_path, name, text):
    path = write(tmp_path, name, text)
    examples = read(path, label_field=None)
    assert [e["text"] for e in examples] == ["first one", "second one"]
    assert all("label" not in e for e in examples)


def test_utf8_bom_and_non_ascii_text(tmp_path):
    path = write(tmp_path, "train.tsv", "\ufeffsentence\tlabel\ncafé très bon\tpos\n")
    assert read(path) == [{"text": "café très bon", "line": 2, "label": "pos"}]


def test_known_labels_accepts_known(tmp_path):
    path = write(tmp_path, "dev.tsv", "sentence\tlabel\na\tpos\nb\tneg\n")
    assert [e["label"] for e in read(path, known_labels=("neg", "pos"))] == ["pos", "neg"]


# ---------------------------------------------------------------------------- errors


def test_jsonl_row_without_label_key(tmp_path):
    path = write(tmp_path, "r.jsonl", '{"review": "x", "stars": 1}\n{"review": "y"}\n')
    reader_error(path, 2, r"missing field 'stars'; found review", text_field="review", label_field="stars")


def test_jsonl_null_text_is_missing(tmp_path):
    path = write(tmp_path, "r.jsonl", '{"sentence": null, "label": "a"}\n')
    reader_error(path, 1, r"missing field 'sentence'")


def test_tsv_header_without_the_text_column(tmp_path):
    path = write(tmp_path, "train.tsv", "text\tlabel\nhello\tpos\n")
    reader_error(path, 1, r"the header names no 'sentence' column \(found 'text', 'label'\); expected a first line "
                          r"naming the columns, e.g. 'sentence\\tlabel' \(tab-separated\)")


def test_a_headerless_file_is_named_as_such_at_line_1(tmp_path):
    path = write(tmp_path, "train.tsv", "a good film\t1\na bad one\t0\n")
    reader_error(path, 1, r"the header names no 'sentence' column \(found 'a good film', '1'\)")


def test_a_directory_given_as_a_file_is_named_as_such(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory, expected a file"):
        list(read_text_classification(tmp_path))


@pytest.mark.parametrize(
    "text, line, found",
    [
        ("sentence\tlabel\nok\tpos\ntoo\tmany\tfields\n", 3, 3),
        ("sentence\tlabel\nok\tpos\nno label here\n", 3, 1),
    ],
)
def test_tsv_row_with_wrong_field_count(tmp_path, text, line, found):
    path = write(tmp_path, "train.tsv", text)
    reader_error(path, line, rf"expected 2 fields \(sentence, label\), found {found}$")


def test_csv_row_with_wrong_field_count(tmp_path):
    path = write(tmp_path, "train.csv", "sentence,label\nok,pos\nunquoted, comma,pos\n")
    reader_error(path, 3, r"expected 2 fields \(sentence, label\), found 3")


@pytest.mark.parametrize(
    "name, text, line",
    [
        ("train.tsv", "sentence\tlabel\nok\tpos\n   \tpos\n", 3),
        ("train.jsonl", '{"sentence": "ok", "label": "pos"}\n{"sentence": "  ", "label": "pos"}\n', 2),
    ],
)
def test_empty_text(tmp_path, name, text, line):
    reader_error(write(tmp_path, name, text), line, r"empty text in field 'sentence'")


@pytest.mark.parametrize(
    "name, text, line",
    [
        ("train.tsv", "sentence\tlabel\nok\tpos\nno label\t  \n", 3),
        ("train.csv", 'sentence,label\n"ok",pos\n"no label",\n', 3),
        ("train.jsonl", '{"sentence": "ok", "label": ""}\n', 1),
    ],
)
def test_empty_label(tmp_path, name, text, line):
    reader_error(write(tmp_path, name, text), line, r"empty label in field 'label'")


def test_unknown_label_with_known_labels(tmp_path):
    path = write(tmp_path, "dev.tsv", "sentence\tlabel\na\tpos\nb\tneutral\n")
    error = reader_error(path, 3, r"label 'neutral' does not occur in the training data", known_labels=("neg", "pos"))
    assert "known labels: neg, pos" in str(error)


def test_invalid_json_names_the_line(tmp_path):
    path = write(tmp_path, "r.jsonl", '{"sentence": "a", "label": "b"}\n\n{"sentence": tru, "label": "b"}\n')
    reader_error(path, 3, r"invalid JSON \(Expecting value at column 14\)")


def test_invalid_json_truncated_line_reports_its_real_column(tmp_path):
    path = write(tmp_path, "r.jsonl", '{"sentence": "a",\n')
    reader_error(path, 1, r"invalid JSON \(Expecting property name enclosed in double quotes at column 18\)")


@pytest.mark.parametrize("value, kind", [("[1, 2]", "list"), ('"just text"', "str"), ("3", "int"), ("null", "NoneType")])
def test_json_line_that_is_not_an_object(tmp_path, value, kind):
    path = write(tmp_path, "r.jsonl", '{"sentence": "a", "label": "b"}\n' + value + "\n")
    reader_error(path, 2, rf"expected a JSON object per line, found {kind}$")


@pytest.mark.parametrize(
    "name, text",
    [
        ("train.tsv", "sentence\tlabel\n"),
        ("train.tsv", "sentence\tlabel\n\n\n"),
        ("train.csv", "sentence,label\n"),
        ("train.tsv", ""),
        ("train.jsonl", "\n\n"),
    ],
)
def test_header_only_or_empty_file_has_no_examples(tmp_path, name, text):
    reader_error(write(tmp_path, name, text), 1, r"no examples; expected a header line and rows with 'sentence'")


def test_undecodable_bytes(tmp_path):
    path = write(tmp_path, "train.tsv", b"sentence\tlabel\nfine\tpos\nb\xffd\tneg\n")
    reader_error(path, 3, r"bytes b'\\xff' at column 2 are not valid UTF-8")


def test_undecodable_bytes_in_jsonl(tmp_path):
    path = write(tmp_path, "train.jsonl", b'{"sentence": "a", "label": "b"}\n{"sentence": "\xc3", "label": "b"}\n')
    reader_error(path, 2, r"not valid UTF-8")


@pytest.mark.parametrize("name, format", [("train.xml", None), ("train.tsv", "xlsx"), ("train", None)])
def test_unknown_format(tmp_path, name, format):
    """Not tied to a line: a ValueError (ReaderError is one too) naming the format and data.format."""
    path = write(tmp_path, name, "<rows><row>a</row></rows>\n" if format is None else "sentence\tlabel\na\tb\n")
    kind = format or path.suffix.lstrip(".")
    with pytest.raises(ValueError,
                       match=rf"unknown text format '{kind}'; expected tsv, csv, jsonl or parquet \(set data.format\)"):
        read(path, format=format)


@pytest.mark.parametrize(
    "name, content",
    [
        ("train.txt", "sentence\tlabel\na b\tpos\n"),
        ("train", '{"sentence": "a b", "label": "pos"}\n'),
        ("train.data.gz", gzip.compress(b"sentence,label\na b,pos\n", mtime=0)),
    ],
)
def test_a_name_that_says_no_format_is_read_by_its_content(tmp_path, name, content):
    path = write(tmp_path, name, content)
    assert [(r["text"], r["label"]) for r in read(path)] == [("a b", "pos")]


def test_a_text_file_given_as_parquet_is_an_error_at_line_1(tmp_path):
    path = write(tmp_path, "train.tsv", "sentence\tlabel\na\tb\n")
    reader_error(path, 1, "cannot be read as parquet", format="parquet")


# ---------------------------------------------------------------------------- load_examples


def test_load_examples_reads_into_a_dataset(tmp_path):
    path = write(tmp_path, "train.jsonl", '{"t": "one", "y": "a"}\n{"t": "two", "y": "b"}\n')
    dataset = load_examples(read_text_classification, path, cache_dir=str(tmp_path / "cache"), text_field="t", label_field="y")
    assert dataset["text"] == ["one", "two"] and dataset["label"] == ["a", "b"] and dataset["line"] == [1, 2]


@pytest.mark.parametrize(
    "name, text, kwargs, line, match",
    [
        ("dev.tsv", "sentence\tlabel\na\tpos\nb\tneutral\n", {"known_labels": ["neg", "pos"]}, 3,
         "does not occur in the training data"),
        ("dev.jsonl", '{"sentence": "a"}\n', {}, 1, "missing field 'label'"),
        ("dev.jsonl", "{oops\n", {}, 1, "invalid JSON"),
        ("dev.tsv", "sentence\tlabel\n", {}, 1, "no examples"),
    ],
)
def test_load_examples_raises_the_reader_error_itself(tmp_path, name, text, kwargs, line, match):
    path = write(tmp_path, name, text)
    with pytest.raises(ReaderError, match=match) as info:
        load_examples(read_text_classification, path, cache_dir=str(tmp_path / "cache"), **kwargs)
    assert type(info.value) is ReaderError  # not a datasets wrapper
    assert info.value.line == line and info.value.path == str(path)


def test_load_examples_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_examples(read_text_classification, tmp_path / "absent.tsv", cache_dir=str(tmp_path / "cache"))


def test_load_examples_unknown_format_is_not_wrapped(tmp_path):
    import datasets

    path = write(tmp_path, "train.xml", "<rows><row>a</row></rows>\n")
    with pytest.raises(Exception) as info:
        load_examples(read_text_classification, path, cache_dir=str(tmp_path / "cache"))
    assert not isinstance(info.value, datasets.exceptions.DatasetGenerationError), repr(info.value)
    assert isinstance(info.value, ValueError) and "unknown text format 'xml'" in str(info.value)


def test_a_stray_quote_is_an_error_at_its_line_not_a_merge_of_the_rows_after_it(tmp_path):
    rows = [f"review {i},pos\n" for i in range(20)]
    path = write(tmp_path, "train.csv", "".join(["sentence,label\n", *rows[:3], '"an unclosed quote,neg\n', *rows[3:]]))
    reader_error(path, 5, r"a quote opens here and never closes \(a stray quote\?")
    reader_error(path, 5, r"a quote opens and does not close on this line; a quoted field may span lines only with "
                          r"data.multiline=true", multiline=False)


def test_a_stray_quote_closed_by_another_names_the_lines_its_record_took_in(tmp_path):
    path = write(tmp_path, "train.csv", 'sentence,label\nfine,pos\n"stray,neg\nmore,pos\nlast"\nok,pos\n')
    reader_error(path, 3, r"expected 2 fields \(sentence, label\), found 1 in a record running from this line to "
                          r"line 5 .*a stray quote on this line\?")


def test_records_holding_line_breaks_are_counted_in_a_warning(tmp_path, caplog):
    """A stray quote closed by another with the right field count still merges rows: the log says so."""
    path = write(tmp_path, "train.csv", 'sentence,label\nfine,pos\n"stray,neg\nmore,pos\nlast",neg\nok,pos\n')
    with caplog.at_level("WARNING"):
        assert [e["line"] for e in read(path)] == [2, 3, 6]
    assert f"{path}:3: a record holds line breaks in quoted fields (the first from this line to line 5)" in caplog.text


def test_a_quoted_csv_field_holds_line_breaks_by_default_as_rfc_4180_says(tmp_path):
    path = write(tmp_path, "train.csv", 'sentence,label\r\n"two\r\nlines",pos\r\nnext,neg\r\n')
    assert [(e["text"], e["line"]) for e in read_text_classification(path)] == [("two\r\nlines", 2), ("next", 4)]
    reader_error(path, 2, r"a quote opens and does not close on this line", multiline=False)


def test_tsv_quotes_are_text_unless_multiline_is_set(tmp_path):
    path = write(tmp_path, "train.tsv", 'sentence\tlabel\n"two\nlines"\tpos\nnext\tneg\n')
    reader_error(path, 2, r"expected 2 fields \(sentence, label\), found 1")
    assert [(e["text"], e["line"]) for e in read_text_classification(path, multiline=True)] == [
        ("two\nlines", 2), ("next", 4)]


def test_multiline_lets_a_quoted_field_span_lines(tmp_path):
    path = write(tmp_path, "train.csv", 'sentence,label\n"two\nlines",pos\nnext,neg\n')
    assert [(e["text"], e["line"]) for e in read_text_classification(path, multiline=True)] == [
        ("two\nlines", 2), ("next", 4)]
    reader_error(path, 2, r"a quote opens and does not close on this line", multiline=False)
