"""Why a training run stopped: early stopping, the epoch or step cap, the time budget
(``trainer.max_time``), or a signal; told in the log and kept in ``results.json``."""

from __future__ import annotations

import math
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Timer
from pytorch_lightning.callbacks.early_stopping import EarlyStoppingReason

#: ``results.json``'s ``stopped.reason`` values.
REASONS = ("early_stopping", "time_budget", "max_steps", "max_epochs", "interrupted", "stopped_by_callback")


def stop_reason(trainer: pl.Trainer) -> dict[str, Any]:
    """``{"reason", "epoch", "step", "partial_epoch", "text"}`` for a fit that ended normally.

    ``epoch`` is the last epoch run (counted from 1), ``partial_epoch`` whether it ended before
    its last batch (a time budget or a callback stops inside an epoch); ``text`` is the log line.
    """
    epoch, step = trainer.current_epoch, trainer.global_step  # current_epoch: epochs ended, partial ones included
    partial = partial_epoch(trainer)
    where = f"epoch {epoch}" + (" (partial)" if partial else "")
    found: dict[str, Any] = {"reason": "stopped_by_callback", "text": f"stopped by a callback at {where}"}
    stopper = next(
        (cb for cb in trainer.early_stopping_callbacks if cb.stopping_reason != EarlyStoppingReason.NOT_STOPPED), None
    )  # stopped_epoch is 0 both for "not stopped" and for a stop in the first epoch
    timer = next((cb for cb in callbacks_of(trainer) if isinstance(cb, Timer)), None)
    remaining = timer.time_remaining() if timer is not None else None
    if stopper is not None:
        found = {
            "reason": "early_stopping",
            "text": f"early stopping at epoch {stopper.stopped_epoch + 1}: {stopper.stopping_reason_message}"
            if stopper.stopping_reason != EarlyStoppingReason.PATIENCE_EXHAUSTED
            else f"early stopping at epoch {stopper.stopped_epoch + 1}: {stopper.monitor} did not improve "
            f"for {stopper.patience} validations",
        }
    elif remaining is not None and remaining <= 0:
        found = {"reason": "time_budget", "text": f"time budget trainer.max_time reached at {where}, step {step}"}
    elif trainer.max_steps not in (None, -1) and step >= trainer.max_steps:
        found = {"reason": "max_steps", "text": f"trainer.max_steps={trainer.max_steps} reached at {where}"}
    elif trainer.max_epochs not in (None, -1) and epoch >= trainer.max_epochs and not partial:
        found = {"reason": "max_epochs", "text": f"trainer.max_epochs={trainer.max_epochs} reached"}
    return {**found, "epoch": epoch, "step": step, "partial_epoch": partial}


def callbacks_of(trainer: pl.Trainer) -> list[pl.Callback]:
    """The trainer's callbacks (an attribute Lightning sets at init and its type stubs do not declare)."""
    return list(vars(trainer).get("callbacks", []))


def partial_epoch(trainer: pl.Trainer) -> bool:
    """Whether the last epoch run stopped before its last training batch."""
    total = trainer.num_training_batches
    if not isinstance(total, int) and not (isinstance(total, float) and math.isfinite(total)):
        return False
    done = trainer.fit_loop.epoch_loop.batch_progress.current.completed
    return 0 < done < total
