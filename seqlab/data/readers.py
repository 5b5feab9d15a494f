"""Strict readers: CoNLL column files into ``datasets.Dataset`` with file:line errors.

Nothing is silently dropped: every malformed line raises :class:`ReaderError` naming the file,
the line and what was expected.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import logging
import lzma
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal

import datasets

from seqlab.data.tag_schemes import InvalidTagError, convert, parse_scheme
from seqlab.errors import ConfigError, ReaderError

log = logging.getLogger(__name__)
DOCSTART = "-DOCSTART-"
_FIELD_SIZE_LIMIT = 2**31 - 1  # the largest the C long of every platform holds
_COLUMN_SEPARATOR = re.compile(r"[ \t]+")


#: Compressed formats read transparently, by their first bytes (whatever the file is called).
_COMPRESSION: dict[bytes, tuple[str, Callable[[Path], io.BufferedIOBase]]] = {
    b"\x1f\x8b": ("gzip", lambda path: gzip.open(path, "rb")),
    b"BZh": ("bzip2", lambda path: bz2.open(path, "rb")),
    b"\xfd7zXZ\x00": ("xz", lambda path: lzma.open(path, "rb")),
}
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz")
#: Control characters that text never holds (tab, line feed and carriage return are fine).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def existing_file(path: str | os.PathLike) -> Path:
    """``path`` as a :class:`Path`, checked to be a file (a folder or a missing path is named as such)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, expected a file")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return path


def open_binary(path: Path) -> tuple[io.BufferedIOBase, str | None]:
    """``path`` opened for reading bytes, decompressed if it is gzip, bzip2 or xz; and that name."""
    with path.open("rb") as handle:
        head = handle.read(6)
    for magic, (name, opener) in _COMPRESSION.items():
        if head.startswith(magic):
            return opener(path), name
    return path.open("rb"), None


