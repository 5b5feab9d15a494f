"""Annotation-tool exports read as texts with character spans or a class: Label Studio (JSON list
of tasks, or JSONL), doccano JSONL and span JSONL as spaCy and Prodigy write it.

Each reader yields one :class:`AnnotatedText` per text, with the line of the file it starts on;
a malformed task is a :class:`~seqlab.errors.ReaderError` naming the file, the line and what was
expected. Nothing is left out silently: a Label Studio task without an annotation or a Prodigy
example not accepted is counted in a warning. :mod:`seqlab.data.alignment` turns the spans into
word tags. Plain Python (``json``): nothing loaded runs code.
"""

from __future__ import annotations

import bisect
import json
import logging
import lzma
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqlab.data.readers import existing_file
from seqlab.data.text_lines import open_binary, sniff_encoding
from seqlab.errors import ConfigError, ReaderError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CharSpan:
    """A labelled character span ``[start, end)`` of a text, and the line of the file it is on."""

    start: int
    end: int
    label: str
    line: int


@dataclass(frozen=True)
class AnnotatedText:
    """One text of an annotation file: its entity spans and/or its classes (Label Studio choices)."""

    text: str
    line: int
    spans: list[CharSpan] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)


# -- reading the file --------------------------------------------------------------------------


class _Source:
    """A file's decoded text, with the line of any character offset."""

    def __init__(self, path: Path) -> None:
        codec, name = sniff_encoding(path)  # UTF-16/32 by their byte-order mark, as every reader
        handle, compression = open_binary(path)
        try:
            with handle:
                raw = handle.read()
        except (OSError, EOFError, lzma.LZMAError) as err:
            raise ReaderError(path, 1, f"the {compression or 'file'} data is corrupt or cut short ({err})") from None
        try:
            self.text = raw.decode(codec)
        except UnicodeDecodeError as err:
            line = raw.count(b"\n", 0, err.start) + 1
            raise ReaderError(path, line, f"bytes {raw[err.start : err.end]!r} are not valid {name}") from None
        self.path = path
        self._newlines = [m.start() for m in re.finditer("\n", self.text)]

    def line(self, offset: int) -> int:
        """The line (from 1) holding character ``offset``."""
        return bisect.bisect_left(self._newlines, offset) + 1

    def objects(self) -> Iterator[tuple[int, int, Any]]:
        """``(start, end, value)`` of each JSON value: the items of a top-level list, or one per
        non-blank line (JSONL)."""
        text, decoder = self.text, json.JSONDecoder()
        first = len(text) - len(text.lstrip())
        if text[first : first + 1] != "[":
            yield from self._lines()
            return
        position, expect_item = first + 1, True
        while True:
            position = _skip_space(text, position)
            if position >= len(text):
                raise ReaderError(self.path, self.line(position), "the JSON list is not closed; expected ']'")
            if text[position] == "]":
                break
            if not expect_item:
                if text[position] != ",":
                    raise ReaderError(self.path, self.line(position), "expected ',' or ']' between the tasks")
                position = _skip_space(text, position + 1)
            value, end = self._decode(decoder, position)
            yield position, end, value
            position, expect_item = end, False
        rest = _skip_space(text, position + 1)
        if rest < len(text):
            raise ReaderError(self.path, self.line(rest), "text after the JSON list; expected one list of tasks")

    def _lines(self) -> Iterator[tuple[int, int, Any]]:
        decoder = json.JSONDecoder()
        position = 0
        for line in self.text.split("\n"):  # JSON strings may hold U+2028, U+0085...: lines end at LF only
            line += "\n"
            start = position
            position += len(line)
            if line.strip():
                value, end = self._decode(decoder, start + len(line) - len(line.lstrip()))
                if _skip_space(self.text, end) < position and self.text[end:position].strip():
                    raise ReaderError(self.path, self.line(start), "expected one JSON object per line")
                yield start, end, value

    def _decode(self, decoder: json.JSONDecoder, position: int) -> tuple[Any, int]:
        try:
            return decoder.raw_decode(self.text, position)
        except json.JSONDecodeError as err:
            raise ReaderError(self.path, err.lineno, f"invalid JSON ({err.msg} at column {err.colno})") from None


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _objects(path: Path) -> Iterator[tuple[_Source, int, int, dict]]:
    """Each JSON object of ``path`` with its source and character range (anything else is an error)."""
    source = _Source(path)
    count = 0
    for start, end, value in source.objects():
        if not isinstance(value, dict):
            raise ReaderError(path, source.line(start), f"expected a JSON object, found {type(value).__name__}")
        count += 1
        yield source, start, end, value
    if not count:
        raise ReaderError(path, 1, "no texts; expected JSON objects with a text")


