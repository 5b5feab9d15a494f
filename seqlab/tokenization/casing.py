"""Word shape classes (casing feature of Collobert et al. 2011; Reimers & Gurevych 2017).

GloVe 6B is lowercase, so "Apple" and "apple" share a vector; a casing class per token gives
the tagger the shape of the word as it was written.
"""
from __future__ import annotations

from typing import Sequence

#: class names by id; id 0 is padding
CASING_CLASSES = ("<pad>", "other", "numeric", "mainly_numeric", "all_lower", "all_upper", "initial_upper",
                  "contains_digit")
_ID = {name: i for i, name in enumerate(CASING_CLASSES)}


def casing_class(token: str) -> int:
    """The casing class id of one token (never 0, the padding id)."""
    digits = sum(c.isdigit() for c in token)
    if token.isdigit():
        return _ID["numeric"]
    if digits / max(len(token), 1) > 0.5:
        return _ID["mainly_numeric"]
    if digits:
        return _ID["contains_digit"]
    if token.islower():
        return _ID["all_lower"]
    if token.isupper():
        return _ID["all_upper"]
    if token[:1].isupper():
        return _ID["initial_upper"]
    return _ID["other"]


def encode_casing(sentences: Sequence[Sequence[str]]) -> list[list[int]]:
    """The casing class id of each token of each sentence (each distinct token classified once)."""
    table = {token: casing_class(token) for token in {token for tokens in sentences for token in tokens}}
    return [[table[token] for token in tokens] for tokens in sentences]