def _decoded_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Each line of ``path`` (decompressed) as text, numbered from 1; bytes that are not UTF-8 and
    control characters are a :class:`ReaderError` naming the line and column."""
    handle, compression = open_binary(path)
    number = 0
    with handle:
        try:
            for number, raw in enumerate(handle, start=1):
                try:
                    line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError as err:
                    raise ReaderError(
                        path,
                        number,
                        f"bytes {raw[err.start : err.end]!r} at column {err.start + 1} are not valid UTF-8",
                    ) from None
                control = _CONTROL.search(line)
                if control:
                    raise ReaderError(
                        path,
                        number,
                        f"control character {control.group()!r} at column {control.start() + 1}; expected text",
                    )
                yield number, line
        except (OSError, EOFError, lzma.LZMAError) as err:
            if compression is None:
                raise
            raise ReaderError(path, number + 1, f"the {compression} data is corrupt or cut short ({err})") from None


def read_conll(
    path: str | os.PathLike,
    token_column: int = 0,
    label_column: int | None = -1,
    file_scheme: str | None = "IOB2",
    tag_scheme: str | None = None,
    known_labels: Sequence[str] | None = None,
    known_from: str = "the training data",
    feature_columns: Sequence[int] = (),
) -> Iterator[dict]:
    """Yield ``{"tokens": [...], "tags": [...]}`` per sentence of a CoNLL column file (and
    ``"features"``, each token's values of ``feature_columns``, when given).

    Args:
        path: the file; sentences are separated by blank lines, ``-DOCSTART-`` lines skipped.
        token_column: column index of the token.
        label_column: column index of the label (negative counts from the end), or ``None``
            for unlabelled text (then ``tags`` is omitted).
        file_scheme: the span scheme the labels are written in, validated per sentence;
            ``None`` for plain labels such as POS tags (no validation or conversion).
        tag_scheme: re-encode labels into this scheme (default: keep ``file_scheme``).
        known_labels: if given, a (converted) label outside this set is an error; dev and test
            files are read with the training labels.
        known_from: where ``known_labels`` come from, for the error message.
        feature_columns: further columns read as features (POS, chunk), one list per token.
    """
    path = existing_file(path)
    source = parse_scheme(file_scheme) if file_scheme else None
    target = parse_scheme(tag_scheme) if tag_scheme else source
    width: int | None = None
    width_line = 0
    tokens: list[str] = []
    tags: list[str] = []
    lines: list[int] = []
    features: list[list[str]] = []
    sentences = 0
    known = frozenset(known_labels or ())

    def finish() -> dict:
        example: dict = {"tokens": list(tokens)}
        if feature_columns:
            example["features"] = [list(values) for values in features]
        if label_column is not None:
            labels = list(tags)
            if source is not None:
                assert target is not None  # falls back to ``source``
                try:
                    labels = convert(labels, source, target)
                except InvalidTagError as err:
                    raise ReaderError(path, lines[err.position], str(err)) from None
            if known_labels is not None:
                for position, label in enumerate(labels):
                    if label not in known:
                        written = tags[position]  # quoted as the file writes it, not as converted
                        extra = f" (read as {label!r} in {target.value})" if label != written and target else ""
                        message = _unknown_label(written, known_labels, known_from) + extra
                        raise ReaderError(path, lines[position], message)
            example["tags"] = labels
        return example

    for number, line in _decoded_lines(path):
        fields = split_columns(line)
        if not fields:
            if tokens:
                sentences += 1
                yield finish()
                tokens.clear()
                tags.clear()
                lines.clear()
                features.clear()
            continue
        if fields[0] == DOCSTART:
            if tokens:
                raise ReaderError(path, number, f"{DOCSTART} inside a sentence; expected a blank line before it")
            continue
        if width is None:
            _check_columns(path, number, len(fields), token_column, label_column, feature_columns)
            width, width_line = len(fields), number
        elif len(fields) != width:
            raise ReaderError(
                path,
                number,
                f"expected {width} columns (as on line {width_line}), found {len(fields)}: {line.strip()!r}",
            )
        tokens.append(fields[token_column])
        if feature_columns:
            features.append([fields[c] for c in feature_columns])
        if label_column is not None:
            tags.append(fields[label_column])
        lines.append(number)
    if tokens:
        sentences += 1
        yield finish()
    if not sentences:
        raise ReaderError(path, 1, "file is empty (no token lines); expected CoNLL columns, one token per line")


def split_columns(line: str) -> list[str]:
    """Fields of a CoNLL line, split on ASCII spaces and tabs only (a no-break space stays in its token)."""
    stripped = line.strip(" \t\r\n")
    return _COLUMN_SEPARATOR.split(stripped) if stripped else []


def _check_columns(
    path: Path,
    number: int,
    found: int,
    token_column: int,
    label_column: int | None,
    feature_columns: Sequence[int] = (),
) -> None:
    """The first line fixes the width: token, label and feature columns must exist and differ."""
    columns = [token_column] + ([label_column] if label_column is not None else []) + list(feature_columns)
    needed = max(max(c + 1 if c >= 0 else -c for c in columns), len(columns))
    resolved = {c % found for c in columns} if found >= needed else set()
    if found < needed or len(resolved) < len(columns):
        what = " (token, label and data.feature_columns, each a different column)" if feature_columns else ""
        raise ReaderError(path, number, f"expected at least {needed} whitespace-separated columns{what}, found {found}")


def file_fingerprint(path: str | os.PathLike) -> str:
    """Identity of a file's current contents for cache keys (path, size, modification time)."""
    stat = Path(path).stat()
    return f"{Path(path).resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def _unknown_label(label: str, known_labels: Sequence[str], known_from: str = "the training data") -> str:
    return f"label {label!r} does not occur in {known_from}; known labels: {', '.join(known_labels)}"


def _generate(reader: Callable[..., Iterator[dict]], path: str, fingerprint: str, **kwargs) -> Iterator[dict]:
    del fingerprint  # part of the cache key only
    yield from reader(path, **kwargs)


def load_examples(
    reader: Callable[..., Iterator[dict]], path: str | os.PathLike, cache_dir: str | None = None, **kwargs
) -> datasets.Dataset:
    """Run ``reader(path, **kwargs)`` into a cached Arrow ``datasets.Dataset``.

    The cache key includes the reader, its arguments and the file's size and modification
    time, so an edited file is re-read. Reader errors surface as themselves (file:line).
    """
    path = existing_file(path)
    # datasets shards list-valued generator arguments; the readers want them whole.
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    try:
        return datasets.Dataset.from_generator(
            _generate,
            gen_kwargs=dict(reader=reader, path=str(path), fingerprint=file_fingerprint(path), **kwargs),
            cache_dir=cache_dir,
        )
    except datasets.exceptions.DatasetGenerationError as err:
        if isinstance(err.__cause__, (ValueError, OSError)):  # ReaderError and ConfigError are ValueErrors
            raise err.__cause__ from None
        raise


def load_conll(path: str | os.PathLike, cache_dir: str | None = None, **kwargs) -> datasets.Dataset:
    """:func:`read_conll` into a cached ``datasets.Dataset`` (see :func:`load_examples`)."""
    return load_examples(read_conll, path, cache_dir=cache_dir, **kwargs)


def read_text_classification(
    path: str | os.PathLike,
    text_field: str = "sentence",
    label_field: str | None = "label",
    format: str | None = None,
    known_labels: Sequence[str] | None = None,
    multiline: bool = False,
    known_from: str = "the training data",
) -> Iterator[dict]:
    """Yield ``{"text": ..., "label": ..., "line": n}`` from a TSV/CSV file with a header, JSONL or
    parquet (where ``n`` counts rows).

    Args:
        path: the file; the format follows its suffix (.tsv, .csv, .jsonl/.json, .parquet) unless
            given, and a file that starts as parquet does is read as parquet whatever its name.
        text_field: column (or JSON key) of the text.
        label_field: column (or key) of the label; ``None`` for unlabelled text.
        format: ``"tsv"``, ``"csv"``, ``"jsonl"`` or ``"parquet"`` (default: from the content and suffix).
        known_labels: if given, a label outside this set is an error (dev/test files).
        multiline: let a quoted CSV field span lines (otherwise an unclosed quote is an error).
        known_from: where ``known_labels`` come from, for the error message.
    """
    path = existing_file(path)
    suffixes = [suffix for suffix in path.suffixes if suffix.lower() not in COMPRESSED_SUFFIXES]
    kind = (format or (suffixes[-1] if suffixes else "").lstrip(".")).lower()
    if format is None and _starts_with(path, PARQUET_MAGIC):
        kind = "parquet"
    elif format is None and kind not in TEXT_FORMATS:
        sniffed = sniff_text_format(path)
        if sniffed is not None:
            log.info("%s: read as %s (from its first line; set data.format to choose)", path, sniffed)
            kind = sniffed
    rows = {
        "tsv": _delimited_rows,
        "csv": _delimited_rows,
        "jsonl": _jsonl_rows,
        "json": _jsonl_rows,
        "parquet": _parquet_rows,
    }
    if kind not in rows:
        raise ConfigError(
            f"{path}: unknown text format {kind!r}; expected tsv, csv, jsonl or parquet (set data.format)"
        )
    count = 0
    fields = [text_field] + ([label_field] if label_field is not None else [])
    kinds: dict[str, tuple[int, object]] = {}  # JSON type of the labels -> its first line and value
    warned = False
    for number, row in rows[kind](path, "\t" if kind == "tsv" else ",", fields, multiline):
        missing = [f for f in fields if row.get(f) is None]
        if missing:
            raise ReaderError(
                path,
                number,
                f"missing field {missing[0]!r}; found {', '.join(map(str, row)) or 'nothing'} "
                "(set data.text_field / data.label_field)",
            )
        text = str(row[text_field]).strip()
        if not text:
            raise ReaderError(path, number, f"empty text in field {text_field!r}")
        example = {"text": text, "line": number}
        if label_field is not None:
            raw = row[label_field]
            kinds.setdefault(type(raw).__name__, (number, raw))
            if len(kinds) == 2 and not warned:
                (kind_a, (line_a, raw_a)), (kind_b, (line_b, raw_b)) = kinds.items()
                log.warning(
                    "%s: labels of mixed JSON types are read as the same strings: %r (%s) on line %d and "
                    "%r (%s) on line %d",
                    path,
                    raw_a,
                    kind_a,
                    line_a,
                    raw_b,
                    kind_b,
                    line_b,
                )
                warned = True
            label = str(raw).strip()
            if not label:
                raise ReaderError(path, number, f"empty label in field {label_field!r}")
            if known_labels is not None and label not in known_labels:
                raise ReaderError(path, number, _unknown_label(label, known_labels, known_from))
            example["label"] = label
        count += 1
        yield example
    if not count:
        raise ReaderError(path, 1, f"no examples; expected a header line and rows with {text_field!r}")


#: The formats a classification file may have, by suffix or ``data.format``.
TEXT_FORMATS = ("tsv", "csv", "jsonl", "json", "parquet")


def sniff_text_format(path: Path) -> str | None:
    """``jsonl``, ``tsv`` or ``csv`` from the first non-blank line of ``path`` (decompressed): a JSON
    object, a header with tabs, or one with commas; ``None`` when it is none of these."""
    for _, line in _decoded_lines(path):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("{"):
            return "jsonl"
        if "\t" in stripped:
            return "tsv"
        return "csv" if "," in stripped else None
    return None


#: The first bytes of a parquet file.
PARQUET_MAGIC = b"PAR1"


def _starts_with(path: Path, magic: bytes) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(magic)) == magic


