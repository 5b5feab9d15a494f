"""Linear-chain conditional random field, vectorised over the batch.

Conventions: batch-first tensors, ``mask (B, T)`` bool and True on real tokens (each sequence
non-empty and left-aligned), transitions indexed ``[from, to]`` with separate start and end
scores. Forbidden transitions get a large negative score, so they are never decoded and
contribute nothing to the partition function.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor, nn

#: Score added to forbidden transitions: finite (no NaN in gradients) yet far below any path.
FORBIDDEN = -10000.0


class CRF(nn.Module):
    """A CRF over ``num_tags`` tags.

    Args:
        num_tags: number of tags (the label vocabulary size).
        allowed_transitions: pairs ``(from, to)`` that may occur, as returned by
            :func:`seqlab.data.tag_schemes.allowed_transitions`; index ``num_tags`` is the start
            and ``num_tags + 1`` the end. ``None`` allows every transition.
    """

    _constraint: Tensor  # buffer registered in __init__

    def __init__(self, num_tags: int, allowed_transitions: Iterable[tuple[int, int]] | None = None) -> None:
        super().__init__()
        if num_tags < 1:
            raise ValueError(f"num_tags must be positive, got {num_tags}")
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags))
        self.start_transitions = nn.Parameter(torch.empty(num_tags))
        self.end_transitions = nn.Parameter(torch.empty(num_tags))
        constraint = torch.zeros(num_tags + 2, num_tags + 2)
        if allowed_transitions is not None:
            constraint.fill_(FORBIDDEN)
            for i, j in allowed_transitions:
                constraint[i, j] = 0.0
        self.register_buffer("_constraint", constraint, persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.uniform_(self.transitions, -0.1, 0.1)
        nn.init.uniform_(self.start_transitions, -0.1, 0.1)
        nn.init.uniform_(self.end_transitions, -0.1, 0.1)

    def extra_repr(self) -> str:
        return f"num_tags={self.num_tags}"

    def scores(self) -> tuple[Tensor, Tensor, Tensor]:
        """Transition ``(K, K)``, start and end ``(K,)`` scores with the constraints applied, as decoding uses them."""
        return self._scores()

    def _scores(self) -> tuple[Tensor, Tensor, Tensor]:
        """Transition, start and end scores with the constraints applied."""
        k = self.num_tags
        c = self._constraint
        return (
            self.transitions + c[:k, :k],  # (K, K)
            self.start_transitions + c[k, :k],  # (K,)
            self.end_transitions + c[:k, k + 1],  # (K,)
        )

    def _check(self, emissions: Tensor, mask: Tensor, tags: Tensor | None = None) -> None:
        if emissions.dim() != 3 or emissions.size(2) != self.num_tags:
            raise ValueError(
                f"emissions must have shape (batch, seq_len, {self.num_tags}), got {tuple(emissions.shape)}"
            )
        if mask.shape != emissions.shape[:2]:
            raise ValueError(f"mask shape {tuple(mask.shape)} does not match emissions {tuple(emissions.shape[:2])}")
        if tags is not None and tags.shape != emissions.shape[:2]:
            raise ValueError(f"tags shape {tuple(tags.shape)} does not match emissions {tuple(emissions.shape[:2])}")
        if mask.size(1) == 0 or not bool(mask[:, 0].all()):
            raise ValueError("every sequence needs at least one token: mask[:, 0] must be all True")

    def log_likelihood(self, emissions: Tensor, tags: Tensor, mask: Tensor, reduction: str = "mean") -> Tensor:
        """Log-likelihood of ``tags`` given ``emissions (B, T, K)``.

        Args:
            emissions: unnormalised tag scores, ``(B, T, K)``.
            tags: gold tag indices, ``(B, T)``; values at masked positions are ignored.
            mask: ``(B, T)`` bool, True on real tokens.
            reduction: ``"none"`` (one value per sequence), ``"sum"``, ``"mean"`` (over
                sequences) or ``"token_mean"`` (sum divided by the number of real tokens).
        """
        if reduction not in ("none", "sum", "mean", "token_mean"):
            raise ValueError(f"reduction must be none, sum, mean or token_mean, got {reduction!r}")
        mask = mask.bool()
        self._check(emissions, mask, tags)
        emissions = emissions.float()
        tags = tags.masked_fill(~mask, 0)
        llh = self._gold_score(emissions, tags, mask) - self._log_partition(emissions, mask)  # (B,)
        if reduction == "none":
            return llh
        if reduction == "sum":
            return llh.sum()
        if reduction == "mean":
            return llh.mean()
        return llh.sum() / mask.sum()

    def _gold_score(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        trans, start, end = self._scores()
        lengths = mask.sum(1)  # (B,)
        emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T)
        score = start[tags[:, 0]] + (emit * mask).sum(1)  # (B,)
        step = trans[tags[:, :-1], tags[:, 1:]] * mask[:, 1:]  # (B, T-1)
        last = tags.gather(1, (lengths - 1).unsqueeze(1)).squeeze(1)  # (B,)
        return score + step.sum(1) + end[last]

    def _log_partition(self, emissions: Tensor, mask: Tensor) -> Tensor:
        trans, start, end = self._scores()
        return _LogPartition.apply(emissions, trans, start, end, mask)

    @torch.no_grad()
    def decode(self, emissions: Tensor, mask: Tensor, nbest: int = 1) -> Tensor:
        """Viterbi best tag sequence for each sentence, ``(B, T)``; padded positions hold 0.

        With ``nbest > 1``, the ``nbest`` best sequences in order, ``(B, nbest, T)`` (see
        :meth:`decode_nbest`, which also returns their scores).
        """
        if nbest > 1:
            return self.decode_nbest(emissions, mask, nbest)[0]
        mask = mask.bool()
        if torch.onnx.is_in_onnx_export():  # an in-graph loop instead of one unrolled per position
            return _graph_functions()[0](emissions.float(), mask, *self._scores())
        self._check(emissions, mask)
        trans, start, end = self._scores()
        emissions = emissions.float()
        batch, length, k = emissions.shape
        score = start + emissions[:, 0]  # (B, K)
        identity = torch.arange(k, device=emissions.device).expand(batch, k)
        backpointers = []
        for t in range(1, length):
            best, best_from = (score.unsqueeze(2) + trans).max(dim=1)  # (B, K) each
            step_mask = mask[:, t : t + 1]
            score = torch.where(step_mask, best + emissions[:, t], score)
            # Past a sentence's end the path stays on its last tag.
            backpointers.append(torch.where(step_mask, best_from, identity))
        current = (score + end).argmax(dim=1)  # (B,)
        path = [current]
        for pointers in reversed(backpointers):
            current = pointers.gather(1, current.unsqueeze(1)).squeeze(1)
            path.append(current)
        path.reverse()
        return torch.stack(path, dim=1).masked_fill(~mask, 0)

    @torch.no_grad()
    def decode_nbest(self, emissions: Tensor, mask: Tensor, nbest: int) -> tuple[Tensor, Tensor]:
        """The ``nbest`` highest-scoring tag sequences (exact list Viterbi) and their scores.

        Returns ``paths (B, nbest, T)`` (0 on padding) and ``scores (B, nbest)``; subtract
        :meth:`log_partition` from a score for the sequence's log-probability. When a sentence
        has fewer than ``nbest`` possible sequences, the missing ones score ``-inf``.
        """
        mask = mask.bool()
        self._check(emissions, mask)
        trans, start, end = self._scores()
        emissions = emissions.float()
        batch, length, k = emissions.shape
        n = nbest
        # score[b, tag, r]: r-th best score of a path ending in tag; rank 0 filled at the start.
        score = emissions.new_full((batch, k, n), float("-inf"))
        score[:, :, 0] = start + emissions[:, 0]
        identity = torch.arange(k * n, device=emissions.device).view(1, k, n).expand(batch, k, n)
        backpointers = []
        for t in range(1, length):
            # (B, from, rank, 1) + (from, 1, to) -> (B, from*rank, to) -> best n per "to"
            candidates = (score.unsqueeze(3) + trans.unsqueeze(1)).reshape(batch, k * n, k)
            best, best_from = candidates.topk(n, dim=1)  # (B, n, to)
            step_mask = mask[:, t].view(batch, 1, 1)
            score = torch.where(step_mask, (best + emissions[:, t].unsqueeze(1)).transpose(1, 2), score)
            backpointers.append(torch.where(step_mask, best_from.transpose(1, 2), identity))  # (B, to, n)
        final, current = (score + end.view(1, k, 1)).reshape(batch, k * n).topk(n, dim=1)  # (B, n)
        path = [current // n]
        for pointers in reversed(backpointers):
            current = pointers.reshape(batch, k * n).gather(1, current)
            path.append(current // n)
        path.reverse()
        paths = torch.stack(path, dim=2)  # (B, n, T)
        return paths.masked_fill(~mask.unsqueeze(1), 0), final

    def log_partition(self, emissions: Tensor, mask: Tensor) -> Tensor:
        """Log of the sum over all tag sequences of their exponentiated scores, ``(B,)``."""
        mask = mask.bool()
        self._check(emissions, mask)
        return self._log_partition(emissions.float(), mask)

    def marginals(self, emissions: Tensor, mask: Tensor) -> Tensor:
        """Per-token tag probabilities ``(B, T, K)`` by the forward-backward algorithm (0 on padding)."""
        mask = mask.bool()
        if torch.onnx.is_in_onnx_export():
            return _graph_functions()[1](emissions.float(), mask, *self._scores())
        self._check(emissions, mask)
        return scaled_marginals(emissions, mask, *self._scores())


def scaled_marginals(emissions: Tensor, mask: Tensor, trans: Tensor, start: Tensor, end: Tensor) -> Tensor:
    """Per-token tag probabilities ``(B, T, K)`` by forward-backward in probability space, each step
    rescaled to sum to one (Rabiner's scaling), in float64: a matrix product per position where
    the log-space recursion of :func:`forward_scores` takes a ``(B, K, K)`` logsumexp (0 on padding).

    The marginal at a position is its alpha times its beta, renormalised, so the scale factors
    cancel; emissions are shifted by their maximum per position before ``exp``.
    """
    emissions, trans, start, end = (x.double() for x in (emissions, trans, start, end))
    steps = (trans - trans.max()).exp()  # (from, to)
    factors = (emissions - emissions.amax(dim=2, keepdim=True)).exp()  # (B, T, K)
    length = emissions.size(1)
    alpha = _normalised((start + emissions[:, 0]) - (start + emissions[:, 0]).amax(dim=1, keepdim=True))
    alphas = [alpha]
    for t in range(1, length):
        nxt = _scaled((alpha @ steps) * factors[:, t])
        alpha = torch.where(mask[:, t : t + 1], nxt, alpha)
        alphas.append(alpha)
    beta = _normalised((end - end.max()).expand(emissions.size(0), -1))
    betas = [beta]
    for t in range(length - 2, -1, -1):
        nxt = _scaled((factors[:, t + 1] * beta) @ steps.T)
        beta = torch.where(mask[:, t + 1 : t + 2], nxt, beta)
        betas.append(beta)
    betas.reverse()
    products = torch.stack(alphas, 1) * torch.stack(betas, 1)
    marginals = products / products.sum(dim=2, keepdim=True)
    return marginals.float().masked_fill(~mask.unsqueeze(2), 0.0)


def _normalised(log_scores: Tensor) -> Tensor:
    """``exp(log_scores)`` rescaled to sum to one along the last dimension."""
    return _scaled(log_scores.exp())


def _scaled(scores: Tensor) -> Tensor:
    return scores / scores.sum(dim=-1, keepdim=True)


def forward_scores(emissions: Tensor, mask: Tensor, trans: Tensor, start: Tensor) -> Tensor:
    """Forward (alpha) log-scores ``(B, T, K)``: all paths ending in each tag at each position.

    Past a sentence's end alpha keeps its last value, so ``alphas[:, -1]`` is every sentence's final one.
    """
    alpha = start + emissions[:, 0]  # (B, K)
    alphas = [alpha]
    for t in range(1, emissions.size(1)):
        # (B, K, 1) + (K, K) -> logsumexp over "from" -> (B, K)
        nxt = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]
        alpha = torch.where(mask[:, t : t + 1], nxt, alpha)
        alphas.append(alpha)
    return torch.stack(alphas, 1)


def backward_scores(emissions: Tensor, mask: Tensor, trans: Tensor, end: Tensor) -> Tensor:
    """Backward (beta) log-scores ``(B, T, K)``: all path continuations from each tag to the end.

    Past a sentence's end beta stays at the end scores, so its last real token gets them.
    """
    beta = end.expand(emissions.size(0), -1)
    betas = [beta]
    for t in range(emissions.size(1) - 2, -1, -1):
        nxt = torch.logsumexp(trans + (emissions[:, t + 1] + beta).unsqueeze(1), dim=2)
        beta = torch.where(mask[:, t + 1 : t + 2], nxt, beta)
        betas.append(beta)
    betas.reverse()
    return torch.stack(betas, 1)


class _LogPartition(torch.autograd.Function):
    """``log Z`` with a hand-written backward: the gradient of ``log Z`` is the expected count
    of each emission and transition, i.e. the forward-backward marginals.

    Autograd through the forward recursion records ~10 small ops per position and replays them
    backwards; this backward is one beta recursion plus a few batched products, which made the
    CRF loss about twice as fast to differentiate. Checked against autograd on brute-force
    enumeration in the tests.
    """

    @staticmethod
    def forward(ctx, emissions: Tensor, trans: Tensor, start: Tensor, end: Tensor, mask: Tensor) -> Tensor:
        alphas = forward_scores(emissions, mask, trans, start)
        log_z = torch.logsumexp(alphas[:, -1] + end, dim=1)
        ctx.save_for_backward(emissions, trans, end, mask, alphas, log_z)
        return log_z

    @staticmethod
    def backward(ctx, grad_log_z: Tensor):
        emissions, trans, end, mask, alphas, log_z = ctx.saved_tensors
        betas = backward_scores(emissions, mask, trans, end)
        weight = grad_log_z.view(-1, 1, 1)
        unary = (alphas + betas - log_z.view(-1, 1, 1)).exp() * mask.unsqueeze(2)  # (B, T, K) marginals
        grad_emissions = unary * weight
        grad_start = (unary[:, 0] * weight[:, 0]).sum(0)
        last = mask.sum(1) - 1  # (B,)
        final = unary[torch.arange(unary.size(0)), last]  # (B, K)
        grad_end = (final * weight[:, 0]).sum(0)
        # Pairwise marginals of (tag i at t-1, tag j at t), summed over real positions t >= 1.
        pair = (
            alphas[:, :-1].unsqueeze(3)
            + trans
            + (emissions[:, 1:] + betas[:, 1:]).unsqueeze(2)
            - log_z.view(-1, 1, 1, 1)
        ).exp()  # (B, T-1, K, K)
        pair_weight = mask[:, 1:].to(pair.dtype) * grad_log_z.view(-1, 1)  # (B, T-1)
        grad_trans = torch.einsum("btij,bt->ij", pair, pair_weight)
        return grad_emissions, grad_trans, grad_start, grad_end, None


def _viterbi_in_graph(emissions: Tensor, mask: Tensor, trans: Tensor, start: Tensor, end: Tensor) -> Tensor:
    """:meth:`CRF.decode` as TorchScript can compile it: its loops become ONNX ``Loop`` nodes."""
    batch, length, k = emissions.size(0), emissions.size(1), emissions.size(2)
    score = start + emissions[:, 0]
    identity = torch.arange(k, device=emissions.device).unsqueeze(0).expand(batch, k)
    pointers = [identity]
    for t in range(1, length):
        best, best_from = (score.unsqueeze(2) + trans).max(dim=1)
        step = mask[:, t].unsqueeze(1)
        score = torch.where(step, best + emissions[:, t], score)
        pointers.append(torch.where(step, best_from, identity))
    current = (score + end).argmax(dim=1)
    backwards = [current]  # the path from its end (list.reverse does not export)
    for t in range(length - 1, 0, -1):
        current = pointers[t].gather(1, current.unsqueeze(1)).squeeze(1)
        backwards.append(current)
    return torch.stack(backwards, dim=1).flip([1]).masked_fill(~mask, 0)


def _marginals_in_graph(emissions: Tensor, mask: Tensor, trans: Tensor, start: Tensor, end: Tensor) -> Tensor:
    """:meth:`CRF.marginals` (forward-backward) as TorchScript can compile it."""
    length = emissions.size(1)
    alpha = start + emissions[:, 0]
    alphas = [alpha]
    for t in range(1, length):
        nxt = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]
        alpha = torch.where(mask[:, t].unsqueeze(1), nxt, alpha)
        alphas.append(alpha)
    beta = end.unsqueeze(0).expand(emissions.size(0), end.size(0))
    betas = [beta]
    for t in range(length - 2, -1, -1):
        nxt = torch.logsumexp(trans + (emissions[:, t + 1] + beta).unsqueeze(1), dim=2)
        beta = torch.where(mask[:, t + 1].unsqueeze(1), nxt, beta)
        betas.append(beta)
    forward, backward = torch.stack(alphas, 1), torch.stack(betas, 1).flip([1])  # betas were built from the end
    log_z = torch.logsumexp(alpha + end, dim=1)
    scores = forward + backward - log_z.unsqueeze(1).unsqueeze(2)
    return scores.exp().masked_fill(~mask.unsqueeze(2), 0.0)


_SCRIPTED: tuple[Any, Any] | None = None


def _graph_functions() -> tuple[Any, Any]:
    """The scripted Viterbi and forward-backward (compiled on first export only)."""
    global _SCRIPTED
    if _SCRIPTED is None:
        _SCRIPTED = (torch.jit.script(_viterbi_in_graph), torch.jit.script(_marginals_in_graph))
    return _SCRIPTED
