"""Rows of a classification file: TSV/CSV with a header, JSON Lines or parquet, each numbered by
the line it starts on (parquet: by its position), as :func:`~seqlab.data.readers.read_text_classification`
reads them."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from seqlab.data.text_lines import LineChecks, decoded_lines
from seqlab.errors import ReaderError

log = logging.getLogger(__name__)

#: The formats a classification file may have, by suffix or ``data.format``.
TEXT_FORMATS = ("tsv", "csv", "jsonl", "json", "parquet")
#: The first bytes of a parquet file.
PARQUET_MAGIC = b"PAR1"
_FIELD_SIZE_LIMIT = 2**31 - 1  # the largest the C long of every platform holds

#: ``(path, delimiter, fields, multiline, checks)`` to numbered rows.
Rows = Callable[[Path, str, Sequence[str], bool, LineChecks], Iterator[tuple[int, dict]]]


def sniff_text_format(path: Path, checks: LineChecks | None = None) -> str | None:
    """``jsonl``, ``tsv`` or ``csv`` from the first non-blank line of ``path`` (decompressed): a JSON
    object, a header with tabs, or one with commas; ``None`` when it is none of these."""
    for _, line in decoded_lines(path, checks):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("{"):
            return "jsonl"
        if "\t" in stripped:
            return "tsv"
        return "csv" if "," in stripped else None
    return None


def starts_with(path: Path, magic: bytes) -> bool:
    """Whether the file's first bytes are ``magic``."""
    with open(path, "rb") as handle:
        return handle.read(len(magic)) == magic


def parquet_rows(
    path: Path, delimiter: str, fields: Sequence[str], multiline: bool, checks: LineChecks
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


def delimited_rows(
    path: Path, delimiter: str, fields: Sequence[str], multiline: bool, checks: LineChecks
) -> Iterator[tuple[int, dict]]:
    """Rows of a TSV/CSV file with a header, numbered by the line they start on.

    With ``multiline`` a quoted field may hold line breaks (RFC 4180; TSV fields are quoted only
    then); without it each line is one row, and a quote that opens and does not close on its
    line is an error there. A record that spans lines and has the wrong number of fields is an
    error at its first line that says where it ends (a stray quote takes in the lines after it).
    """
    header = None
    spanning: list[tuple[int, int]] = []  # records that hold line breaks: first and last line
    for number, end, row in _csv_records(path, delimiter, multiline, checks):
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
            found = f"expected {len(header)} fields ({', '.join(header)}), found {len(row)}"
            if end > number:
                found += (
                    f" in a record running from this line to line {end} (a quoted field holds their line "
                    "breaks: a stray quote on this line?)"
                )
            raise ReaderError(path, number, found)
        if end > number:
            spanning.append((number, end))
        yield number, dict(zip(header, row))
    if spanning:
        (first, last), many = spanning[0], len(spanning)
        log.warning(
            "%s:%d: %s in quoted fields (the first from this line to line %d); "
            "if the quotes of this file are not meant to quote, set data.multiline=false",
            path,
            first,
            "a record holds line breaks" if many == 1 else f"{many} records hold line breaks",
            last,
        )


def _csv_records(
    path: Path, delimiter: str, multiline: bool, checks: LineChecks
) -> Iterator[tuple[int, int, list[str]]]:
    """``(first line, last line, fields)`` of each record; csv's own errors become :class:`ReaderError`
    at their line."""
    quoting: Literal[0, 3] = csv.QUOTE_MINIMAL if delimiter == "," or multiline else csv.QUOTE_NONE
    # Fields of any size (a long review is one field); csv's default limit is 131,072 characters.
    csv.field_size_limit(_FIELD_SIZE_LIMIT)
    if multiline:
        lines = (line for _, line in decoded_lines(path, checks))
        reader = csv.reader(lines, delimiter=delimiter, quoting=quoting, strict=True)
        start = 1
        try:
            for row in reader:
                yield start, reader.line_num, row
                start = reader.line_num + 1
        except csv.Error as err:
            if "end of data" in str(err):
                raise ReaderError(
                    path,
                    start,
                    "a quote opens here and never closes (a stray quote? a quoted field may hold line breaks, "
                    "so it takes in every line after it)",
                ) from None
            raise ReaderError(path, reader.line_num, str(err)) from None
        return
    for number, line in decoded_lines(path, checks):
        try:
            yield number, number, next(csv.reader([line], delimiter=delimiter, quoting=quoting, strict=True), [])
        except csv.Error as err:
            reason = str(err)
            if "end of data" in reason:
                reason = "a quote opens and does not close on this line; a quoted field may span lines only with "
                reason += "data.multiline=true (the default for CSV)"
            raise ReaderError(path, number, reason) from None


def jsonl_rows(
    path: Path, delimiter: str, fields: Sequence[str], multiline: bool, checks: LineChecks
) -> Iterator[tuple[int, dict]]:
    """Objects of a JSON Lines file; control characters in their strings are left for the caller to
    check field by field (``checks`` sees the text and label values, escaped or not)."""
    for number, line in decoded_lines(path, checks, clean=False):
        if not line.strip():
            continue
        try:
            row = json.loads(line.rstrip("\r\n"), strict=False)
        except json.JSONDecodeError as err:
            raise ReaderError(path, number, f"invalid JSON ({err.msg} at column {err.colno})") from None
        if not isinstance(row, dict):
            raise ReaderError(path, number, f"expected a JSON object per line, found {type(row).__name__}")
        yield number, row


#: How each format's rows are read.
ROWS: dict[str, Rows] = {
    "tsv": delimited_rows,
    "csv": delimited_rows,
    "jsonl": jsonl_rows,
    "json": jsonl_rows,
    "parquet": parquet_rows,
}