def _text(path: Path, line: int, row: dict, key: str, where: str = "") -> str:
    text = row.get(key)
    if not isinstance(text, str):
        found = ", ".join(map(repr, row)) or "nothing"
        raise ReaderError(path, line, f"expected a string {where}{key!r} holding the text; found {found}")
    if not text.strip():
        raise ReaderError(path, line, f"empty text in {where}{key!r}")
    return text


def _offset(path: Path, line: int, value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReaderError(path, line, f"span {name} {value!r} is not a character offset (a non-negative integer)")
    return value


def _label(path: Path, line: int, value: Any) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        raise ReaderError(path, line, f"span label {value!r} is not a label name")
    return str(value).strip()


def _span_line(source: _Source, start: int, end: int, span_start: Any, span_end: Any, fallback: int) -> int:
    """The line of a span inside an object written over several lines: where its ``start`` and
    ``end`` offsets are written (first match), else ``fallback`` (the object's first line)."""
    if not (isinstance(span_start, int) and isinstance(span_end, int)):
        return fallback
    written = r'(?:"start(?:_offset)?"\s*:\s*|\[\s*)'
    pattern = re.compile(rf"{written}{span_start}\s*,[^\[\]{{}}]*?\b{span_end}\b")
    found = pattern.search(source.text, start, end)
    return source.line(found.start()) if found else fallback


# -- Label Studio ------------------------------------------------------------------------------


def utf16_to_index(text: str) -> Callable[[int], int]:
    """A map from UTF-16 offsets (Label Studio counts as JavaScript does) to Python string indices."""
    if all(ord(ch) < 0x10000 for ch in text):
        return lambda offset: offset
    starts = []  # UTF-16 offset of each character
    unit = 0
    for ch in text:
        starts.append(unit)
        unit += 2 if ord(ch) >= 0x10000 else 1
    starts.append(unit)

    def index(offset: int) -> int:
        found = bisect.bisect_left(starts, offset)
        return found if found < len(starts) and starts[found] == offset else -1

    return index


def read_labelstudio(path: str | os.PathLike, text_field: str = "text") -> Iterator[AnnotatedText]:
    """Texts of a Label Studio export (a JSON list of tasks, or JSONL): ``data[text_field]``, the
    ``labels`` results as spans and the ``choices`` results as classes.

    A task's first annotation not cancelled is read; a task without one is read from its first
    prediction (so ``seqlab-predict format=labelstudio`` output reads back), and one with neither
    is left out and counted in a warning, as are tasks with several annotations (the first is read).
    """
    path = existing_file(path)
    unannotated: list[int] = []
    several: list[int] = []
    from_predictions = 0
    for source, start, end, task in _objects(path):
        line = source.line(start)
        data = task.get("data")
        if not isinstance(data, dict):
            raise ReaderError(path, line, "expected a Label Studio task with a 'data' object holding the text")
        text = _text(path, line, data, text_field, "data.")
        annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
        predictions = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
        if len(annotations) > 1:
            several.append(line)
        chosen = annotations[0] if annotations else (predictions[0] if predictions else None)
        if chosen is None:
            unannotated.append(line)
            continue
        from_predictions += not annotations
        results = chosen.get("result")
        if not isinstance(results, list):
            raise ReaderError(path, line, "expected a 'result' list in the annotation")
        spans: list[CharSpan] = []
        choices: list[str] = []
        index = utf16_to_index(text)
        for result in results:
            value = result.get("value") if isinstance(result, dict) else None
            if not isinstance(value, dict):
                raise ReaderError(path, line, "expected each result to have a 'value' object")
            kind = result.get("type")
            if kind == "labels":
                spans.append(_labelstudio_span(path, source, start, end, line, text, value, index))
            elif kind == "choices":
                picked = value.get("choices")
                if not isinstance(picked, list) or not picked:
                    raise ReaderError(path, line, "expected a non-empty 'choices' list in a choices result")
                choices.extend(_label(path, line, choice) for choice in picked)
        yield AnnotatedText(text, line, spans, choices)
    if several:
        log.warning(
            "%s: %d tasks have several annotations; the first of each is read (line %d)", path, len(several), several[0]
        )
    if unannotated:
        log.warning(
            "%s: %d tasks have no annotation and no prediction and are left out (first on line %d)",
            path,
            len(unannotated),
            unannotated[0],
        )
    if from_predictions:
        log.info("%s: %d tasks without an annotation read from their first prediction", path, from_predictions)


def _labelstudio_span(
    path: Path, source: _Source, start: int, end: int, line: int, text: str, value: dict, index: Callable
) -> CharSpan:
    raw_start, raw_end = value.get("start"), value.get("end")
    span_line = _span_line(source, start, end, raw_start, raw_end, line)
    first = _offset(path, span_line, raw_start, "start")
    last = _offset(path, span_line, raw_end, "end")
    labels = value.get("labels")
    if not isinstance(labels, list) or len(labels) != 1:
        raise ReaderError(path, span_line, f"span [{first}, {last}) has labels {labels!r}; expected one label")
    char_start, char_end = index(first), index(last)
    if char_start < 0 or char_end < 0:
        raise ReaderError(path, span_line, f"span [{first}, {last}) cuts a character in two (UTF-16 offsets)")
    written = value.get("text")
    covered = text[char_start:char_end]
    if isinstance(written, str) and char_end <= len(text) and written != covered:
        raise ReaderError(path, span_line, f"span [{first}, {last}) covers {covered!r} but its text is {written!r}")
    return CharSpan(char_start, char_end, _label(path, span_line, labels[0]), span_line)


# -- doccano and span JSONL ---------------------------------------------------------------------


def read_doccano(path: str | os.PathLike, text_field: str = "text") -> Iterator[AnnotatedText]:
    """Texts of a doccano JSONL export: ``label`` (or ``entities``) as ``[start, end, label]`` lists
    (or ``{start_offset, end_offset, label}`` objects) for spans, or as label names for classes."""
    path = existing_file(path)
    for source, start, end, row in _objects(path):
        line = source.line(start)
        text = _text(path, line, row, text_field)
        key = "label" if "label" in row else "entities" if "entities" in row else None
        if key is None:
            raise ReaderError(path, line, "expected a 'label' (or 'entities') list of [start, end, label] spans")
        items = row[key]
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list):
            raise ReaderError(path, line, f"expected {key!r} to be a list, found {type(items).__name__}")
        spans: list[CharSpan] = []
        choices: list[str] = []
        for item in items:
            if isinstance(item, (str, int)) and not isinstance(item, bool):
                choices.append(_label(path, line, item))
                continue
            if isinstance(item, dict):
                item = [item.get("start_offset"), item.get("end_offset"), item.get("label")]
            if not isinstance(item, list) or len(item) != 3:
                raise ReaderError(path, line, f"expected a [start, end, label] span in {key!r}, found {item!r}")
            span_line = _span_line(source, start, end, item[0], item[1], line)
            first = _offset(path, span_line, item[0], "start")
            spans.append(
                CharSpan(first, _offset(path, span_line, item[1], "end"), _label(path, span_line, item[2]), span_line)
            )
        yield AnnotatedText(text, line, spans, choices)