def _parquet_rows(
    path: Path, delimiter: str, fields: Sequence[str], multiline: bool = False
) -> Iterator[tuple[int, dict]]:
    """Rows of a parquet file (read with pyarrow, a ``datasets`` dependency), numbered from 1;
    only ``fields`` are read."""
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises its own types for a file that is not parquet
        raise ReaderError(path, 1, f"cannot be read as parquet ({type(err).__name__}: {err})") from None
    names = table.schema_arrow.names
    absent = [field for field in fields if field not in names]
    if absent:
        raise ReaderError(
            path, 1, f"no {absent[0]!r} column (found {', '.join(map(repr, names))}); set data.text_field / label_field"
        )
    number = 0
    for batch in table.iter_batches(columns=list(fields)):
        for row in batch.to_pylist():
            number += 1
            yield number, row


def _delimited_rows(
    path: Path, delimiter: str, fields: Sequence[str], multiline: bool = False
) -> Iterator[tuple[int, dict]]:
    """Rows of a TSV/CSV file with a header, numbered by the line they start on.

    A quoted CSV field may span lines only with ``multiline``; otherwise each line is one row,
    and a quote that opens and does not close on its line is an error there (so a stray quote
    never merges the rows after it into one text).
    """
    header = None
    for number, row in _csv_records(path, delimiter, multiline):
        if header is None:
            header = [h.strip() for h in row]
            absent = [field for field in fields if field not in header]
            if absent:
                name = "tab" if delimiter == "\t" else "comma"
                raise ReaderError(
                    path,
                    number,
                    f"the header names no {absent[0]!r} column (found {', '.join(map(repr, header))}); "
                    f"expected a first line naming the columns, e.g. {delimiter.join(fields)!r} ({name}-separated), "
                    "or set data.text_field / data.label_field",
                )
            continue
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ReaderError(path, number, f"expected {len(header)} fields ({', '.join(header)}), found {len(row)}")
        yield number, dict(zip(header, row))


