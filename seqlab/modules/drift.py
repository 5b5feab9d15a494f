"""Carry the fine-tuning drift of training words over to the words that training never showed.

Fine-tuning moves the pretrained vector of every training word, while a word that only dev or
test holds (the vectors cover it, so it has a row) keeps its pretrained vector: at evaluation it
sits in the old geometry among moved neighbours. :class:`UnseenWordDrift` moves each such row by
the cosine-weighted mean drift of its nearest training words in the pretrained space, in the
spirit of Kiros et al.'s (2015) vocabulary expansion. It is applied to the weights outside the
model (:class:`seqlab.training.callbacks.UnseenWordDrift` does it at each validation), so the moved rows
are saved in the checkpoint and every reader of the weights inherits them.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

from seqlab.tokenization.vocab import UNK_ID

_CHUNK = 1024  # words compared with all training words at a time (bounds the similarity matrix)


class UnseenWordDrift:
    """Moves the rows from ``train_word_vocab_size`` up by ``scale`` times the mean drift of their
    ``neighbours`` nearest training words.

    Args:
        initial: the word table before training ``(V, D)``; drift is measured from it and the
            moved rows start from it (so whatever happened to them since does not matter).
        train_word_vocab_size: the word ids below it are the training data's words.
        neighbours: how many training words (nearest by cosine of their initial vectors) each
            unseen word takes the drift of, weighted by that cosine.
        scale: the factor on that mean drift (a mean of drifts pointing different ways is
            shorter than they are).
    """

    def __init__(self, initial: Tensor, train_word_vocab_size: int, neighbours: int, scale: float = 1.0) -> None:
        self.first = UNK_ID + 1  # padding and the unknown word have no pretrained vector
        if train_word_vocab_size <= self.first:
            raise ValueError(
                f"train_word_vocab_size must leave training words above the special ids, got {train_word_vocab_size}"
            )
        if neighbours < 1:
            raise ValueError(f"neighbours must be >= 1, got {neighbours}")
        if scale <= 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        self.initial = initial.detach().clone()
        self.train_word_vocab_size = train_word_vocab_size
        self.neighbours = min(neighbours, train_word_vocab_size - self.first)
        self.scale = float(scale)
        self._nearest: tuple[Tensor, Tensor] | None = None  # fixed by the initial table

    @torch.no_grad()
    def moved(self, weight: Tensor) -> Tensor:
        """The rows from ``train_word_vocab_size`` up ``(V - train_word_vocab_size, D)``: their
        initial vectors plus the scaled mean drift of their nearest training words in ``weight``."""
        end = self.train_word_vocab_size
        initial = self.initial.to(weight.device, weight.dtype)
        if self._nearest is None or self._nearest[0].device != weight.device:
            self._nearest = self._nearest_training_words(initial[end:], initial[self.first : end])
        index, weights = self._nearest
        moved = initial[end:].clone()
        step = _CHUNK * 16  # bounds the (Q, k, D) drift tensor
        for lo in range(0, moved.size(0), step):
            rows = index[lo : lo + step] + self.first
            drift = weight[rows] - initial[rows]  # (C, k, D)
            moved[lo : lo + step] += self.scale * torch.einsum("qk,qkd->qd", weights[lo : lo + step], drift)
        return moved

    @torch.no_grad()
    def apply(self, weight: Tensor) -> None:
        """Write :meth:`moved` into ``weight`` in place."""
        weight[self.train_word_vocab_size :] = self.moved(weight)

    def _nearest_training_words(self, queries: Tensor, reference: Tensor) -> tuple[Tensor, Tensor]:
        """Each query's ``neighbours`` nearest reference rows by cosine: their indices ``(Q, k)``
        and weights (the cosines, negative ones zeroed, normalised to sum 1)."""
        reference = F.normalize(reference, dim=1)
        indices, weights = [], []
        for lo in range(0, queries.size(0), _CHUNK):
            similarity = F.normalize(queries[lo : lo + _CHUNK], dim=1) @ reference.T  # (C, N)
            top, index = similarity.topk(self.neighbours, dim=1)
            top = top.clamp_min(0.0)
            indices.append(index)
            weights.append(top / top.sum(1, keepdim=True).clamp_min(1e-12))
        if not indices:
            return queries.new_zeros((0, self.neighbours), dtype=torch.long), queries.new_zeros((0, self.neighbours))
        return torch.cat(indices), torch.cat(weights)
