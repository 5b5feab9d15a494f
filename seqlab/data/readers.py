"""Strict readers: CoNLL column files and classification files into ``datasets.Dataset`` with
file:line errors.

Nothing is silently dropped or misread: every malformed line raises :class:`ReaderError` naming
the file, the line and what was expected; how a file's bytes become lines (compression, encoding,
line endings, characters text should not hold) is :mod:`seqlab.data.text_lines`, and the rows of
a classification file :mod:`seqlab.data.text_rows`.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import datasets

from seqlab.data.reader_log import capturing, keep_or_replay, mark_generated
from seqlab.data.tag_schemes import InvalidTagError, convert, parse_scheme
from seqlab.data.text_lines import COMPRESSED_SUFFIXES, MAX_LINE_CHARS, LineChecks, decoded_lines
from seqlab.data.text_rows import PARQUET_MAGIC, ROWS, TEXT_FORMATS, sniff_text_format, starts_with
from seqlab.errors import ConfigError, ReaderError

log = logging.getLogger(__name__)
DOCSTART = "-DOCSTART-"
_COLUMN_SEPARATOR = re.compile(r"[ \t]+")


def existing_file(path: str | os.PathLike) -> Path:
    """``path`` as a :class:`Path`, checked to be a file (a folder or a missing path is named as such)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, expected a file")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return path


