"""Sequence labelling (NER, chunking, POS): embedder -> encoder -> CRF or softmax tag head."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from seqlab.data.collate import Batch
from seqlab.data.spec import DataSpec
from seqlab.data.tag_schemes import allowed_transitions, split_tag
from seqlab.metrics.span_f1 import SpanF1
from seqlab.tasks.base import OptimizerFactory, SchedulerFactory, Task


class SequenceLabelingTask(Task):
    """Tags every token; scores spans with :class:`SpanF1` (seqeval strict).

    Args:
        spec: labels, tag scheme and vocabulary sizes.
        embedder: token representation (``output_dim``), e.g. :class:`TokenEmbedder`.
        encoder: contextual encoder taking ``embedder.output_dim``, e.g. :class:`BiLSTMEncoder`.
        head: tag head taking ``encoder.output_dim`` with ``loss`` and ``decode``.
        optimizer, scheduler, scheduler_interval: see :class:`Task`.
    """

    def __init__(
        self,
        spec: DataSpec,
        embedder: nn.Module,
        encoder: nn.Module,
        head: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None = None,
        scheduler_interval: str = "epoch",
    ) -> None:
        super().__init__(spec, optimizer, scheduler, scheduler_interval)
        if encoder.input_dim != embedder.output_dim:
            raise ValueError(
                f"encoder input_dim {encoder.input_dim} does not match embedder output_dim {embedder.output_dim}"
            )
        self.embedder = embedder
        self.encoder = encoder
        self.head = head
        if spec.tag_scheme is None:
            raise ValueError("SequenceLabelingTask scores spans and needs a tag_scheme (IOB1/IOB2/IOBES/BILOU)")
        types = sorted({split_tag(label)[1] for label in spec.labels if label != "O"})
        self.val_f1 = SpanF1(types, spec.tag_scheme)
        self.test_f1 = SpanF1(types, spec.tag_scheme)
        self.best_val_f1 = 0.0
        #: Predicted label sequences of the last test run, by dataset row.
        self.test_predictions: dict[int, list[str]] = {}

    @classmethod
    def head_arguments(cls, spec: DataSpec) -> dict[str, Any]:
        transitions = allowed_transitions(spec.tag_scheme, spec.labels) if spec.tag_scheme else None
        return {"num_labels": spec.num_labels, "allowed_transitions": transitions}

    def features(self, batch: Batch) -> Tensor:
        """Encoder output ``(B, T, encoder.output_dim)``."""
        return self.encoder(self.embedder(batch.word_ids, batch.char_ids), batch.mask)

    def forward(self, batch: Batch) -> Tensor:
        """Predicted tag ids ``(B, T)``."""
        return self.head.decode(self.features(batch), batch.mask)

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        loss = self.head.loss(self.features(batch), batch.tag_ids, batch.mask)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch))
        return loss

    def labels_of(self, tag_ids: Tensor, mask: Tensor) -> list[list[str]]:
        """Tag id tensor to label strings, one list per sentence (padding dropped)."""
        labels = self.spec.labels
        lengths = mask.sum(1).tolist()
        return [[labels[i] for i in row[:n]] for row, n in zip(tag_ids.tolist(), lengths)]

    def _evaluate(self, batch: Batch, metric: SpanF1) -> list[list[str]]:
        predicted = self.labels_of(self(batch), batch.mask)
        metric.update(predicted, self.labels_of(batch.tag_ids, batch.mask))
        return predicted

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._evaluate(batch, self.val_f1)

    def on_validation_epoch_end(self) -> None:
        scores = self.val_f1.compute()
        self.val_f1.reset()
        f1 = float(scores["f1"])
        if not self.trainer.sanity_checking:
            self.best_val_f1 = max(self.best_val_f1, f1)
        self.log_dict({f"val/{k}": v.float() for k, v in scores.items() if k != "f1"})
        self.log("val/f1", f1, prog_bar=True)
        self.log("val/f1_best", self.best_val_f1)

    def on_test_epoch_start(self) -> None:
        self.test_predictions = {}

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        predicted = self._evaluate(batch, self.test_f1)
        self.test_predictions.update(zip(batch.index.tolist(), predicted))

    def on_test_epoch_end(self) -> None:
        scores = self.test_f1.compute()
        self.test_f1.reset()
        self.log_dict({f"test/{k}": v.float() for k, v in scores.items()})

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint["seqlab"]["best_val_f1"] = self.best_val_f1

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.best_val_f1 = checkpoint.get("seqlab", {}).get("best_val_f1", 0.0)
