"""Pre-split texts to id tensors with a word and a character tokenizer (training and prediction)."""
from __future__ import annotations

from typing import Sequence

import torch
from tokenizers import Tokenizer
from torch import Tensor

from seqlab.data.collate import EncodedExample
from seqlab.tokenization.casing import encode_casing
from seqlab.tokenization.vocab import encode_chars, encode_words


def encode_examples(
    word_tokenizer: Tokenizer,
    char_tokenizer: Tokenizer,
    sentences: Sequence[Sequence[str]],
    max_chars: int,
    targets: Sequence[Tensor] | None = None,
    first_index: int = 0,
) -> list[EncodedExample]:
    """One :class:`EncodedExample` per non-empty sentence, indexed from ``first_index``."""
    word_ids = encode_words(word_tokenizer, sentences)
    char_ids = encode_chars(char_tokenizer, sentences, max_chars)
    casing_ids = encode_casing(sentences)
    out = []
    for i, (words, chars, casing) in enumerate(zip(word_ids, char_ids, casing_ids)):
        if not words:
            raise ValueError(f"example {first_index + i + 1} has no tokens")
        width = max(1, max(len(c) for c in chars))
        char_tensor = torch.tensor([c + [0] * (width - len(c)) for c in chars], dtype=torch.long)
        target = targets[i] if targets is not None else None
        out.append(EncodedExample(first_index + i, torch.tensor(words, dtype=torch.long), char_tensor,
                                  torch.tensor(casing, dtype=torch.long), target))
    return out
