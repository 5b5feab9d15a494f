"""Stopping a training run on SIGINT or SIGTERM after the current step, with a checkpoint to resume from.

Lightning owns the signal: on SIGTERM its trainer sets ``trainer.received_sigterm`` and its loops
raise :class:`~pytorch_lightning.utilities.exceptions.SIGTERMException` after the current step (or
validation batch), calling every callback's ``on_exception`` first. :class:`seqlab.signals.StopSignals`
passes a first SIGINT on to that handler, so Ctrl-C stops the same way, and
:class:`InterruptCheckpoint` writes ``last.ckpt`` in ``on_exception``, which ``ckpt_path=last``
resumes (Lightning continues a checkpoint written inside an epoch from that point of its loops).
"""

from __future__ import annotations

import logging
import shlex
import signal
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.trainer.states import TrainerFn
from pytorch_lightning.utilities.exceptions import SIGTERMException

from seqlab.signals import Interrupted
from seqlab.training.stopping import callbacks_of

log = logging.getLogger(__name__)


class InterruptCheckpoint(pl.Callback):
    """Save a checkpoint to ``path`` when training is stopped by SIGTERM (or SIGINT, passed on as
    SIGTERM), and only then: a checkpoint written after any other exception (a NaN loss, a bug)
    could hold a broken state, so those keep the last one written at an epoch's end.

    Args:
        path: the checkpoint file (seqlab's config: the run's ``checkpoints/last.ckpt``).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.saved: str | None = None

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        if not isinstance(exception, SIGTERMException) or trainer.state.fn != TrainerFn.FITTING:
            return
        if trainer.sanity_checking or trainer.global_step == 0:  # nothing trained: nothing worth resuming
            return
        trainer.save_checkpoint(self.path)
        self.saved = self.path
        log.info(
            "interrupted: checkpoint at epoch %d step %d -> %s",
            trainer.current_epoch + 1,
            trainer.global_step,
            self.path,
        )

    def on_load_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        """Resuming a checkpoint written inside an epoch: the data module starts that epoch's batches
        after the ones already trained on, so the resumed run continues exactly (Lightning restores
        the loops' counters; a plain DataLoader would start the epoch over)."""
        done = batches_done_in_epoch(checkpoint)
        resume_after = getattr(getattr(trainer, "datamodule", None), "resume_after", None)
        if done and callable(resume_after):
            resume_after(done)


def batches_done_in_epoch(checkpoint: dict[str, Any]) -> int:
    """The training batches a checkpoint's fit loop had done in its unfinished epoch (0: written at an epoch's end)."""
    try:
        progress = checkpoint["loops"]["fit_loop"]["epoch_loop.batch_progress"]
        return 0 if progress.get("is_last_batch") else int(progress["current"]["completed"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return 0


def run_overrides() -> list[str] | None:
    """The overrides this run was composed with, where Hydra composed it (``None`` elsewhere)."""
    from hydra.core.hydra_config import HydraConfig

    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else None


def resume_command(run_dir: Path) -> str:
    """The command line that resumes the run in ``run_dir``: its own overrides (``ckpt_path``
    left out), its folder and ``ckpt_path=last``."""
    kept = [o for o in run_overrides() or [] if o.lstrip("+~").partition("=")[0] not in ("ckpt_path", "hydra.run.dir")]
    return shlex.join(["seqlab-train", *kept, f"hydra.run.dir={run_dir}", "ckpt_path=last"])


class TrainingInterrupted(Interrupted):
    """Training stopped by a signal: where it stopped, and the checkpoint to resume from (if any).

    :attr:`resume_command` is printed as the way to continue: this run's own overrides (where
    Hydra composed it: the command line or :func:`seqlab.train`), its folder and ``ckpt_path=last``.
    """

    def __init__(
        self, signum: int, epoch: int, step: int, checkpoint: str | None, out_dir: Path, testing: bool = False
    ) -> None:
        super().__init__(signum)
        self.epoch, self.step, self.checkpoint, self.out_dir = epoch, step, checkpoint, out_dir
        self.testing = testing  # training had ended; the final test was running
        self.resume_command = resume_command(out_dir)

    def __str__(self) -> str:
        if self.epoch == 0:
            return "interrupted before training started; nothing was saved"
        where = f"interrupted at epoch {self.epoch} step {self.step}"
        if self.testing:
            where = f"interrupted while testing, after training ended at epoch {self.epoch} step {self.step}"
        if self.checkpoint is None:
            return f"{where}; no checkpoint was written yet, so there is nothing to resume"
        return f"{where}; resume with: {self.resume_command}"


def interruption(
    trainer: pl.Trainer | None, error: BaseException, received: int | None, out_dir: Path
) -> TrainingInterrupted:
    """The :class:`TrainingInterrupted` for ``error`` (Lightning's SIGTERMException, or
    :class:`~seqlab.signals.Interrupted` raised outside its loops or on a second signal)."""
    signum = error.signum if isinstance(error, Interrupted) else received or signal.SIGTERM
    if trainer is None:
        return TrainingInterrupted(signum, 0, 0, None, out_dir)
    saved = [cb.saved for cb in callbacks_of(trainer) if isinstance(cb, InterruptCheckpoint) and cb.saved]
    if saved:
        checkpoint: str | None = saved[0]
    else:  # a second signal, or one outside the training loop: the newest checkpoint written at an epoch's end
        written = [Path(p) for cb in trainer.checkpoint_callbacks for p in _paths(cb) if _resumable(Path(p))]
        checkpoint = str(max(written, key=lambda p: p.stat().st_mtime)) if written else None
    testing = trainer.state.fn == TrainerFn.TESTING
    epoch = trainer.current_epoch if testing else trainer.current_epoch + 1
    return TrainingInterrupted(signum, epoch, trainer.global_step, checkpoint, out_dir, testing)


def _paths(callback: Any) -> list[str]:
    return [p for p in (getattr(callback, "last_model_path", ""), getattr(callback, "best_model_path", "")) if p]


def _resumable(path: Path) -> bool:
    """Whether ``ckpt_path=last`` finds ``path`` (Lightning looks for ``last*.ckpt``)."""
    return path.name.startswith("last") and path.suffix == ".ckpt" and path.is_file()
