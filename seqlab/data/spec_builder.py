"""From the splits as read to the :class:`~seqlab.spec.DataSpec`: vocabularies, pretrained vectors,
their diagnostics, and the digests of the files read (the model card's provenance).

The word vocabulary holds the training words (at least ``min_word_frequency`` times), then the
words of the ``vector_splits`` the pretrained vectors cover, then the further vector rows
``embedding.word.keep`` asks for; the character vocabulary holds the training characters.
The data module (:mod:`seqlab.data.datamodules`) reads the splits and hands them here.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import datasets
import numpy as np
import torch
from torch import Tensor

from seqlab.constraints import POSITIVE
from seqlab.data.vocabulary import PartSettings
from seqlab.errors import ConfigError
from seqlab.featurizers import WordIds
from seqlab.spec import DataSpec
from seqlab.tokenization.vectors import WordVectors, embedding_matrix, load_word_vectors
from seqlab.tokenization.vocab import UNK_ID, add_words, train_char_tokenizer, train_word_tokenizer

log = logging.getLogger(__name__)
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class BuiltSpec:
    """A spec built from the data, with the initial word vectors ``(word_vocab_size, D)`` for the part
    that declared them (``None`` without pretrained vectors)."""

    spec: DataSpec
    vectors: Tensor | None = None


@dataclass(frozen=True)
class Reading:
    """How the data module read the files, recorded in the spec for prediction.

    Args:
        tag_scheme: span scheme of the labels (``None``: plain labels).
        file_scheme: the scheme the training file was written in.
        splitter: how raw text is cut into words.
        max_tokens: the most words of a text the model reads at once.
        truncation: how prediction cuts a longer text (``None``: whole texts).
        feature_columns: CoNLL columns read as token features.
    """

    tag_scheme: str | None = None
    file_scheme: str | None = None
    splitter: str = "words"
    max_tokens: int | None = None
    truncation: str | None = None
    feature_columns: tuple[int, ...] = ()


class SpecBuilder:
    """Vocabularies, pretrained vectors and their coverage diagnostics, from the splits read.

    Args:
        parts: what the embedding parts ask of the data (word vocabulary, characters kept per token).
        min_word_frequency: words rarer than this in train map to the unknown id (``data.min_word_frequency``).
        vector_splits: the splits whose words the pretrained vectors add to the vocabulary (train
            always gives its words); ``[train, dev]`` keeps test words out of it (``data.vector_splits``).
        seed: seed of the random rows of words the vectors do not cover.
    """

    def __init__(
        self,
        parts: PartSettings | None = None,
        min_word_frequency: Annotated[int, POSITIVE] = 1,
        vector_splits: Sequence[str] = SPLITS,
        seed: int = 0,
    ) -> None:
        unknown = sorted(set(vector_splits) - set(SPLITS))
        if unknown:
            raise ConfigError(f"data.vector_splits: unknown split {unknown[0]!r}; expected some of {', '.join(SPLITS)}")
        self.parts = parts if parts is not None else PartSettings()
        self.min_word_frequency = min_word_frequency
        self.vector_splits = tuple(vector_splits)
        self.seed = seed

    def build(self, splits: Mapping[str, datasets.Dataset], labels: Sequence[str], reading: Reading) -> BuiltSpec:
        """The spec of ``splits`` (``train`` required; its ``features`` column gives the feature values),
        and the initial word vectors when the word part declared pretrained ones."""
        word = self.parts.word
        vectors = load_word_vectors(word.vectors) if word.vectors else None
        spec = self._spec(splits, labels, reading, vectors)
        if vectors is None:
            return BuiltSpec(spec)
        return BuiltSpec(spec, self._vector_rows(vectors, spec, splits))

    def _spec(
        self,
        splits: Mapping[str, datasets.Dataset],
        labels: Sequence[str],
        reading: Reading,
        vectors: WordVectors | None,
    ) -> DataSpec:
        train_tokens = splits["train"]["tokens"][:]  # as lists once: a datasets Column converts row by row
        word = self.parts.word
        word_tokenizer = train_word_tokenizer(
            train_tokens, min_frequency=self.min_word_frequency, lowercase=word.lowercase
        )
        train_words = word_tokenizer.get_vocab_size()
        kept_start: int | None = None
        if vectors is not None:
            covering = [splits[name] for name in self.vector_splits if name in splits]
            add_words(word_tokenizer, vectors.covered(w for d in covering for s in d["tokens"][:] for w in s))
            if word.kept is not None:
                kept_start = word_tokenizer.get_vocab_size()
                count = word.kept
                kept = vectors.most_frequent(count) if isinstance(count, int) else vectors.words
                added = add_words(word_tokenizer, kept).get_vocab_size() - kept_start
                log.info(
                    "embedding.word.keep=%s: %d pretrained words beyond the data's %d kept for new text",
                    word.kept,
                    added,
                    kept_start,
                )
                if not added:
                    kept_start = None  # the data's words hold them all
        return DataSpec(
            labels=tuple(labels),
            tag_scheme=reading.tag_scheme,
            word_tokenizer=word_tokenizer,
            char_tokenizer=train_char_tokenizer(train_tokens),
            train_word_vocab_size=train_words,
            max_chars=self.parts.max_chars,
            splitter=reading.splitter,
            kept_vectors_start=kept_start,
            lowercase_fallback=word.kept is not None,
            file_scheme=reading.file_scheme,
            max_tokens=reading.max_tokens,
            truncation=reading.truncation if reading.max_tokens is not None else None,
            feature_columns=reading.feature_columns,
            feature_values=feature_values(splits["train"], len(reading.feature_columns)),
        )

    def _vector_rows(self, vectors: WordVectors, spec: DataSpec, splits: Mapping[str, datasets.Dataset]) -> Tensor:
        """The initial row of every word id, with the coverage logged per vocabulary and split."""
        vocab = spec.word_tokenizer.get_vocab()
        matrix, covered = embedding_matrix(vectors, vocab, seed=self.seed)
        log.info(
            "pretrained vectors %s: %d of %d vocabulary words covered (%.1f%%)",
            vectors.source,
            covered,
            len(vocab),
            100.0 * covered / len(vocab),
        )
        for split in SPLITS[1:]:
            if split in splits:
                rows = WordIds(spec.word_tokenizer, spec.lowercase_fallback)(splits[split]["tokens"][:])
                ids = torch.from_numpy(np.concatenate(rows))
                log.info(
                    "%s: %.2f%% of %d tokens map to the unknown word, %.2f%% are words not in train that "
                    "the vectors cover",
                    split,
                    100.0 * float((ids == UNK_ID).float().mean()),
                    ids.numel(),
                    100.0 * float((ids >= (spec.train_word_vocab_size or 0)).float().mean()),
                )
        return torch.from_numpy(matrix)


def feature_values(train: datasets.Dataset, count: int) -> tuple[tuple[str, ...], ...]:
    """Each of ``count`` feature columns' values in the training rows, sorted."""
    if not count:
        return ()
    seen: list[set[str]] = [set() for _ in range(count)]
    for sentence in train["features"]:
        for token in sentence:
            for values, value in zip(seen, token):
                values.add(value)
    return tuple(tuple(sorted(values)) for values in seen)


def file_digests(files: Mapping[str, Path]) -> list[dict[str, Any]]:
    """Each split's file (split name to path): its size in bytes and SHA-256 (the model card's provenance)."""
    digests = []
    for split, path in files.items():
        sha = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
        digests.append({"split": split, "file": str(path), "bytes": path.stat().st_size, "sha256": sha.hexdigest()})
    return digests
