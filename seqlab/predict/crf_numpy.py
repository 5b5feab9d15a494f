"""A linear-chain CRF's Viterbi decoding and tag marginals in NumPy, batched (the ONNX backend's decoder).

Same conventions and results as :class:`seqlab.modules.crf.CRF`: emissions ``(B, T, K)``, a length
per sentence (each at least 1), transitions indexed ``[from, to]`` with the constraints already
added (:meth:`~seqlab.modules.crf.CRF.scores`). Viterbi runs in float32 with torch's order of
operations, so it picks the same tags; the marginals come from a scaled forward-backward in float64
(one small matrix product per position) and match torch's log-space ones to about 1e-7.

Sentences are visited longest first, and position ``t`` touches only the sentences longer than
``t``, so padding costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class CrfScores:
    """A CRF's constrained scores: ``transitions (K, K)`` ``[from, to]``, ``start (K,)`` and ``end (K,)``."""

    transitions: np.ndarray
    start: np.ndarray
    end: np.ndarray

    @classmethod
    def from_lists(cls, found: Any, num_tags: int) -> CrfScores:
        """The scores as stored in JSON (nested lists), checked against ``num_tags``."""
        try:
            scores = cls(
                np.asarray(found["transitions"], dtype=np.float32),
                np.asarray(found["start"], dtype=np.float32),
                np.asarray(found["end"], dtype=np.float32),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"CRF scores need 'transitions', 'start' and 'end' number arrays ({err})") from None
        k = num_tags
        if scores.transitions.shape != (k, k) or scores.start.shape != (k,) or scores.end.shape != (k,):
            raise ValueError(f"CRF scores do not fit {k} labels")
        return scores

    def to_lists(self) -> dict[str, list[Any]]:
        return {"transitions": self.transitions.tolist(), "start": self.start.tolist(), "end": self.end.tolist()}


def _longest_first(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The row order (longest first) and, per position ``t``, how many rows are longer than ``t``."""
    order = np.argsort(-lengths, kind="stable")
    active = (lengths[order][None, :] > np.arange(int(lengths.max()))[:, None]).sum(1)
    return order, active


def viterbi(emissions: np.ndarray, lengths: np.ndarray, scores: CrfScores) -> np.ndarray:
    """The best tag sequence of each sentence, ``(B, T)`` int64, 0 past its length."""
    order, active = _longest_first(lengths)
    em = emissions[order].astype(np.float32, copy=False)
    batch, length, k = em.shape
    trans = scores.transitions
    score = scores.start + em[:, 0]  # (B, K)
    pointers = []
    for t in range(1, len(active)):
        n = active[t]
        candidates = score[:n, :, None] + trans  # (n, from, to)
        pointers.append(candidates.argmax(1))  # (n, K)
        score[:n] = candidates.max(1) + em[:n, t]  # the value at the argmax, exactly
    current = (score + scores.end).argmax(1)  # each row's last tag
    path = np.zeros((batch, length), dtype=np.int64)
    rows = np.arange(batch)
    for t in range(len(active) - 1, 0, -1):
        n = active[t]
        path[:n, t] = current[:n]
        current[:n] = pointers[t - 1][rows[:n], current[:n]]
    path[:, 0] = current
    out = np.empty_like(path)
    out[order] = path
    return out


def marginals(emissions: np.ndarray, lengths: np.ndarray, scores: CrfScores) -> np.ndarray:
    """Per-token tag probabilities ``(B, T, K)`` float32 (forward-backward), 0 past each length."""
    order, active = _longest_first(lengths)
    em = emissions[order].astype(np.float64)
    batch, length, k = em.shape
    steps = len(active)
    # Each token's emissions shifted to a maximum of 0 before exp: the shift cancels in the marginals.
    unary = np.exp(em - em.max(2, keepdims=True))
    trans = np.exp(scores.transitions.astype(np.float64))
    alphas = np.zeros((batch, length, k))
    alpha = np.exp(scores.start.astype(np.float64)) * unary[:, 0]
    alphas[:, 0] = alpha / alpha.sum(1, keepdims=True)
    for t in range(1, steps):
        n = active[t]
        alpha = (alphas[:n, t - 1] @ trans) * unary[:n, t]
        alphas[:n, t] = alpha / alpha.sum(1, keepdims=True)
    betas = np.zeros((batch, length, k))
    end = np.exp(scores.end.astype(np.float64))
    last = lengths[order] - 1
    betas[np.arange(batch), last] = end
    for t in range(steps - 2, -1, -1):
        n = active[t + 1]  # rows going on past t; the others got the end scores at t
        beta = (unary[:n, t + 1] * betas[:n, t + 1]) @ trans.T
        betas[:n, t] = beta / beta.sum(1, keepdims=True)
    joint = alphas * betas
    total = joint.sum(2, keepdims=True)
    probabilities = np.divide(joint, total, out=np.zeros_like(joint), where=total > 0)
    out = np.empty((batch, length, k), dtype=np.float32)
    out[order] = probabilities
    return out
