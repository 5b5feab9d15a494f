"""Lightning callbacks seqlab adds to the defaults."""
from __future__ import annotations

import math
from typing import Any

import pytorch_lightning as pl


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite."""


class FiniteLossGuard(pl.Callback):
    """Stop training with a clear message as soon as the loss is NaN or infinite.

    It raises before any further checkpoint is written, so the last checkpoint on disk is the
    last good one; the message names it and suggests the usual remedies.
    """

    def on_train_batch_end(self, trainer: pl.Trainer, module: pl.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is None:
            return
        value = float(loss.detach())
        if math.isfinite(value):
            return
        checkpoint = trainer.checkpoint_callback
        last = getattr(checkpoint, "last_model_path", "") or "none written yet"
        raise NonFiniteLossError(
            f"train/loss is {value} at epoch {trainer.current_epoch}, step {trainer.global_step}; training "
            f"stopped. Last good checkpoint: {last}. Try a lower optimizer.lr, gradient clipping "
            f"(trainer.gradient_clip_val), or precision=32-true."
        )
