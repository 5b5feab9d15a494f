"""Character spans onto the words a splitter cuts (``tokenizers`` offsets): word spans, or one
error naming the file, the line and the offsets.

A span must start where a word starts and end where a word ends. ``misaligned="snap"`` widens
one that does not to the words it touches, and the caller counts them in a warning. Spans that
share a word are an error: a word takes one label, and neither is dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tokenizers.pre_tokenizers import PreTokenizer

from seqlab.data.annotations import CharSpan
from seqlab.errors import ConfigError, ReaderError

#: What to do with a span that does not fall on word boundaries (``data.misaligned``).
MISALIGNED = ("error", "snap")


def check_misaligned(value: str) -> str:
    """``data.misaligned`` checked against :data:`MISALIGNED`."""
    if value not in MISALIGNED:
        raise ConfigError(f"data.misaligned must be one of {', '.join(MISALIGNED)}, got {value!r}")
    return value


@dataclass(frozen=True)
class AlignedText:
    """A text's words, its spans as ``(label, first word, past the last word)``, and how many were snapped."""

    tokens: list[str]
    spans: list[tuple[str, int, int]]
    snapped: int


def align_spans(
    path: str | Path, text: str, spans: Sequence[CharSpan], splitter: PreTokenizer, misaligned: str = "error"
) -> AlignedText:
    """The words of ``text`` (as ``splitter`` cuts them) and ``spans`` as word spans, in order."""
    pieces = splitter.pre_tokenize_str(text)
    tokens = [word for word, _ in pieces]
    starts = {start: i for i, (_, (start, _end)) in enumerate(pieces)}
    ends = {end: i for i, (_, (_start, end)) in enumerate(pieces)}
    placed: list[tuple[int, int, CharSpan]] = []
    snapped = 0
    for span in spans:
        where = f"span [{span.start}, {span.end}) {span.label!r}"
        if span.end > len(text):
            raise ReaderError(path, span.line, f"{where} ends past the text ({len(text)} characters)")
        if span.end <= span.start:
            raise ReaderError(path, span.line, f"{where} is empty; expected start < end")
        if span.start in starts and span.end in ends and starts[span.start] <= ends[span.end]:
            placed.append((starts[span.start], ends[span.end] + 1, span))
            continue
        touched = [i for i, (_, (a, b)) in enumerate(pieces) if a < span.end and b > span.start]
        if not touched:
            raise ReaderError(path, span.line, f"{where} {text[span.start : span.end]!r} covers no word")
        first, last = touched[0], touched[-1]
        word_start, word_end = pieces[first][1][0], pieces[last][1][1]
        if misaligned != "snap":
            raise ReaderError(
                path,
                span.line,
                f"{where} {text[span.start : span.end]!r} does not fall on word boundaries (the words there are "
                f"[{word_start}, {word_end}) {text[word_start:word_end]!r}); fix the offsets, or set "
                "data.misaligned=snap to widen it to those words",
            )
        snapped += 1
        placed.append((first, last + 1, span))
    placed.sort(key=lambda item: (item[0], item[1]))
    for (_, before_end, before), (start, _, after) in zip(placed, placed[1:]):
        if start < before_end:
            raise ReaderError(
                path,
                after.line,
                f"spans [{before.start}, {before.end}) {before.label!r} {text[before.start : before.end]!r} and "
                f"[{after.start}, {after.end}) {after.label!r} {text[after.start : after.end]!r} overlap"
                f"{' (widened to words)' if snapped else ''}; a word takes one label: remove or shorten one",
            )
    return AlignedText(tokens, [(span.label, start, end) for start, end, span in placed], snapped)