def read_span_jsonl(path: str | os.PathLike, text_field: str = "text") -> Iterator[AnnotatedText]:
    """Texts of span JSONL as spaCy and Prodigy write it: ``spans: [{start, end, label}]``.

    Prodigy examples whose ``answer`` is ``reject`` or ``ignore`` are left out, counted in a warning.
    """
    path = existing_file(path)
    skipped: list[int] = []
    for source, start, end, row in _objects(path):
        line = source.line(start)
        text = _text(path, line, row, text_field)
        if row.get("answer", "accept") != "accept":
            skipped.append(line)
            continue
        items = row.get("spans")
        if not isinstance(items, list):
            raise ReaderError(path, line, "expected a 'spans' list of {start, end, label} objects")
        spans: list[CharSpan] = []
        for item in items:
            if not isinstance(item, dict):
                raise ReaderError(path, line, f"expected a {{start, end, label}} object in 'spans', found {item!r}")
            first = item.get("start")
            span_line = _span_line(source, start, end, first, item.get("end"), line)
            spans.append(
                CharSpan(
                    _offset(path, span_line, first, "start"),
                    _offset(path, span_line, item.get("end"), "end"),
                    _label(path, span_line, item.get("label")),
                    span_line,
                )
            )
        yield AnnotatedText(text, line, spans)
    if skipped:
        log.warning(
            "%s: %d examples answered reject or ignore are left out (first on line %d)", path, len(skipped), skipped[0]
        )


#: The annotation readers by format name (``data.format``).
ANNOTATION_READERS: dict[str, Callable[..., Iterator[AnnotatedText]]] = {
    "labelstudio": read_labelstudio,
    "doccano": read_doccano,
    "spans": read_span_jsonl,
}


def annotation_reader(name: str) -> Callable[..., Iterator[AnnotatedText]]:
    """The reader of annotation format ``name`` (see :data:`ANNOTATION_READERS`)."""
    try:
        return ANNOTATION_READERS[name]
    except KeyError:
        raise ConfigError(
            f"unknown annotation format {name!r}; expected one of {', '.join(ANNOTATION_READERS)}"
        ) from None
