"""Strict readers: CoNLL column files into ``datasets.Dataset`` with file:line errors.

Nothing is silently dropped: every malformed line raises :class:`ReaderError` naming the file,
the line and what was expected.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator

import datasets

from seqlab.data.tag_schemes import InvalidTagError, convert, parse_scheme

DOCSTART = "-DOCSTART-"
_COLUMN_SEPARATOR = re.compile(r"[ \t]+")


class ReaderError(ValueError):
    """Malformed input: ``path:line: message``."""

    def __init__(self, path: str | os.PathLike, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = str(path)
        self.line = line


def _decoded_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                yield number, raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as err:
                raise ReaderError(
                    path, number, f"bytes {raw[err.start:err.end]!r} at column {err.start + 1} are not valid UTF-8"
                ) from None


def read_conll(
    path: str | os.PathLike,
    token_column: int = 0,
    label_column: int | None = -1,
    file_scheme: str | None = "IOB2",
    tag_scheme: str | None = None,
) -> Iterator[dict]:
    """Yield ``{"tokens": [...], "tags": [...]}`` per sentence of a CoNLL column file.

    Args:
        path: the file; sentences are separated by blank lines, ``-DOCSTART-`` lines skipped.
        token_column: column index of the token.
        label_column: column index of the label (negative counts from the end), or ``None``
            for unlabelled text (then ``tags`` is omitted).
        file_scheme: the span scheme the labels are written in, validated per sentence;
            ``None`` for plain labels such as POS tags (no validation or conversion).
        tag_scheme: re-encode labels into this scheme (default: keep ``file_scheme``).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    source = parse_scheme(file_scheme) if file_scheme else None
    target = parse_scheme(tag_scheme) if tag_scheme else source
    width: int | None = None
    width_line = 0
    tokens: list[str] = []
    tags: list[str] = []
    lines: list[int] = []
    sentences = 0

    def finish() -> dict:
        example: dict = {"tokens": list(tokens)}
        if label_column is not None:
            labels = list(tags)
            if source is not None:
                try:
                    labels = convert(labels, source, target)
                except InvalidTagError as err:
                    raise ReaderError(path, lines[err.position], str(err)) from None
            example["tags"] = labels
        return example

    for number, line in _decoded_lines(path):
        fields = split_columns(line)
        if not fields:
            if tokens:
                sentences += 1
                yield finish()
                tokens.clear(), tags.clear(), lines.clear()
            continue
        if fields[0] == DOCSTART:
            if tokens:
                raise ReaderError(path, number, f"{DOCSTART} inside a sentence; expected a blank line before it")
            continue
        if width is None:
            _check_columns(path, number, len(fields), token_column, label_column)
            width, width_line = len(fields), number
        elif len(fields) != width:
            raise ReaderError(
                path, number, f"expected {width} columns (as on line {width_line}), found {len(fields)}: {line.strip()!r}"
            )
        tokens.append(fields[token_column])
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


def _check_columns(path: Path, number: int, found: int, token_column: int, label_column: int | None) -> None:
    """The first line fixes the width: token and label columns must exist and differ."""
    columns = [token_column] + ([label_column] if label_column is not None else [])
    needed = max(c + 1 if c >= 0 else -c for c in columns)
    if label_column is not None:
        needed = max(needed, 2)
    resolved = {c % found for c in columns} if found >= needed else set()
    if found < needed or len(resolved) < len(columns):
        raise ReaderError(path, number, f"expected at least {needed} whitespace-separated columns, found {found}")


def file_fingerprint(path: str | os.PathLike) -> str:
    """Identity of a file's current contents for cache keys (path, size, modification time)."""
    stat = Path(path).stat()
    return f"{Path(path).resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def _generate(path: str, fingerprint: str, **kwargs) -> Iterator[dict]:
    del fingerprint  # part of the cache key only
    yield from read_conll(path, **kwargs)


def load_conll(
    path: str | os.PathLike,
    token_column: int = 0,
    label_column: int | None = -1,
    file_scheme: str | None = "IOB2",
    tag_scheme: str | None = None,
    cache_dir: str | None = None,
) -> datasets.Dataset:
    """Read a CoNLL file (see :func:`read_conll`) into a cached Arrow ``datasets.Dataset``.

    The cache key includes the file's size and modification time, so an edited file is re-read.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    kwargs = dict(token_column=token_column, label_column=label_column, file_scheme=file_scheme, tag_scheme=tag_scheme)
    try:
        return datasets.Dataset.from_generator(
            _generate,
            gen_kwargs=dict(path=str(path), fingerprint=file_fingerprint(path), **kwargs),
            cache_dir=cache_dir,
        )
    except datasets.exceptions.DatasetGenerationError as err:
        if isinstance(err.__cause__, (ReaderError, FileNotFoundError)):
            raise err.__cause__ from None
        raise
