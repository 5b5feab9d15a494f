"""The plug-in point: a Task is a LightningModule built from an embedder, an encoder and a head."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import pytorch_lightning as pl
import torch
from torch import nn

from seqlab.data.spec import DataSpec

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
SchedulerFactory = Callable[[torch.optim.Optimizer], Any]

#: Format of the ``seqlab`` entry in checkpoints; bump on incompatible changes.
CHECKPOINT_FORMAT = 1


class Task(pl.LightningModule):
    """Common plumbing: optimisers from factories, and metadata stored in every checkpoint.

    Subclasses define ``forward``/``training_step``/``validation_step``/``test_step`` and
    :meth:`head_arguments`, the data-dependent arguments their head needs.

    Args:
        spec: labels and vocabulary sizes of the data.
        optimizer: factory taking the parameters (a ``_partial_`` optimizer config).
        scheduler: optional factory taking the optimizer (a ``_partial_`` scheduler config).
        scheduler_interval: ``"epoch"`` or ``"step"``.
    """

    def __init__(
        self,
        spec: DataSpec,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None = None,
        scheduler_interval: str = "epoch",
    ) -> None:
        super().__init__()
        self.spec = spec
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.scheduler_interval = scheduler_interval
        #: Extra entries (resolved config, tokenizer JSON) saved under ``checkpoint["seqlab"]``.
        self.checkpoint_extras: dict[str, Any] = {}

    @classmethod
    def head_arguments(cls, spec: DataSpec) -> dict[str, Any]:
        """Keyword arguments for the head that come from the data (e.g. ``num_labels``)."""
        return {"num_labels": spec.num_labels}

    def configure_optimizers(self):
        optimizer = self.optimizer_factory([p for p in self.parameters() if p.requires_grad])
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": self.scheduler_interval}}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["seqlab"] = {"format": CHECKPOINT_FORMAT, "spec": self.spec.to_dict(), **self.checkpoint_extras}
