"""What the model's embedding parts ask of the data, as plain settings the edge hands the data module.

The settings live on their part's config (``embedding.word.pretrained``, ``.keep``, ``.lowercase``;
``embedding.char.max_chars``); :meth:`PartSettings.from_parts` reads them from the composed part
nodes, and the data module's :class:`~seqlab.data.spec_builder.SpecBuilder` builds the vocabularies
(and the initial vector rows) with them. Light on purpose (no torch, no datasets): the config check
and the command line read :data:`MOVED_DATA_SETTINGS` before anything heavy is imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seqlab.errors import ConfigError

#: Settings that were data settings and are now their embedding part's: the old ``data`` key to the
#: part's description and its key now. ``data.pretrained`` and ``data.keep_vectors`` were copies of
#: the word part's keys (interpolated); a checkpoint written before the move still holds them.
MOVED_DATA_SETTINGS: dict[str, tuple[str, str]] = {
    "max_chars": ("the character part", "embedding.char.max_chars"),
    "lowercase": ("the word part", "embedding.word.lowercase"),
    "pretrained": ("the word part", "embedding.word.pretrained"),
    "keep_vectors": ("the word part", "embedding.word.keep"),
}


def moved_setting_message(key: str, value: Any = None) -> str | None:
    """The one-line error for ``data.<key>`` when ``key`` moved to an embedding part, else ``None``."""
    if key not in MOVED_DATA_SETTINGS:
        return None
    part, new_key = MOVED_DATA_SETTINGS[key]
    shown = "VALUE" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return f"{key} is a setting of {part}: {new_key}={shown}"


def without_moved_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    """A checkpoint's ``data`` config without the settings that moved to the parts (checkpoints
    written before the move: the word part's config holds the vectors, and the spec records
    ``max_chars`` and the lowercasing word tokenizer)."""
    return {key: value for key, value in data.items() if key not in MOVED_DATA_SETTINGS}


def kept_vector_count(keep: Any) -> int | str | None:
    """``embedding.word.keep`` as ``None`` (dataset), ``"all"`` or a positive count."""
    if keep == "dataset":
        return None
    if keep == "all" or (isinstance(keep, int) and not isinstance(keep, bool) and keep > 0):
        return keep
    raise ConfigError(f"embedding.word.keep must be dataset, all or a positive count of words, got {keep!r}")


@dataclass(frozen=True)
class WordVocabulary:
    """The word part's say in the word vocabulary.

    Args:
        lowercase: lowercase words before the vocabulary lookup (``embedding.word.lowercase``;
            characters keep their case).
        vectors: word-vector file (GloVe/word2vec text, .gz) or packaged name
            (``embedding.word.pretrained``): the words of the data it covers join the vocabulary,
            and its rows become the part's initial vectors.
        keep: which further pretrained rows the vocabulary keeps, for text the data never showed
            (``embedding.word.keep``): ``dataset`` (none), ``all``, or a count of the most frequent.
    """

    lowercase: bool = False
    vectors: str | None = None
    keep: str | int = "dataset"

    def __post_init__(self) -> None:
        if self.kept is not None and not self.vectors:
            raise ConfigError(
                f"embedding.word.keep={self.keep} keeps rows of pretrained vectors, but none are set: "
                "give embedding.word.pretrained=FILE (or keep=dataset)"
            )

    @property
    def kept(self) -> int | str | None:
        """:attr:`keep` as ``None`` (dataset: no rows beyond the data's words), ``"all"`` or a count."""
        return kept_vector_count(self.keep)


@dataclass(frozen=True)
class PartSettings:
    """What the embedding parts ask of the data: the word vocabulary and the characters kept per token.

    Args:
        word: the word vocabulary's settings (the part declaring ``pretrained``).
        max_chars: characters kept per token by the character part (``embedding.char.max_chars``),
            recorded in the :class:`~seqlab.spec.DataSpec`.
    """

    word: WordVocabulary = field(default_factory=WordVocabulary)
    max_chars: int = 20

    @classmethod
    def from_parts(cls, parts: Mapping[str, Mapping[str, Any]]) -> PartSettings:
        """From the embedding parts' configs (name to node): the first part declaring ``pretrained``
        gives the word vocabulary (its ``pretrained``, ``keep`` and ``lowercase``), the first declaring
        ``max_chars`` the characters kept; parts that declare neither leave the defaults."""
        word = next((node for node in parts.values() if "pretrained" in node), None)
        chars = next(((name, node) for name, node in parts.items() if "max_chars" in node), None)
        settings = cls()
        if word is not None:
            vectors = word.get("pretrained")
            settings = cls(
                word=WordVocabulary(
                    lowercase=bool(word.get("lowercase", False)),
                    vectors=str(vectors) if vectors else None,
                    keep=word.get("keep", "dataset"),
                )
            )
        if chars is not None and chars[1].get("max_chars") is not None:
            max_chars = chars[1]["max_chars"]
            if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1:
                raise ConfigError(f"embedding.{chars[0]}.max_chars must be a positive integer, got {max_chars!r}")
            settings = cls(word=settings.word, max_chars=max_chars)
        return settings
