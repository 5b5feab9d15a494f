"""The sentences of a CoNLL file for the prediction benchmarks (imported by the scripts beside it)."""

from __future__ import annotations

from pathlib import Path


def conll_sentences(path: str | Path) -> list[list[str]]:
    """The token column (column 0) of a CoNLL file, sentence by sentence; ``-DOCSTART-`` lines skipped."""
    sentences, words = [], []
    for line in Path(path).read_text(encoding="utf-8").splitlines() + [""]:
        fields = line.split()
        if fields and fields[0] != "-DOCSTART-":
            words.append(fields[0])
        elif not fields and words:
            sentences.append(words)
            words = []
    return sentences


def conll_lines(path: str | Path) -> list[str]:
    """Each sentence of a CoNLL file as one raw text line (tokens joined by spaces)."""
    return [" ".join(words) for words in conll_sentences(path)]
