"""PosTaggingTask: a seqlab Task with its own metric (token accuracy) and report (per tag)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets
from torch import Tensor
from torchmetrics.classification import MulticlassAccuracy

from seqlab.data.collate import Batch
from seqlab.spec import DataSpec
from seqlab.metrics.reports import write_classification_report
from seqlab.tasks.base import Task


class PosTaggingTask(Task):
    """Tags every token with a plain label; scored by token accuracy.

    The embedder, encoder and head come from seqlab's config groups like any built-in task
    (softmax or CRF head); this class only adds the metric and the report; its output (seqlab_pos.output) is the prediction format.
    """

    selection_metric = "accuracy"
    output_name = "pos"  # seqlab_pos.output.PosOutput, registered under that name in pyproject.toml

    def __init__(self, spec: DataSpec, *args: Any, **kwargs: Any) -> None:
        super().__init__(spec, *args, **kwargs)
        self.val_accuracy = MulticlassAccuracy(spec.num_labels, average="micro")
        self.test_accuracy = MulticlassAccuracy(spec.num_labels, average="micro")

    @classmethod
    def head_arguments(cls, spec: DataSpec) -> dict[str, Any]:
        return {"num_labels": spec.num_labels, "allowed_transitions": None}  # any tag may follow any tag

    def _labels(self, tag_ids: Tensor, mask: Tensor) -> list[list[str]]:
        return [[self.spec.labels[i] for i in row[:n]] for row, n in zip(tag_ids.tolist(), mask.sum(1).tolist())]

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self.val_accuracy.update(self(batch)[batch.mask], batch.targets[batch.mask])

    def on_validation_epoch_end(self) -> None:
        self.log_validation({"accuracy": self.val_accuracy.compute()})
        self.val_accuracy.reset()

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        predicted = self(batch)
        self.test_accuracy.update(predicted[batch.mask], batch.targets[batch.mask])
        self.test_predictions.update(zip(batch.index.tolist(), self._labels(predicted, batch.mask)))

    def on_test_epoch_end(self) -> None:
        self.log_test({"accuracy": self.test_accuracy.compute()})
        self.test_accuracy.reset()

    def write_test_report(self, dataset: datasets.Dataset, predictions: list[Any], out_dir: Path) -> str:
        """Per-tag precision/recall/F1 and the tag confusion matrix, over tokens."""
        tokens = [t for sentence in dataset["tokens"] for t in sentence]
        gold = [t for sentence in dataset["tags"] for t in sentence]
        predicted = [t for sentence in predictions for t in sentence]
        text, _ = write_classification_report(out_dir, "test", tokens, gold, predicted, self.spec.labels)
        return text
