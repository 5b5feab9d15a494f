"""What a model needs to know about its data: labels, tag scheme and vocabulary sizes."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class DataSpec:
    """Sizes and label inventory, set from the training data and saved in the checkpoint.

    Args:
        labels: the label vocabulary (real labels only; index = tag id).
        tag_scheme: span scheme of ``labels`` (IOB1/IOB2/IOBES/BILOU), or ``None`` for plain labels.
        word_vocab_size: number of word ids, padding and unknown included.
        char_vocab_size: number of character ids, padding and unknown included.
        train_word_vocab_size: the word ids below it are the training data's words; the ids from
            it up are words of other splits that pretrained vectors cover (``None``: all ids).
    """

    labels: tuple[str, ...]
    tag_scheme: str | None
    word_vocab_size: int
    char_vocab_size: int
    train_word_vocab_size: int | None = None

    @property
    def num_labels(self) -> int:
        return len(self.labels)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["labels"] = list(self.labels)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "DataSpec":
        return cls(**{**data, "labels": tuple(data["labels"])})
