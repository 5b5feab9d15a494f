"""Lightning callbacks seqlab adds to the defaults."""

from __future__ import annotations

import json
import logging
import math
import random
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import EMAWeightAveraging, ModelCheckpoint

from seqlab.constraints import POSITIVE
from seqlab.errors import ConfigError, SeqlabError
from seqlab.modules import drift
from seqlab.training.stopping import partial_epoch

if TYPE_CHECKING:
    from seqlab.tasks.base import Task


log = logging.getLogger(__name__)


class NonFiniteLossError(SeqlabError, FloatingPointError):
    """The training loss became NaN or infinite."""


class FiniteLossGuard(pl.Callback):
    """Stop training with a clear message as soon as the loss is NaN or infinite.

    It raises before any further checkpoint is written, so the last checkpoint on disk is the
    last good one; the message names it and suggests the usual remedies.
    """

    def on_train_batch_end(
        self, trainer: pl.Trainer, module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is None:
            return
        value = float(loss.detach())
        if math.isfinite(value):
            return
        written = [
            path
            for cb in trainer.checkpoint_callbacks
            for path in (getattr(cb, "last_model_path", ""), getattr(cb, "best_model_path", ""))
            if path
        ]
        last = max(
            written,
            key=lambda path: Path(path).stat().st_mtime if Path(path).exists() else 0.0,
            default="none written yet",
        )
        raise NonFiniteLossError(
            f"train/loss is {value} at epoch {trainer.current_epoch}, step {trainer.global_step}; training "
            f"stopped. Last good checkpoint: {last}. Try a lower optimizer.lr, gradient clipping "
            f"(trainer.gradient_clip_val), or precision=32-true."
        )


class RandomStateCheckpoint(pl.Callback):
    """Save the Python, NumPy and torch random states in every checkpoint and restore them on resume.

    Lightning restores weights, optimiser and loop state but not the random generators, so a run
    resumed from ``last.ckpt`` would draw other dropout masks than an uninterrupted one. With
    this callback (and the bucket sampler's per-epoch seeding) the resumed run continues exactly.
    """

    def __init__(self) -> None:
        self._loaded: dict[str, Any] | None = None

    def state_dict(self) -> dict[str, Any]:
        # Plain types and tensors only, so Lightning's weights-only checkpoint loading accepts them.
        # numpy's stubs type the default call (legacy=True) as returning a dict; for the global
        # MT19937 generator it returns this tuple.
        legacy_state = cast("tuple[str, np.ndarray, int, int, float]", np.random.get_state())
        name, keys, position, has_gauss, gauss = legacy_state
        numpy_state = [name, torch.from_numpy(keys.astype(np.int64)), int(position), int(has_gauss), float(gauss)]
        state = {"python": random.getstate(), "numpy": numpy_state, "torch": torch.get_rng_state()}
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._restore(state_dict)
        self._loaded = state_dict

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Resumed inside an epoch (a checkpoint written on SIGINT/SIGTERM): the training loader's
        # iterator, made since the states were restored, drew its seed from torch's generator, which
        # the uninterrupted run had drawn before the epoch's first step; restore the states again.
        loaded, self._loaded = self._loaded, None
        if loaded is not None and trainer.fit_loop.restarting:
            self._restore(loaded)

    @staticmethod
    def _restore(state_dict: dict[str, Any]) -> None:
        random.setstate(state_dict["python"])
        name, keys, position, has_gauss, gauss = state_dict["numpy"]
        np.random.set_state((name, keys.numpy().astype(np.uint32), position, has_gauss, gauss))
        torch.set_rng_state(state_dict["torch"])
        if "cuda" in state_dict and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda"])


class ExponentialMovingAverage(EMAWeightAveraging):
    """Lightning's EMA of the weights, also used by the final test.

    Dev scores, the saved checkpoints' ``state_dict`` (what ``seqlab-eval`` and the
    ``Predictor`` load) and resuming all come from Lightning's callback. Lightning keeps the
    average after ``fit``, so loading the best checkpoint for ``test`` would put the raw
    (non-averaged) weights back; this subclass drops the average when ``fit`` ends, so test
    scores the averaged weights dev selected.

    Args:
        decay: weight of the old average at each optimizer step (0.999: about the last 1,000 steps).
        update_starting_at_step: first step that updates the average (before: a copy of the model).
    """

    def __init__(self, decay: float = 0.999, update_starting_at_step: int | None = None) -> None:
        if not 0.0 < decay < 1.0:
            raise ConfigError(f"callbacks.weight_averaging.decay must be in (0, 1), got {decay}")
        super().__init__(decay=decay, update_starting_at_step=update_starting_at_step)

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit":
            self._average_model = None

    def on_load_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        if self._average_model is not None:  # resuming fit; outside fit state_dict holds the average already
            super().on_load_checkpoint(trainer, pl_module, checkpoint)


class LinearWarmup(pl.Callback):
    """Raise every parameter group's learning rate linearly from near zero to its own rate over the
    first ``steps`` optimiser steps (the usual start when fine-tuning a transformer); the schedule
    (``scheduler=plateau``) takes over from there.

    Args:
        steps: optimiser steps the warm-up lasts.
    """

    def __init__(self, steps: int = 500) -> None:
        if steps < 1:
            raise ValueError(f"callbacks.lr_warmup.steps must be >= 1, got {steps}")
        self.steps = steps
        self.targets: list[float] = []

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self.targets:  # a resumed run keeps the rates it recorded
            self.targets = [group["lr"] for group in trainer.optimizers[0].param_groups]

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        step = trainer.global_step
        if step >= self.steps:
            return
        for group, target in zip(trainer.optimizers[0].param_groups, self.targets):
            group["lr"] = target * (step + 1) / self.steps

    def state_dict(self) -> dict[str, Any]:
        return {"targets": list(self.targets)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.targets = list(state_dict.get("targets", []))


class UnseenWordDrift(pl.Callback):
    """Move the vectors of words training never showed by the fine-tuning drift of their nearest
    training words (:class:`seqlab.modules.drift.UnseenWordDrift`), before every validation.

    The moved rows are written into the word table itself, so the checkpoints saved after that
    validation, and so the final test, ``seqlab-eval`` and the ``Predictor``, all read them; the
    rows belong to no training word, so training never reads them. The table as it was before
    training is kept in this callback's state (saved in checkpoints, for exact resume).

    Args:
        neighbours: nearest training words (cosine of the initial vectors) whose drift a word takes.
        scale: factor on their cosine-weighted mean drift.
        part: the embedding part holding the word vectors (its ``weight``).
    """

    def __init__(
        self, neighbours: Annotated[int, POSITIVE] = 20, scale: Annotated[float, POSITIVE] = 1.0, part: str = "word"
    ) -> None:
        if neighbours < 1 or scale <= 0:
            raise ConfigError(
                f"callbacks.unseen_word_drift: neighbours must be >= 1 and scale > 0, got {neighbours} and {scale}"
            )
        self.neighbours = neighbours
        self.scale = scale
        self.part = part
        self.initial: torch.Tensor | None = None
        self._drift: drift.UnseenWordDrift | None = None
        self._applied = False

    def _part(self, module: pl.LightningModule) -> Any:
        parts = cast("Task", module).embedder.parts  # the callback is used with seqlab Tasks
        if self.part not in parts or not hasattr(parts[self.part], "weight"):
            raise ConfigError(
                f"callbacks.unseen_word_drift moves word vectors, but the embedder has no part "
                f"{self.part!r} with a word table (parts: {', '.join(parts)})"
            )
        return parts[self.part]

    def _table(self, module: pl.LightningModule) -> torch.Tensor:
        """The whole word table: the trained rows, then the kept pretrained rows (if any)."""
        part = self._part(module)
        kept = getattr(part, "kept_vectors", None)
        weight = cast(torch.Tensor, part.weight).detach()
        return weight if kept is None else torch.cat([weight, kept.to(weight.dtype)])

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit" and self.initial is None:  # a resumed run loads it from the checkpoint instead
            self.initial = self._table(pl_module).cpu().clone()

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.initial is None:
            return
        if self._drift is None:
            train_words = cast("Task", pl_module).spec.train_word_vocab_size
            if train_words is None:
                raise ValueError("callbacks.unseen_word_drift needs the data's count of training words")
            self._drift = drift.UnseenWordDrift(self.initial, train_words, self.neighbours, self.scale)
        part = self._part(pl_module)
        weight = cast(torch.Tensor, part.weight)
        moved = self._drift.moved(self._table(pl_module))
        with torch.no_grad():  # the rows from train_words up: the rest of the trained table, then the kept rows
            rest = weight.size(0) - self._drift.train_word_vocab_size
            weight[self._drift.train_word_vocab_size :] = moved[:rest]
            if part.kept_vectors is not None:
                part.kept_vectors.copy_(moved[rest:])
        self._applied = True

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self._applied:
            log.warning(
                "callbacks.unseen_word_drift never ran: it moves the vectors before each validation, and "
                "this run validated on no dev data"
            )

    def state_dict(self) -> dict[str, Any]:
        return {"initial": self.initial}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.initial = state_dict["initial"]
        self._drift = None


class EpochSummary(pl.Callback):
    """One log line per epoch (training loss, dev metric, best so far, learning rate, seconds), on
    the console and in ``train.log`` (an epoch stopped before its last batch says so, and its row
    in the curves has ``partial``); at the end of fitting, ``learning_curves.png`` (loss and dev
    metric per epoch, the best epoch marked) and ``learning_curves.json`` in ``out_dir``.

    The history travels in checkpoints, so a resumed run's curves cover the whole training.
    """

    def __init__(self, out_dir: str) -> None:
        self.out_dir = Path(out_dir)
        self.history: list[dict[str, Any]] = []
        self._loss_sum: torch.Tensor | None = None
        self._batches = 0
        self._started = 0.0

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._started = time.perf_counter()  # a run resumed inside an epoch starts there, not at an epoch start

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._loss_sum, self._batches, self._started = None, 0, time.perf_counter()

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if isinstance(loss, torch.Tensor):  # summed on the device: no synchronisation per step
            loss = loss.detach().float()
            self._loss_sum = loss if self._loss_sum is None else self._loss_sum + loss
            self._batches += 1

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        task = cast("Task", pl_module)
        metric = f"val/{task.selection_metric}"
        dev = trainer.callback_metrics.get(metric)
        shown = {name: trainer.callback_metrics.get(f"val/{name}") for name in task.epoch_metrics}
        row = {
            "epoch": trainer.current_epoch + 1,
            "train_loss": float(self._loss_sum) / self._batches if self._loss_sum is not None else math.nan,
            "dev": float(dev) if dev is not None else None,
            **{f"dev_{name}": float(value) for name, value in shown.items() if value is not None},
            "best": float(task.best_val_score),
            "lr": trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else None,
            "seconds": round(time.perf_counter() - self._started, 1),
        }
        if partial_epoch(trainer):  # a time budget or a callback stopped it inside the epoch
            row["partial"] = (
                f"{trainer.fit_loop.epoch_loop.batch_progress.current.completed} of "
                f"{trainer.num_training_batches} batches"
            )
        self.history.append(row)
        if trainer.is_global_zero:
            best_epoch = max((r for r in self.history if r["dev"] is not None), key=lambda r: r["dev"], default=row)
            dev_text = f"{row['dev']:.4f}" if row["dev"] is not None else "-"
            dev_text += "".join(
                f"  {task.metric_title(name)} {row[f'dev_{name}']:.4f}"
                for name in task.epoch_metrics
                if f"dev_{name}" in row
            )
            log.info(
                "epoch %d/%s%s  train loss %.4f  dev %s %s  best %.4f (epoch %d)  lr %.3g  %.1f s",
                row["epoch"],
                trainer.max_epochs if trainer.max_epochs not in (None, -1) else "?",
                f" (partial: {row['partial']})" if "partial" in row else "",
                row["train_loss"],
                task.metric_title(task.selection_metric),
                dev_text,
                row["best"],
                best_epoch["epoch"],
                row["lr"] or math.nan,
                row["seconds"],
            )

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero or not self.history:
            return
        from seqlab.metrics.reports import write_learning_curves

        self.out_dir.mkdir(parents=True, exist_ok=True)
        (self.out_dir / "learning_curves.json").write_text(json.dumps(self.history, indent=1) + "\n")
        metric = cast("Task", pl_module).selection_metric
        write_learning_curves(self.history, self.out_dir / "learning_curves.png", metric)

    def state_dict(self) -> dict[str, Any]:
        return {"history": list(self.history)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = list(state_dict.get("history", []))


class EpochCheckpoint(ModelCheckpoint):
    """Lightning's ``ModelCheckpoint`` whose file names count epochs as the log lines do, from 1:
    ``epoch003-step300.ckpt`` is the checkpoint of the line ``epoch 3/50``."""

    def format_checkpoint_name(
        self,
        metrics: dict[str, torch.Tensor],
        filename: str | None = None,
        ver: int | None = None,
        prefix: str | None = None,
    ) -> str:
        counted = dict(metrics)
        if "epoch" in counted:  # Lightning's 0-based index of the epoch just finished
            counted["epoch"] = counted["epoch"] + 1
        return super().format_checkpoint_name(counted, filename=filename, ver=ver, prefix=prefix)
