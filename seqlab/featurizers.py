"""How pre-split words become model inputs: word ids, character ids, casing classes.

Torch-free (NumPy and ``tokenizers`` only), so training, the torch :class:`~seqlab.predict.predictor.Predictor`
and the ONNX predictor compute inputs with the same code. Each featurizer is a frozen dataclass:
equal settings compare equal (two parts may share an input they compute alike), and
:func:`featurizer_to_dict` / :func:`featurizer_from_dict` carry it into a model folder.

Called on sentences, a featurizer gives one array per sentence (what training caches); prediction
asks for a whole padded batch at once (:func:`padded`), which the built-in featurizers compute
from their tokenizer's vocabulary, once per distinct token, and lay out with NumPy indexing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from seqlab.errors import ConfigError
from seqlab.tokenization.tokenizer_file import read_tokenizer
from seqlab.tokenization.vocab import PAD_ID, UNK_ID
from seqlab.windowing import windows


def pad_arrays(arrays: Sequence[np.ndarray], fill: int = PAD_ID) -> np.ndarray:
    """Stack arrays of one rank and varying sizes, each padded with ``fill`` to the largest size."""
    shape = [max(a.shape[d] for a in arrays) for d in range(arrays[0].ndim)]
    out = np.full((len(arrays), *shape), fill, dtype=arrays[0].dtype)
    for row, array in enumerate(arrays):
        region: tuple[int | slice, ...] = (row, *(slice(0, n) for n in array.shape))
        out[region] = array
    return out


def padded(featurizer: Callable[..., Any], sentences: Sequence[Any]) -> np.ndarray:
    """``featurizer``'s input for a batch of sentences, ``(B, T, ...)``, 0 on padding: its own
    :meth:`padded` where it has one, else its per-sentence arrays padded (:func:`pad_arrays`)."""
    batched = getattr(featurizer, "padded", None)
    return batched(sentences) if batched is not None else pad_arrays(featurizer(sentences))


def scatter_tokens(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Per-token ``values`` ``(N, ...)`` of sentences with ``lengths`` (in order, ``N`` their sum)
    laid out as a padded batch ``(B, T, ...)``, 0 on padding."""
    out = np.zeros((len(lengths), int(lengths.max(initial=0)), *values.shape[1:]), dtype=values.dtype)
    out[length_mask(lengths)] = values
    return out


def length_mask(lengths: np.ndarray, width: int | None = None) -> np.ndarray:
    """``(len(lengths), width)``, True on each row's first ``lengths[i]`` places (``width``: the longest)."""
    width = int(lengths.max(initial=0)) if width is None else width
    return np.arange(width)[None, :] < lengths[:, None]


#: Tokens a featurizer remembers the ids of between batches (a few MB at most).
REMEMBERED_TOKENS = 50_000


def remembered(featurizer: object) -> dict[str, Any]:
    """``featurizer``'s ids of the tokens met before, a new table once it holds
    :data:`REMEMBERED_TOKENS`: tokens follow Zipf's law, so most of a batch's were met in the
    batches before, and each is normalised and encoded once, not once per batch. A table is
    replaced, never emptied, so a batch featurised on another thread keeps the one it holds."""
    known: dict[str, Any] | None = featurizer.__dict__.get("_remembered")
    if known is None or len(known) >= REMEMBERED_TOKENS:
        known = featurizer.__dict__["_remembered"] = {}  # as functools.cached_property stores (frozen dataclasses)
    return known


def featurizer_source(
    name: str, featurizer: Callable[..., Any], sentences: Sequence[Any], given: Mapping[str, Sequence[Any]]
) -> Sequence[Any]:
    """What ``featurizer`` (batch input ``name``) reads: the sentences' tokens, or the column of
    ``given`` its ``reads`` attribute names (the ``features`` of ``data.feature_columns``), which
    raw text does not carry (a ``ConfigError`` saying how to give it)."""
    reads = getattr(featurizer, "reads", None)
    if reads is None:
        return sentences
    if reads not in given:
        raise ConfigError(
            f"this model's batch input {name!r} reads the sentences' {reads!r} (data.feature_columns), which "
            f"plain text does not carry; give them with Predictor.predict_tokens(tokens, {reads}=...) or predict "
            "from a CoNLL file that has the columns (seqlab-eval)"
        )
    return given[reads]


