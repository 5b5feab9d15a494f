"""Learning-rate schedules that torch does not ship."""

from __future__ import annotations

import torch
from torch.optim.lr_scheduler import LRScheduler


class InverseTimeDecay(LRScheduler):
    """``lr = base_lr / (1 + decay_rate * epoch)``, the schedule of Lample et al. and NCRF++.

    Args:
        optimizer: the wrapped optimizer.
        decay_rate: decay per step of the scheduler (per epoch by default; NCRF++ uses 0.05).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, decay_rate: float = 0.05, last_epoch: int = -1) -> None:
        self.decay_rate = decay_rate
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float | torch.Tensor]:
        return [base / (1.0 + self.decay_rate * self.last_epoch) for base in self.base_lrs]
