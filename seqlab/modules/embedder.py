"""The token representation: a concatenation of embedding parts, then dropout.

A part is a small module with ``output_dim`` that names the batch inputs it reads (``inputs``)
and says how to compute them from pre-split text (:meth:`EmbeddingPart.featurizers`). Batches
carry their inputs by name, so a new part is one module and one config file: nothing in the
batch, the collate function or the task changes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, cast

import torch
from torch import Tensor, nn

from seqlab.constraints import PROBABILITY
from seqlab.errors import ConfigError
from seqlab.modules.dropout import Dropout
from seqlab.spec import Featurizer


class EmbeddingPart(nn.Module):
    """One piece of a token representation: ``(B, T, ...)`` inputs to ``(B, T, output_dim)``.

    Subclasses set ``output_dim`` and ``inputs`` (the batch inputs ``forward`` takes, in order)
    and return a featurizer for each input from :meth:`featurizers`.
    """

    output_dim: int
    inputs: tuple[str, ...] = ()

    def featurizers(self) -> dict[str, Featurizer]:
        """How to compute each of :attr:`inputs` from pre-split sentences."""
        raise NotImplementedError

    def for_prediction(self) -> None:
        """Settle for serving unseen text: drop whatever is kept only to speed up training (caches)."""

    def source_record(self) -> dict[str, Any] | None:
        """What the part read from outside its config (a pretrained model's architecture and
        tokenizer), as plain data a checkpoint keeps beside the config so that the part rebuilds
        from the checkpoint alone; ``None``: nothing (its config and weights are enough)."""
        return None

    @classmethod
    def restore_arguments(cls, record: dict[str, Any] | None) -> dict[str, Any]:
        """Constructor arguments that replace the config's when the part is rebuilt from a
        checkpoint that kept ``record`` (its :meth:`source_record`): the source the record holds,
        and none of what only training uses (caches). A ``ValueError`` if the part needs a record
        and there is none: it would read its source from outside the checkpoint."""
        return {}


class TokenEmbedder(nn.Module):
    """The parts' vectors for each token, concatenated in order, then dropout.

    Args:
        parts: the embedding parts by name (``word``, ``char``, ...), in order.
        dropout: dropout on the concatenated representation.
        variational_dropout: one dropout mask per sentence, shared by all its tokens (flair's
            locked dropout).
    """

    def __init__(
        self,
        parts: Mapping[str, EmbeddingPart],
        dropout: Annotated[float, PROBABILITY] = 0.5,
        variational_dropout: bool = False,
    ) -> None:
        super().__init__()
        if not parts:
            raise ConfigError("the embedder needs at least one part (embedding/word, embedding/char, ...)")
        for name, part in parts.items():
            if not isinstance(part, EmbeddingPart):
                raise TypeError(f"embedding.{name} is a {type(part).__name__}, not an EmbeddingPart")
        self.parts = nn.ModuleDict(parts)
        self.dropout = Dropout(dropout, variational=variational_dropout)
        self.output_dim = sum(part.output_dim for part in parts.values())

    def named_parts(self) -> Iterator[tuple[str, EmbeddingPart]]:
        """The parts by name, in order."""
        for name, part in self.parts.items():
            # ModuleDict is untyped (values are Module); __init__ only accepts EmbeddingParts.
            yield name, cast(EmbeddingPart, part)

    def source_records(self) -> dict[str, dict[str, Any]]:
        """Each part's :meth:`EmbeddingPart.source_record`, by name (parts with none left out)."""
        records = {name: part.source_record() for name, part in self.named_parts()}
        return {name: record for name, record in records.items() if record is not None}

    def for_prediction(self) -> None:
        """Every part settled for serving unseen text (:meth:`EmbeddingPart.for_prediction`)."""
        for _, part in self.named_parts():
            part.for_prediction()

    def featurizers(self) -> dict[str, Featurizer]:
        """Every batch input the parts read, with how to compute it (parts may share an input if they
        compute it alike, as the character CNN and BiLSTM do)."""
        merged: dict[str, tuple[str, Featurizer]] = {}
        for part_name, part in self.named_parts():
            for name, featurizer in part.featurizers().items():
                first, known = merged.setdefault(name, (part_name, featurizer))
                if known != featurizer:
                    raise ConfigError(
                        f"embedding.{first} and embedding.{part_name} both read the batch input {name!r} but compute "
                        "it differently; give one of them another input name"
                    )
        return {name: featurizer for name, (_, featurizer) in merged.items()}

    def forward(self, features: Mapping[str, Tensor]) -> Tensor:
        """Batch inputs by name (each ``(B, T, ...)``) to ``(B, T, output_dim)``."""
        vectors = []
        for name, part in self.named_parts():
            missing = [key for key in part.inputs if key not in features]
            if missing:
                raise KeyError(
                    f"embedding.{name} reads batch input {missing[0]!r}, which this batch does not "
                    f"carry (it has: {', '.join(features) or 'nothing'})"
                )
            vectors.append(part(*(features[key] for key in part.inputs)))
        return self.dropout(vectors[0] if len(vectors) == 1 else torch.cat(vectors, dim=-1))