def _csv_records(path: Path, delimiter: str, multiline: bool) -> Iterator[tuple[int, list[str]]]:
    """``(first line, fields)`` of each record; csv's own errors become :class:`ReaderError` at their line.

    TSV fields are never quoted (a quote is part of the text); CSV fields may be.
    """
    quoting: Literal[0, 3] = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    # Fields of any size (a long review is one field); csv's default limit is 131,072 characters.
    csv.field_size_limit(_FIELD_SIZE_LIMIT)
    if multiline:
        reader = csv.reader((line for _, line in _decoded_lines(path)), delimiter=delimiter, quoting=quoting)
        start = 1
        try:
            for row in reader:
                yield start, row
                start = reader.line_num + 1
        except csv.Error as err:
            raise ReaderError(path, start, f"{err} (a quoted field opened here and never closed?)") from None
        return
    for number, line in _decoded_lines(path):
        try:
            yield number, next(csv.reader([line], delimiter=delimiter, quoting=quoting, strict=True), [])
        except csv.Error as err:
            reason = str(err)
            if "end of data" in reason:
                reason = "a quote opens and does not close on this line; a quoted field may span lines only with "
                reason += "data.multiline=true"
            raise ReaderError(path, number, reason) from None


def _jsonl_rows(path: Path, delimiter: str, fields: Sequence[str], multiline: bool) -> Iterator[tuple[int, dict]]:
    for number, line in _decoded_lines(path):
        if not line.strip():
            continue
        try:
            row = json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as err:
            raise ReaderError(path, number, f"invalid JSON ({err.msg} at column {err.colno})") from None
        if not isinstance(row, dict):
            raise ReaderError(path, number, f"expected a JSON object per line, found {type(row).__name__}")
        yield number, row
