"""Carry the fine-tuning drift of training words over to the dev/test words that training never showed.

Fine-tuning moves the pretrained vector of every training word, while a word that only dev or test
holds keeps its pretrained vector: at evaluation it sits in the old geometry among moved
neighbours. :class:`UnseenWordDrift` moves each such vector by the (cosine-weighted) mean drift of
its nearest training words in the pretrained space, in the spirit of Kiros et al.'s (2015)
vocabulary expansion, which maps pretrained vectors into a trained model's embedding space.
:meth:`UnseenWordDrift.estimate` gives a training word the same treatment (from its neighbours,
not itself), for the tagger to learn to read such vectors (``embedding.drift_dropout``).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from seqlab.tokenization.vocab import UNK_ID

_CHUNK = 1024  # words compared with all training words at a time (bounds the similarity matrix)


class UnseenWordDrift(nn.Module):
    """The word table used at evaluation: training rows as trained, each row from
    ``train_word_vocab_size`` up moved by ``scale`` times the drift of its ``neighbours`` nearest
    training words.

    Args:
        initial: the word table before training, ``(V, D)``; the rows of the training words
            (ids ``2 .. train_word_vocab_size - 1``) are kept as the reference the drift is
            measured from.
        train_word_vocab_size: the word ids below it are the training data's words.
        neighbours: how many training words (nearest by cosine of their initial vectors) each
            unseen word takes the drift of, weighted by that cosine.
        scale: the factor on that mean drift. Averaging drifts that point different ways shortens
            them, so the mean moves a word less than its neighbours moved; a scale above 1 makes up
            for it (2 is what dev chose on CoNLL-2003).
    """

    def __init__(self, initial: Tensor, train_word_vocab_size: int, neighbours: int, scale: float = 1.0) -> None:
        super().__init__()
        first = UNK_ID + 1  # padding and the unknown word have no pretrained vector
        if train_word_vocab_size <= first:
            raise ValueError(f"train_word_vocab_size must leave training words above the special ids, "
                             f"got {train_word_vocab_size}")
        self.first = first
        self.train_word_vocab_size = train_word_vocab_size
        self.register_buffer("initial", initial[first:train_word_vocab_size].detach().clone())
        self._table: Tensor | None = None
        # (indices, weights) of each word's nearest training words: fixed by ``initial`` and the untrained rows
        self._train_neighbours: tuple[Tensor, Tensor] | None = None
        self._unseen_neighbours: tuple[Tensor, Tensor] | None = None
        self._neighbours = 0
        self.neighbours = neighbours
        self.scale = scale

    @property
    def neighbours(self) -> int:
        """How many nearest training words each unseen word takes the drift of."""
        return self._neighbours

    @neighbours.setter
    def neighbours(self, value: int) -> None:
        """Change K, e.g. to choose it on dev after training (it only acts at evaluation, with
        ``drift_dropout`` off): a new K drops the cached table and neighbour lists."""
        if value < 1:
            raise ValueError(f"neighbours must be >= 1, got {value}")
        value = min(value, self.train_word_vocab_size - self.first)
        if value != self._neighbours:
            self._neighbours = value
            self._forget_neighbours()

    @property
    def scale(self) -> float:
        """The factor on the mean drift of the neighbours."""
        return self._scale

    @scale.setter
    def scale(self, value: float) -> None:
        """Change the factor (e.g. chosen on dev after training, like K); the cached table is dropped."""
        if value <= 0:
            raise ValueError(f"scale must be > 0, got {value}")
        self._scale = float(value)
        self.clear()

    def table(self, weight: Tensor) -> Tensor:
        """``weight`` (the current word table) with the unseen words' rows moved; cached until
        the module is set to train mode or loads a state dict."""
        if self._table is None or self._table.device != weight.device or self._table.dtype != weight.dtype:
            self._table = self._moved(weight)
        return self._table

    @torch.no_grad()
    def estimate(self, word_ids: Tensor, weight: Tensor) -> Tensor:
        """For training word ids ``(M,)``, the vectors ``(M, D)`` their initial vectors and the drift
        of their nearest other training words give: what a word outside train reads at evaluation."""
        if self._train_neighbours is None or self._train_neighbours[0].device != weight.device:
            self._train_neighbours = self._nearest(self.initial, exclude_from=0)
        index, weights = self._train_neighbours
        rows = word_ids - self.first
        return self.initial[rows] + self._drift(index[rows], weights[rows], weight)

    @torch.no_grad()
    def _moved(self, weight: Tensor) -> Tensor:
        table = weight.detach().clone()
        end = self.train_word_vocab_size
        unseen = weight[end:]  # never trained: still their pretrained vectors, so their neighbours stay
        if self._unseen_neighbours is None or self._unseen_neighbours[0].device != weight.device:
            self._unseen_neighbours = self._nearest(unseen)
        table[end:] = unseen + self._drift(*self._unseen_neighbours, weight)
        return table

    def _drift(self, index: Tensor, weights: Tensor, weight: Tensor) -> Tensor:
        """The weighted mean drift ``(Q, D)`` of the training words ``index`` ``(Q, k)`` (into
        :attr:`initial`): their rows in ``weight`` minus their initial rows, times :attr:`scale`."""
        drift = weight[index + self.first] - self.initial[index]  # (Q, k, D)
        return self.scale * torch.einsum("qk,qkd->qd", weights, drift)

    def _nearest(self, queries: Tensor, exclude_from: int | None = None) -> tuple[Tensor, Tensor]:
        """Each query's ``neighbours`` nearest training words by cosine of initial vectors:
        their indices ``(Q, k)`` into :attr:`initial` and weights (the cosines, negative ones
        zeroed, normalised to sum 1). ``exclude_from=o``: query ``i`` is training word ``o + i``
        and is not its own neighbour."""
        reference = F.normalize(self.initial, dim=1)
        indices, weights = [], []
        for lo in range(0, queries.size(0), _CHUNK):
            similarity = F.normalize(queries[lo : lo + _CHUNK], dim=1) @ reference.T  # (C, N)
            if exclude_from is not None:
                rows = torch.arange(similarity.size(0), device=similarity.device)
                similarity[rows, exclude_from + lo + rows] = -2.0
            top, index = similarity.topk(self.neighbours, dim=1)
            top = top.clamp_min(0.0)
            indices.append(index)
            weights.append(top / top.sum(1, keepdim=True).clamp_min(1e-12))
        if not indices:
            return queries.new_zeros((0, self.neighbours), dtype=torch.long), queries.new_zeros((0, self.neighbours))
        return torch.cat(indices), torch.cat(weights)

    def clear(self) -> None:
        """Forget the cached table (the weights have changed or are about to)."""
        self._table = None

    def _forget_neighbours(self) -> None:
        """Drop the cached table and neighbour lists (a new K, reference or unseen rows)."""
        self.clear()
        self._train_neighbours = self._unseen_neighbours = None

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        self._forget_neighbours()  # a new reference and new unseen rows
        super()._load_from_state_dict(*args, **kwargs)

    def train(self, mode: bool = True) -> "UnseenWordDrift":
        self.clear()
        return super().train(mode)

