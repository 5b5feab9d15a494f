"""What the data hands the model: labels, tag scheme, vocabularies and encoding settings.

One :class:`DataSpec` is built from the training data, given to every part that needs the data
(the word and character parts read its vocabularies), saved once in the checkpoint and read back
by :class:`~seqlab.predict.predictor.Predictor`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tokenizers import Tokenizer

#: How a model part asks the data for one batch input: pre-split sentences in, one array per
#: sentence out (NumPy or torch), whose first dimension is the sentence's words (0 pads them in a
#: batch). seqlab's own are in :mod:`seqlab.featurizers`.
Featurizer = Callable[[Sequence[Sequence[str]]], Sequence[Any]]


@dataclass(frozen=True, eq=False)
class DataSpec:
    """Labels, vocabularies and encoding settings, set from the training data.

    Args:
        labels: the label vocabulary (real labels only; index = label id).
        tag_scheme: span scheme of ``labels`` (IOB1/IOB2/IOBES/BILOU), or ``None`` for plain labels.
        word_tokenizer: the word vocabulary (one id per pre-split token).
        char_tokenizer: the character vocabulary.
        train_word_vocab_size: the word ids below it are the training data's words; the ids from
            it up are words of other splits that pretrained vectors cover (``None``: all ids).
        max_chars: characters kept per token by the character parts.
        splitter: how raw text is cut into words (``whitespace``, ``words``, ``bert``), at
            prediction and, for text files, at reading.
        kept_vectors_start: the word ids from it up are pretrained vectors kept for text the data
            never showed (``embedding.word.keep``: ``all`` or a count); ``None``: none kept.
        lowercase_fallback: a word missing from the vocabulary is looked up again in lowercase
            (set with kept vectors, whose words are lowercase in GloVe).
        file_scheme: the span scheme the training file was written in (given or detected), in
            which predictions are written back; ``None``: as ``tag_scheme``.
        max_tokens: the most words of a text the model was trained on at once (``data.max_tokens``).
        truncation: how prediction cuts a text longer than ``max_tokens`` (``head``, ``tail``,
            ``head+tail``); ``None``: prediction reads whole texts (taggers).
        feature_columns: the CoNLL columns read as token features (``data.feature_columns``).
        feature_values: each feature column's values seen in training, in id order.
    """

    labels: tuple[str, ...]
    tag_scheme: str | None
    word_tokenizer: Tokenizer
    char_tokenizer: Tokenizer
    train_word_vocab_size: int | None = None
    max_chars: int = 20
    splitter: str = "words"
    kept_vectors_start: int | None = None
    lowercase_fallback: bool = False
    file_scheme: str | None = None
    max_tokens: int | None = None
    truncation: str | None = None
    feature_columns: tuple[int, ...] = ()
    feature_values: tuple[tuple[str, ...], ...] = ()

    @property
    def num_labels(self) -> int:
        return len(self.labels)

    @property
    def word_vocab_size(self) -> int:
        """Number of word ids, padding and unknown included."""
        return int(self.word_tokenizer.get_vocab_size())

    @property
    def char_vocab_size(self) -> int:
        """Number of character ids, padding and unknown included."""
        return int(self.char_tokenizer.get_vocab_size())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (the tokenizers as their JSON text), as saved in checkpoints."""
        return {
            "labels": list(self.labels),
            "tag_scheme": self.tag_scheme,
            "word_tokenizer": self.word_tokenizer.to_str(),
            "char_tokenizer": self.char_tokenizer.to_str(),
            "train_word_vocab_size": self.train_word_vocab_size,
            "max_chars": self.max_chars,
            "splitter": self.splitter,
            "kept_vectors_start": self.kept_vectors_start,
            "lowercase_fallback": self.lowercase_fallback,
            "file_scheme": self.file_scheme,
            "max_tokens": self.max_tokens,
            "truncation": self.truncation,
            "feature_columns": list(self.feature_columns),
            "feature_values": [list(values) for values in self.feature_values],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataSpec:
        """The spec :meth:`to_dict` wrote."""
        return cls(
            labels=tuple(data["labels"]),
            tag_scheme=data["tag_scheme"],
            word_tokenizer=Tokenizer.from_str(data["word_tokenizer"]),
            char_tokenizer=Tokenizer.from_str(data["char_tokenizer"]),
            train_word_vocab_size=data["train_word_vocab_size"],
            max_chars=int(data["max_chars"]),
            splitter=str(data["splitter"]),
            kept_vectors_start=data.get("kept_vectors_start"),  # absent in checkpoints of 0.2.0
            lowercase_fallback=bool(data.get("lowercase_fallback", False)),
            file_scheme=data.get("file_scheme"),  # absent before schemes were detected
            max_tokens=data.get("max_tokens"),  # absent before data.max_tokens
            truncation=data.get("truncation"),
            feature_columns=tuple(data.get("feature_columns", ())),  # absent before data.feature_columns
            feature_values=tuple(tuple(values) for values in data.get("feature_values", ())),
        )
