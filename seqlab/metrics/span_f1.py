"""Span precision/recall/F1 as a torchmetrics Metric whose spans come from seqeval (strict mode).

The states are per-type counts reduced by summation, so the metric is exact under DDP and
equals ``seqeval.metrics.f1_score(..., mode="strict", scheme=...)`` on the same tags.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torchmetrics import Metric

from seqlab.spans import SEQEVAL_SCHEMES, seqeval_scheme, strict_spans

__all__ = ["SEQEVAL_SCHEMES", "SpanF1", "seqeval_scheme", "strict_spans"]


class SpanF1(Metric):
    """Micro-averaged span F1 (and per type) over ``entity_types``.

    Args:
        entity_types: the span types to count (others are ignored).
        tag_scheme: scheme of the tags passed to :meth:`update`.
    """

    full_state_update = False
    # Per-type span counts, registered with add_state in __init__.
    correct: torch.Tensor
    predicted: torch.Tensor
    gold: torch.Tensor

    def __init__(self, entity_types: Sequence[str], tag_scheme: str) -> None:
        super().__init__()
        self.entity_types = sorted(set(entity_types))
        self.type_index = {t: i for i, t in enumerate(self.entity_types)}
        self.tag_scheme = tag_scheme
        seqeval_scheme(tag_scheme)
        zeros = torch.zeros(len(self.entity_types), dtype=torch.long)
        for name in ("correct", "predicted", "gold"):
            self.add_state(name, default=zeros.clone(), dist_reduce_fx="sum")

    def update(self, predictions: Sequence[Sequence[str]], targets: Sequence[Sequence[str]]) -> None:
        """Count spans of predicted and gold tag sequences (label strings)."""
        if len(predictions) != len(targets):
            raise ValueError(f"{len(predictions)} predicted sequences but {len(targets)} gold sequences")
        counts = torch.zeros(3, len(self.entity_types), dtype=torch.long)
        for pred, gold in zip(strict_spans(predictions, self.tag_scheme), strict_spans(targets, self.tag_scheme)):
            for row, spans in enumerate((pred & gold, pred, gold)):
                for span in spans:
                    if span[0] in self.type_index:
                        counts[row, self.type_index[span[0]]] += 1
        self.correct += counts[0].to(self.correct.device)
        self.predicted += counts[1].to(self.predicted.device)
        self.gold += counts[2].to(self.gold.device)

    def compute(self) -> dict[str, torch.Tensor]:
        """``precision``, ``recall``, ``f1`` (micro) and ``f1_<TYPE>`` per type, in [0, 1]. Every
        type has its key, so all ranks log the same keys; :func:`absent_types` names the ones a
        split does not hold, whose scores the results leave out."""
        result = _prf(self.correct.sum(), self.predicted.sum(), self.gold.sum())
        per_type = _prf(self.correct, self.predicted, self.gold)
        for i, entity_type in enumerate(self.entity_types):
            result[f"f1_{entity_type}"] = per_type["f1"][i]
        return result


def absent_types(entity_types: Sequence[str], tag_sequences: Sequence[Sequence[str]]) -> list[str]:
    """The entity types no gold tag of ``tag_sequences`` names (``B-PER`` names ``PER``)."""
    present = {tag.split("-", 1)[1] for tags in tag_sequences for tag in tags if "-" in tag}
    return [t for t in entity_types if t not in present]


def _prf(correct: torch.Tensor, predicted: torch.Tensor, gold: torch.Tensor) -> dict[str, torch.Tensor]:
    correct, predicted, gold = correct.double(), predicted.double(), gold.double()
    precision = torch.where(predicted > 0, correct / predicted.clamp_min(1), torch.zeros_like(correct))
    recall = torch.where(gold > 0, correct / gold.clamp_min(1), torch.zeros_like(correct))
    denom = precision + recall
    f1 = torch.where(denom > 0, 2 * precision * recall / denom.clamp_min(1e-12), torch.zeros_like(correct))
    return {"precision": precision, "recall": recall, "f1": f1}