def batch_inputs(
    featurizers: Mapping[str, Callable[..., Any]],
    sentences: Sequence[Sequence[str]],
    given: Mapping[str, Sequence[Any]] | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The mask ``(B, T)`` (True on real tokens) and every padded batch input of non-empty,
    pre-split ``sentences``, as both prediction backends feed their network."""
    lengths = _lengths(sentences)
    if not lengths.all():
        raise ValueError(f"sentence {int(np.argmin(lengths)) + 1} of the batch has no words")
    mask = length_mask(lengths)
    given = given or {}
    inputs = {name: padded(f, featurizer_source(name, f, sentences, given)) for name, f in featurizers.items()}
    return mask, inputs


def _lengths(sentences: Sequence[Sequence[Any]]) -> np.ndarray:
    return np.fromiter((len(s) for s in sentences), dtype=np.int64, count=len(sentences))


@dataclass(frozen=True, eq=True)
class WordIds:
    """Each token's id in the word vocabulary, ``(n,)`` per sentence (an unknown token tries its
    lowercase form when ``lowercase_fallback``)."""

    tokenizer: Tokenizer
    lowercase_fallback: bool = False

    def __call__(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        return np.split(self._flat(sentences), np.cumsum(_lengths(sentences))[:-1])

    def padded(self, sentences: Sequence[Sequence[str]]) -> np.ndarray:
        """``(B, T)`` word ids of a batch (:meth:`__call__`'s arrays, padded)."""
        return scatter_tokens(self._flat(sentences), _lengths(sentences))

    def _flat(self, sentences: Sequence[Sequence[str]]) -> np.ndarray:
        """The id of every token of ``sentences`` in order: each distinct token normalised once by
        the tokenizer's normaliser and looked up in its vocabulary."""
        vocabulary = self._vocabulary
        normalizer = self.tokenizer.normalizer
        normalize = normalizer.normalize_str if normalizer is not None else str

        def word_id(token: str) -> int:
            found = vocabulary.get(normalize(token))
            if found is None and self.lowercase_fallback:
                found = vocabulary.get(normalize(token.lower()))
            return UNK_ID if found is None else found

        known = remembered(self)
        return np.fromiter(
            (known[t] if t in known else known.setdefault(t, word_id(t)) for s in sentences for t in s), dtype=np.int64
        )

    @cached_property
    def _vocabulary(self) -> dict[str, int]:
        return self.tokenizer.get_vocab()


@dataclass(frozen=True, eq=True)
class CharIds:
    """Each token's character ids (at most ``max_chars``), ``(n, L)`` per sentence, ``L`` its
    longest token (0 pads shorter ones)."""

    tokenizer: Tokenizer
    max_chars: int

    def __call__(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        table, sizes, positions = self._table(sentences)
        ends = np.cumsum(_lengths(sentences))
        out = []
        for start, end in zip(np.concatenate(([0], ends[:-1])), ends):
            tokens = positions[start:end]
            out.append(table[tokens, : max(1, int(sizes[tokens].max(initial=1)))])
        return out

    def padded(self, sentences: Sequence[Sequence[str]]) -> np.ndarray:
        """``(B, T, L)`` character ids of a batch, ``L`` its longest token (kept characters)."""
        table, _, positions = self._table(sentences)
        return scatter_tokens(table[positions], _lengths(sentences))

    def _table(self, sentences: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each distinct token's character ids encoded once, as rows of a table ``(U, L)`` (0 pads),
        the rows' sizes ``(U,)``, and every token's row ``(N,)`` in order."""
        index: dict[str, int] = {}
        positions = np.fromiter(
            (index.setdefault(token, len(index)) for tokens in sentences for token in tokens), dtype=np.int64
        )
        known = remembered(self)
        rows = [known[t] if t in known else known.setdefault(t, self._char_ids(t)) for t in index]
        sizes = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        table = np.zeros((len(rows), max(1, int(sizes.max(initial=1)))), dtype=np.int64)
        table[length_mask(sizes, table.shape[1])] = np.fromiter(
            (i for r in rows for i in r), dtype=np.int64, count=int(sizes.sum())
        )
        return table, sizes, positions

    def _char_ids(self, token: str) -> list[int]:
        """A token's first ``max_chars`` character ids: each character looked up in the
        tokenizer's vocabulary (its pre-tokenizer isolates every character but a line feed; a token
        holding one, or a special token's text such as ``<unk>``, is encoded by the tokenizer itself)."""
        if "\n" in token or self.tokenizer.normalizer is not None or any(sp in token for sp in self._specials):
            return self.tokenizer.encode(token, add_special_tokens=False).ids[: self.max_chars]
        vocabulary = self._vocabulary
        return [vocabulary.get(c, UNK_ID) for c in token[: self.max_chars]]

    @cached_property
    def _vocabulary(self) -> dict[str, int]:
        return self.tokenizer.get_vocab()

    @cached_property
    def _specials(self) -> tuple[str, ...]:
        return tuple(t.content for t in self.tokenizer.get_added_tokens_decoder().values())


#: Casing class names by id; id 0 is padding.
CASING_CLASSES = (
    "<pad>",
    "other",
    "numeric",
    "mainly_numeric",
    "all_lower",
    "all_upper",
    "initial_upper",
    "contains_digit",
)
_CASING_ID = {name: i for i, name in enumerate(CASING_CLASSES)}


def casing_class(token: str) -> int:
    """The casing class id of one token (never 0, the padding id)."""
    digits = sum(c.isdigit() for c in token)
    if token.isdigit():
        return _CASING_ID["numeric"]
    if digits / max(len(token), 1) > 0.5:
        return _CASING_ID["mainly_numeric"]
    if digits:
        return _CASING_ID["contains_digit"]
    if token.islower():
        return _CASING_ID["all_lower"]
    if token.isupper():
        return _CASING_ID["all_upper"]
    if token[:1].isupper():
        return _CASING_ID["initial_upper"]
    return _CASING_ID["other"]


@dataclass(frozen=True, eq=True)
class CasingIds:
    """The casing class id (:data:`CASING_CLASSES`) of each token, ``(n,)`` per sentence."""

    def __call__(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        table = {token: casing_class(token) for token in {token for tokens in sentences for token in tokens}}
        return [np.asarray([table[token] for token in tokens], dtype=np.int64) for tokens in sentences]

    def padded(self, sentences: Sequence[Sequence[str]]) -> np.ndarray:
        """``(B, T)`` casing classes of a batch (each distinct token classified once)."""
        table: dict[str, int] = {}
        flat = np.fromiter(
            (table[t] if t in table else table.setdefault(t, casing_class(t)) for s in sentences for t in s),
            dtype=np.int64,
        )
        return scatter_tokens(flat, _lengths(sentences))


@dataclass(frozen=True, eq=True)
class FeatureIds:
    """Each token's value id in each feature column (``data.feature_columns``), ``(n, C)`` per
    sentence. It reads the sentences' ``features`` (one list of column values per token), which the
    data gives and raw text does not; 0 pads, 1 is a value training never showed.

    Args:
        values: each column's values seen in training, in id order from 2.
    """

    values: tuple[tuple[str, ...], ...]
    #: The sentence column this featurizer reads instead of the tokens.
    reads = "features"

    def __call__(self, sentences: Sequence[Sequence[Sequence[str]]]) -> list[np.ndarray]:
        index = [{value: i + 2 for i, value in enumerate(values)} for values in self.values]
        return [
            np.asarray([[ids.get(v, 1) for ids, v in zip(index, token)] for token in sentence], dtype=np.int64).reshape(
                len(sentence), len(index)
            )
            for sentence in sentences
        ]


@dataclass(frozen=True, eq=True)
class Subwords:
    """A transformer's view of pre-split words: each sentence's subwords (the model's own fast
    tokenizer) in windows of at most ``max_length`` (special tokens included) that overlap by
    ``overlap`` subwords, and where each word's subwords sit in those windows.

    A word the tokenizer maps to no subword (an empty word; characters its normalizer removes)
    gets the unknown subword, so no word is lost and no later word shifts. A subword in several
    windows is read from the one where it is furthest from an edge (the most context).

    Args:
        tokenizer: the model's tokenizer (``tokenizer.json``), without padding or truncation.
        prefix: special ids opening every window (BERT: ``[CLS]``).
        suffix: special ids closing every window (BERT: ``[SEP]``).
        unk_id: the unknown subword's id.
        max_length: the longest window the model takes, special tokens included.
        overlap: subwords two neighbouring windows share.
    """

    tokenizer: Tokenizer
    prefix: tuple[int, ...]
    suffix: tuple[int, ...]
    unk_id: int
    max_length: int
    overlap: int

    def __post_init__(self) -> None:
        for name in ("prefix", "suffix"):  # a model folder's JSON gives lists
            object.__setattr__(self, name, tuple(getattr(self, name)))
        content = self.max_length - len(self.prefix) - len(self.suffix)
        if not 0 <= self.overlap < content:
            raise ValueError(f"the subword overlap must be in [0, {content}), got {self.overlap}")

    def align(self, sentences: Sequence[Sequence[str]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per sentence: the windows ``(W, L)`` (subword id + 1; 0 pads) and each word's subword
        positions ``(n, K)`` in the flattened windows (position + 1; 0 pads)."""
        encodings = self.tokenizer.encode_batch(
            [list(words) for words in sentences], is_pretokenized=True, add_special_tokens=False
        )
        content = self.max_length - len(self.prefix) - len(self.suffix)
        out = []
        for words, encoding in zip(sentences, encodings):
            pieces: list[list[int]] = [[] for _ in words]
            for piece, word in zip(encoding.ids, encoding.word_ids):
                if word is not None:
                    pieces[word].append(piece)
            sequence: list[int] = []
            spans = []
            for word_pieces in pieces:
                start = len(sequence)
                sequence.extend(word_pieces or [self.unk_id])
                spans.append((start, len(sequence)))
            cuts = windows(len(sequence), content, self.overlap)
            width = len(self.prefix) + max(b - a for a, b in cuts) + len(self.suffix)
            rows = np.zeros((len(cuts), width), dtype=np.int64)
            where = np.zeros(len(sequence), dtype=np.int64)
            best = np.full(len(sequence), -1)
            for w, (a, b) in enumerate(cuts):
                row = [*self.prefix, *sequence[a:b], *self.suffix]
                rows[w, : len(row)] = np.asarray(row) + 1
                for p in range(a, b):
                    centrality = min(p - a, b - 1 - p)
                    if centrality > best[p]:
                        best[p] = centrality
                        where[p] = w * width + len(self.prefix) + (p - a)
            most = max(end - start for start, end in spans)
            positions = np.zeros((len(spans), most), dtype=np.int64)
            for i, (start, end) in enumerate(spans):
                positions[i, : end - start] = where[start:end] + 1
            out.append((rows, positions))
        return out


@dataclass(frozen=True, eq=True)
class SubwordWindows(Subwords):
    """The subword windows of each sentence, ``(W, L)`` (id + 1, 0 pads); see :class:`Subwords`."""

    def __call__(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        return [rows for rows, _ in self.align(sentences)]


@dataclass(frozen=True, eq=True)
class WordPieces(Subwords):
    """Where each word's subwords sit in its sentence's flattened windows, ``(n, K)`` (position + 1,
    0 pads); see :class:`Subwords`."""

    def __call__(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        return [positions for _, positions in self.align(sentences)]


#: The featurizers a model folder can hold, by the name written there.
EXPORTABLE: dict[str, type] = {cls.__name__: cls for cls in (WordIds, CharIds, CasingIds, SubwordWindows, WordPieces)}


def featurizer_to_dict(featurizer: Callable[..., Any], folder: Path, input_name: str) -> dict[str, Any]:
    """``featurizer``'s settings as JSON types; each tokenizer is written to ``folder`` as
    ``<input_name>.tokenizer.json`` and named by its file. Only :data:`EXPORTABLE` kinds qualify."""
    kind = type(featurizer).__name__
    if EXPORTABLE.get(kind) is not type(featurizer) or not dataclasses.is_dataclass(featurizer):
        raise TypeError(
            f"batch input {input_name!r} is computed by {type(featurizer).__qualname__}, which a model folder "
            f"cannot hold (exportable: {', '.join(EXPORTABLE)})"
        )
    settings: dict[str, Any] = {"kind": kind}
    for field in dataclasses.fields(featurizer):
        value = getattr(featurizer, field.name)
        if isinstance(value, Tokenizer):
            name = f"{input_name}.tokenizer.json"
            value.save(str(folder / name))
            value = name
        settings[field.name] = value
    return settings


#: The largest tokenizer file a model folder may hold, in bytes (checked before the file is parsed).
MAX_TOKENIZER_BYTES = 64 * 2**20


def folder_file(folder: Path, name: Any, what: str, max_bytes: int | None = None) -> Path:
    """The file ``name`` inside ``folder``, checked to be a plain relative path that stays inside
    it (no ``..``, no absolute path, no link leading out), to exist, and to hold at most
    ``max_bytes`` bytes; anything else is a ``ValueError`` (``FileNotFoundError`` if missing)
    naming the file."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"{folder}: a {what} is named by {name!r}, not a file name")
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"{folder}: the {what} {name!r} is not a path inside the folder")
    path = folder / relative
    if not path.resolve().is_relative_to(folder.resolve()):
        raise ValueError(f"{path}: the {what} leads out of the folder (to {path.resolve()})")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing {what}")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise ValueError(f"{path}: {size} bytes, more than the {max_bytes} bytes a {what} may have")
    return path


def featurizer_from_dict(settings: dict[str, Any], folder: Path) -> Any:
    """The featurizer :func:`featurizer_to_dict` wrote (tokenizer files read from ``folder``)."""
    kind = settings.get("kind")
    cls = EXPORTABLE.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown featurizer kind {kind!r}; expected one of {', '.join(EXPORTABLE)}")
    arguments: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.name not in settings:
            continue
        value = settings[field.name]
        if field.type in ("Tokenizer", Tokenizer):
            path = folder_file(folder, value, "tokenizer file", MAX_TOKENIZER_BYTES)
            value = read_tokenizer(path)
        arguments[field.name] = value
    return cls(**arguments)
