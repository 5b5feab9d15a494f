"""Pre-split texts to id tensors with the model's featurizers (training and prediction)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from seqlab.data.collate import EncodedExample
from seqlab.featurizers import featurizer_source
from seqlab.spec import Featurizer


def encode_examples(
    featurizers: Mapping[str, Featurizer],
    sentences: Sequence[Sequence[str]],
    targets: Sequence[Tensor] | None = None,
    first_index: int = 0,
    given: Mapping[str, Sequence[Any]] | None = None,
) -> list[EncodedExample]:
    """One :class:`EncodedExample` per sentence, indexed from ``first_index``, with each batch input
    the featurizers compute; an empty sentence is an error naming its example number.

    A featurizer with a ``reads`` attribute computes its input from that column of ``given`` (the
    ``features`` of ``data.feature_columns``) rather than from the tokens; without it, the error
    says which column the model needs.
    """
    for i, tokens in enumerate(sentences):
        if not tokens:
            raise ValueError(f"example {first_index + i + 1} has no tokens")
    given = given or {}
    columns = {}
    for name, featurize in featurizers.items():
        columns[name] = [torch.as_tensor(x) for x in featurize(featurizer_source(name, featurize, sentences, given))]
    return [
        EncodedExample(
            first_index + i,
            {name: column[i] for name, column in columns.items()},
            len(tokens),
            targets[i] if targets is not None else None,
        )
        for i, tokens in enumerate(sentences)
    ]