def read_conll(
    path: str | os.PathLike,
    token_column: int = 0,
    label_column: int | None = -1,
    file_scheme: str | None = "IOB2",
    tag_scheme: str | None = None,
    known_labels: Sequence[str] | None = None,
    known_from: str = "the training data",
    feature_columns: Sequence[int] = (),
    control_characters: str = "error",
    max_line_chars: int = MAX_LINE_CHARS,
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
        control_characters: ``error``, ``drop`` or ``replace`` (see :class:`~seqlab.data.text_lines.LineChecks`).
        max_line_chars: the longest line read; a longer one is an error naming the key to raise.
    """
    path = existing_file(path)
    checks = LineChecks(path, control_characters, max_line_chars)
    source = parse_scheme(file_scheme) if file_scheme else None
    target = parse_scheme(tag_scheme) if tag_scheme else source
    width: int | None = None
    width_line = width_count = 0
    width_text = ""
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
                        message = unknown_label_message(written, known_labels, known_from) + extra
                        raise ReaderError(path, lines[position], message)
            example["tags"] = labels
        return example

    numbered = decoded_lines(path, checks)
    for number, line in numbered:
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
            width, width_line, width_text = len(fields), number, line.strip()
        elif len(fields) != width:
            if width_count == 1 and _fits(len(fields), token_column, label_column, feature_columns):
                # the first line alone set the width: it may be the odd one out
                _blame_first_line(path, numbered, (width_line, width, width_text), (number, len(fields)))
            raise ReaderError(
                path,
                number,
                f"expected {width} columns (as on line {width_line}), found {len(fields)}: {line.strip()!r}",
            )
        width_count += 1
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
    checks.report()


def _blame_first_line(
    path: Path, numbered: Iterator[tuple[int, str]], first: tuple[int, int, str], second: tuple[int, int]
) -> None:
    """Raise at the first token line when the next token line after ``second`` has ``second``'s
    width too (two lines against one: a tag holding a space on line 1 is line 1's mistake)."""
    (first_line, first_width, first_text), (second_line, second_width) = first, second
    for number, line in numbered:
        fields = split_columns(line)
        if not fields or fields[0] == DOCSTART:
            continue
        if len(fields) == second_width:
            raise ReaderError(
                path,
                first_line,
                f"expected {second_width} columns (as on lines {second_line} and {number}), "
                f"found {first_width}: {first_text!r}",
            )
        return
    return


def split_columns(line: str) -> list[str]:
    """Fields of a CoNLL line, split on ASCII spaces and tabs only (a no-break space stays in its token)."""
    stripped = line.strip(" \t\r\n")
    return _COLUMN_SEPARATOR.split(stripped) if stripped else []


def _fits(found: int, token_column: int, label_column: int | None, feature_columns: Sequence[int]) -> bool:
    try:
        _check_columns(Path(), 0, found, token_column, label_column, feature_columns)
    except ReaderError:
        return False
    return True


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


def unknown_label_message(label: str, known_labels: Sequence[str], known_from: str = "the training data") -> str:
    return f"label {label!r} does not occur in {known_from}; known labels: {', '.join(known_labels)}"


#: Part of every cache key: a change to what the readers make of a file re-reads cached files.
READER_VERSION = 2


def _generate(reader: Callable[..., Iterator[dict]], path: str, fingerprint: str, **kwargs) -> Iterator[dict]:
    del fingerprint  # part of the cache key only
    mark_generated()
    yield from reader(path, **kwargs)


def load_examples(
    reader: Callable[..., Iterator[dict]], path: str | os.PathLike, cache_dir: str | None = None, **kwargs
) -> datasets.Dataset:
    """Run ``reader(path, **kwargs)`` into a cached Arrow ``datasets.Dataset``.

    The cache key includes the reader, its arguments and the file's size and modification
    time, so an edited file is re-read. Reader errors surface as themselves (file:line); the
    reader's warnings are kept with the cache and logged again when it is used.
    """
    path = existing_file(path)
    # datasets shards list-valued generator arguments; the readers want them whole.
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    fingerprint = f"{file_fingerprint(path)}:v{READER_VERSION}"
    try:
        with capturing() as reader_log:
            dataset = datasets.Dataset.from_generator(
                _generate,
                gen_kwargs=dict(reader=reader, path=str(path), fingerprint=fingerprint, **kwargs),
                cache_dir=cache_dir,
            )
    except datasets.exceptions.DatasetGenerationError as err:
        if isinstance(err.__cause__, (ValueError, OSError)):  # ReaderError and ConfigError are ValueErrors
            raise err.__cause__ from None
        raise
    keep_or_replay(reader_log, dataset)
    return dataset


def load_conll(path: str | os.PathLike, cache_dir: str | None = None, **kwargs) -> datasets.Dataset:
    """:func:`read_conll` into a cached ``datasets.Dataset`` (see :func:`load_examples`)."""
    return load_examples(read_conll, path, cache_dir=cache_dir, **kwargs)


def read_text_classification(
    path: str | os.PathLike,
    text_field: str = "sentence",
    label_field: str | None = "label",
    format: str | None = None,
    known_labels: Sequence[str] | None = None,
    multiline: bool | None = None,
    known_from: str = "the training data",
    control_characters: str = "error",
    max_line_chars: int = MAX_LINE_CHARS,
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
        multiline: whether a quoted field may hold line breaks; ``None``: in CSV (RFC 4180), not in
            TSV (whose fields are not quoted unless this is ``True``). ``False``: one record per line,
            and a quote left open on its line is an error there.
        known_from: where ``known_labels`` come from, for the error message.
        control_characters: ``error``, ``drop`` or ``replace`` (see :class:`~seqlab.data.text_lines.LineChecks`).
        max_line_chars: the longest line read; a longer one is an error naming the key to raise.
    """
    path = existing_file(path)
    checks = LineChecks(path, control_characters, max_line_chars)
    suffixes = [suffix for suffix in path.suffixes if suffix.lower() not in COMPRESSED_SUFFIXES]
    kind = (format or (suffixes[-1] if suffixes else "").lstrip(".")).lower()
    if format is None and starts_with(path, PARQUET_MAGIC):
        kind = "parquet"
    elif format is None and kind not in TEXT_FORMATS:
        sniffed = sniff_text_format(path, LineChecks(path, control_characters, max_line_chars))
        if sniffed is not None:
            log.info("%s: read as %s (from its first line; set data.format to choose)", path, sniffed)
            kind = sniffed
    if kind not in ROWS:
        raise ConfigError(
            f"{path}: unknown text format {kind!r}; expected tsv, csv, jsonl or parquet (set data.format)"
        )
    count = 0
    fields = [text_field] + ([label_field] if label_field is not None else [])
    by_value = kind not in ("tsv", "csv")  # values not read from lines of text are checked one by one
    label_types = _LabelTypes()
    spanning = kind == "csv" if multiline is None else multiline
    for number, row in ROWS[kind](path, "\t" if kind == "tsv" else ",", fields, spanning, checks):
        missing = [f for f in fields if row.get(f) is None]
        if missing:
            raise ReaderError(
                path,
                number,
                f"missing field {missing[0]!r}; found {', '.join(map(str, row)) or 'nothing'} "
                "(set data.text_field / data.label_field)",
            )
        text = str(row[text_field])
        text = (checks.clean(number, text, text_field) if by_value else text).strip()
        if not text:
            raise ReaderError(path, number, f"empty text in field {text_field!r}")
        example = {"text": text, "line": number}
        if label_field is not None:
            raw = row[label_field]
            label = str(raw)
            label = (checks.clean(number, label, label_field) if by_value else label).strip()
            label_types.add(number, raw, label)
            if not label:
                raise ReaderError(path, number, f"empty label in field {label_field!r}")
            if known_labels is not None and label not in known_labels:
                raise ReaderError(path, number, unknown_label_message(label, known_labels, known_from))
            example["label"] = label
        count += 1
        yield example
    if not count:
        raise ReaderError(path, 1, f"no examples; expected a header line and rows with {text_field!r}")
    label_types.report(path)
    checks.report()


class _LabelTypes:
    """The JSON types labels were written as, to tell what a mixture of them was read as."""

    def __init__(self) -> None:
        self.first: dict[str, tuple[int, object, str]] = {}  # type -> its first line, value and label
        self.types_of: dict[str, set[str]] = {}  # label -> the types it was read from

    def add(self, line: int, raw: object, label: str) -> None:
        kind = type(raw).__name__
        self.first.setdefault(kind, (line, raw, label))
        self.types_of.setdefault(label, set()).add(kind)

    def report(self, path: Path) -> None:
        """Warn when labels came in several types, saying which labels each became."""
        if len(self.first) < 2:
            return
        read = [f"{_json(raw)} ({kind}, line {line}) as {label!r}" for kind, (line, raw, label) in self.first.items()]
        shared = sorted(label for label, kinds in self.types_of.items() if len(kinds) > 1)
        if shared:
            what = f"labels read from values of different types alike: {', '.join(map(repr, shared[:5]))}"
        else:
            what = "no label is read from two types: each type makes labels of its own"
        log.warning(
            "%s: labels of %d JSON types, read as strings: %s; %s (write each class one way, or set data.labels)",
            path,
            len(self.first),
            ", ".join(read),
            what,
        )


def _json(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)
