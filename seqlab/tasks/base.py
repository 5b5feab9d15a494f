"""The plug-in point: a Task is a LightningModule that trains, evaluates and reports on a
:class:`~seqlab.model.network.Network` (embedder -> encoder -> head)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, cast

import datasets
import pytorch_lightning as pl
import torch
from torch import nn

from seqlab.data.collate import Batch
from seqlab.errors import ConfigError
from seqlab.model.network import Network
from seqlab.modules.embedder import TokenEmbedder
from seqlab.spec import DataSpec, Featurizer
from seqlab.version import CHECKPOINT_FORMAT, __version__

#: Takes parameter groups (dicts with ``params``), as every ``torch.optim`` optimizer accepts.
OptimizerFactory = Callable[[Iterable[dict[str, Any]]], torch.optim.Optimizer]
SchedulerFactory = Callable[[torch.optim.Optimizer], Any]


def _under(name: str, prefix: str) -> bool:
    """Whether parameter ``name`` is ``prefix`` or lies inside the module ``prefix``."""
    return name == prefix or name.startswith(prefix + ".")


class Task(pl.LightningModule):
    """A network trained with optimisers from factories, with metadata in every checkpoint.

    Subclasses define the steps, :meth:`head_arguments` (the data-dependent arguments their
    head needs), :attr:`output_name` (what the network predicts, for predictors and export) and
    :meth:`write_test_report`; after ``trainer.test`` they hold :attr:`test_predictions`, one
    entry per test row.

    Args:
        spec: labels, vocabularies and encoding settings of the data.
        network: embedder -> encoder -> head (:func:`seqlab.model.build.build_network`); the
            embedder's parts say which batch inputs the data must compute (:meth:`featurizers`).
        optimizer: factory taking the parameter groups (a ``_partial_`` optimizer config).
        scheduler: optional factory taking the optimizer (a ``_partial_`` scheduler config).
        scheduler_interval: ``"epoch"`` or ``"step"``.
        lr_scales: learning-rate multipliers by parameter-name prefix within the network, e.g.
            ``{"embedder.parts.word": 0.1}`` trains the word vectors at a tenth of the optimizer's
            rate; each prefix must name trainable parameters, and the longest matching prefix wins.
    """

    #: What the network predicts: the registry name of an output (:mod:`seqlab.predict.outputs`;
    #: ``"tags"``, ``"label"``, or one a plug-in registers), recorded in checkpoints, which a
    #: predictor and ``seqlab-export`` run; ``None``: this task's models cannot be predicted or exported.
    output_name: str | None = None

    def __init__(
        self,
        spec: DataSpec,
        network: Network,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None = None,
        scheduler_interval: str = "epoch",
        lr_scales: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__()
        self.network = network
        self.spec = spec
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.scheduler_interval = scheduler_interval
        self.lr_scales = dict(lr_scales or {})
        #: Extra entries (the resolved config) saved under ``checkpoint["seqlab"]``.
        self.checkpoint_extras: dict[str, Any] = {}
        self.test_predictions: dict[int, Any] = {}
        #: Best ``val/<selection_metric>`` seen so far (sanity checks excluded).
        self.best_val_score = 0.0
        #: Every ``val/`` score of the epoch with the best selection metric (the checkpoint kept).
        self.best_val_metrics: dict[str, float] = {}

    @property
    def embedder(self) -> TokenEmbedder:
        return self.network.embedder

    @property
    def encoder(self) -> nn.Module:
        return self.network.encoder

    @property
    def head(self) -> Any:
        """The network's head (a :class:`~seqlab.model.heads.Head`; the kind this task's steps call)."""
        return self.network.head

    def features(self, batch: Batch) -> torch.Tensor:
        """Encoder output ``(B, T, encoder.output_dim)``."""
        return self.network.features(batch.features, batch.mask)

    def featurizers(self) -> dict[str, Featurizer]:
        """The batch inputs this model reads, with how to compute each from pre-split text."""
        return self.embedder.featurizers()

    def write_test_report(self, dataset: datasets.Dataset, predictions: list[Any], out_dir: Path) -> str:
        """Write this task's report for ``predictions`` (one per dataset row); return its text."""
        raise NotImplementedError

    @classmethod
    def head_arguments(cls, spec: DataSpec) -> dict[str, Any]:
        """Keyword arguments for the head that come from the data (e.g. ``num_labels``)."""
        return {"num_labels": spec.num_labels}

    def configure_optimizers(self):
        optimizer = self.optimizer_factory(self.parameter_groups())
        for group in optimizer.param_groups:  # before the scheduler records each group's initial lr
            group["lr"] = optimizer.defaults["lr"] * group["lr_scale"]
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer)
        config = {"scheduler": scheduler, "interval": self.scheduler_interval}
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            # Steps on the selection metric after each validation (set its mode: max for F1); an epoch
            # without validation (check_val_every_n_epoch, limit_val_batches=0) leaves the rate as it is.
            config.update(monitor=f"val/{self.selection_metric}", interval="epoch", strict=False)
        return {"optimizer": optimizer, "lr_scheduler": config}

    def on_train_epoch_end(self) -> None:
        """Step the epoch-interval schedules here, before the checkpoint callbacks save the epoch
        (Lightning steps them after, so ``last.ckpt`` would hold a schedule one epoch behind and a
        resumed run would diverge). A plateau schedule steps on the epoch's dev metric; an epoch
        without one leaves the rate as it is."""
        for config in self.trainer.lr_scheduler_configs:
            if config.interval != "epoch" or (self.current_epoch + 1) % config.frequency:
                continue
            scheduler: Any = config.scheduler  # an LRScheduler, or ReduceLROnPlateau when it monitors
            if config.monitor is None:
                scheduler.step()
                continue
            metric = self.trainer.callback_metrics.get(config.monitor)
            if metric is not None:
                scheduler.step(float(metric))

    def lr_scheduler_step(self, scheduler: Any, metric: Any) -> None:
        """Lightning's own stepping, for step-interval schedules only (epoch ones step in
        :meth:`on_train_epoch_end`)."""
        if any(c.scheduler is scheduler and c.interval == "epoch" for c in self.trainer.lr_scheduler_configs):
            return
        super().lr_scheduler_step(scheduler, metric)

    def parameter_groups(self) -> list[dict[str, Any]]:
        """Trainable parameters grouped by learning-rate multiplier (``lr_scale``), unscaled first."""
        trainable = [(name, p) for name, p in self.network.named_parameters() if p.requires_grad]
        for prefix, scale in self.lr_scales.items():
            if scale <= 0:
                raise ConfigError(
                    f"task.lr_scales[{prefix!r}] must be > 0, got {scale} "
                    "(use embedding.word.freeze to freeze the word vectors)"
                )
            if not any(_under(name, prefix) for name, _ in trainable):
                raise ConfigError(
                    f"task.lr_scales: {prefix!r} names no trainable parameter; "
                    f"names start with {sorted({n.split('.')[0] for n, _ in trainable})}"
                )
        grouped: dict[float, list[nn.Parameter]] = {}
        for name, param in trainable:
            matches = [prefix for prefix in self.lr_scales if _under(name, prefix)]
            grouped.setdefault(self.lr_scales[max(matches, key=len)] if matches else 1.0, []).append(param)
        ordered = sorted(grouped.items(), key=lambda item: item[0] != 1.0)
        return [{"params": params, "lr_scale": scale} for scale, params in ordered]

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        assert batch.targets is not None  # training batches are labelled
        loss = self.head.loss(self.features(batch), batch.targets, batch.mask)
        if self._loggers_record_this_step():
            self.log("train/loss", loss, prog_bar=True, batch_size=len(batch))
        if getattr(self.head, "loss_reduction", None) == "sum" and self.trainer.world_size > 1:
            # DDP averages gradients over ranks; a summed loss must stay a sum over the global batch.
            return loss * self.trainer.world_size
        return loss

    def _loggers_record_this_step(self) -> bool:
        """Whether Lightning's loggers write this training step (every ``log_every_n_steps``).

        ``self.log`` costs about 1 ms a call on the CPU (5% of a CoNLL step), so the loss is
        logged only on the steps the loggers record; the progress bar shows it from those steps.
        """
        trainer = self.trainer
        # Lightning sets these two in its connectors at runtime; the Trainer class does not declare them.
        flags = cast(Any, trainer)
        every: int = flags.log_every_n_steps
        if every <= 1 or trainer.accumulate_grad_batches != 1 or flags.fast_dev_run:
            return True
        return (trainer.global_step + 1) % every == 0

    def forward(self, batch: Batch) -> torch.Tensor:
        """Predicted ids: ``(B, T)`` tags or ``(B,)`` classes."""
        return self.head.decode(self.features(batch), batch.mask)

    #: The validation score that selects checkpoints (pair it with ``monitor: val/<name>`` in config).
    selection_metric = "f1"
    #: How the epoch line and the log name a metric (``f1`` -> ``macro-F1`` for a classifier).
    metric_titles: ClassVar[dict[str, str]] = {}
    #: Further dev metrics the epoch line shows beside the selection metric.
    epoch_metrics: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def metric_title(cls, name: str) -> str:
        """The name a metric is shown with (``macro-F1``)."""
        return cls.metric_titles.get(name, name)

    def log_validation(self, scores: dict[str, torch.Tensor]) -> None:
        """Log ``val/<name>`` for each score, the selection metric on the progress bar, and its best."""
        name = self.selection_metric
        value = float(scores[name])
        if not self.trainer.sanity_checking and (value > self.best_val_score or not self.best_val_metrics):
            self.best_val_score = value
            self.best_val_metrics = {f"val/{k}": float(v) for k, v in scores.items()}
        # Scores come from torchmetrics, already reduced over ranks; sync_dist keeps Lightning's
        # epoch-level bookkeeping in step across ranks (a mean of equal values).
        self.log_dict({f"val/{k}": v.float() for k, v in scores.items() if k != name}, sync_dist=True)
        self.log(f"val/{name}", value, prog_bar=True, sync_dist=True)
        self.log(f"val/{name}_best", self.best_val_score, sync_dist=True)

    def absent_scores(self, dataset: Any) -> set[str]:
        """Names of per-type scores (``f1_<TYPE>``) for types ``dataset`` does not hold, which the
        results leave out (every rank logs every key; a score of an absent type means nothing)."""
        return set()

    def log_test(self, scores: dict[str, torch.Tensor]) -> None:
        """Log ``test/<name>`` for each score (scores already reduced over ranks)."""
        self.log_dict({f"test/{k}": torch.as_tensor(v).float() for k, v in scores.items()}, sync_dist=True)

    def on_test_epoch_start(self) -> None:
        self.test_predictions = {}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["seqlab"] = {
            "format": CHECKPOINT_FORMAT,
            "version": __version__,
            "spec": self.spec.to_dict(),
            "best_val_score": self.best_val_score,
            "best_val_metrics": dict(self.best_val_metrics),
            "selection_metric": self.selection_metric,
            "head_arguments": self.head_arguments(self.spec),
            "output": self.output_name,
            **self.checkpoint_extras,
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.best_val_score = checkpoint.get("seqlab", {}).get("best_val_score", 0.0)
        self.best_val_metrics = dict(checkpoint.get("seqlab", {}).get("best_val_metrics", {}))
