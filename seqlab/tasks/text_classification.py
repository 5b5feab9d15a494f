"""Text classification (sentiment): embedder -> encoder -> pooled classifier head."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import datasets
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

from seqlab.data.collate import Batch
from seqlab.metrics.reports import write_classification_report
from seqlab.spec import DataSpec
from seqlab.tasks.base import Task


class TextClassificationTask(Task):
    """One label per text; accuracy and macro-F1 (logged as ``f1``); see :class:`Task`."""

    output_name = "label"  # LabelOutput
    metric_titles: ClassVar[dict[str, str]] = {"f1": "macro-F1"}
    epoch_metrics: ClassVar[tuple[str, ...]] = ("accuracy",)

    def __init__(self, spec: DataSpec, *args: Any, **kwargs: Any) -> None:
        super().__init__(spec, *args, **kwargs)
        metrics = MetricCollection(
            {
                "accuracy": MulticlassAccuracy(spec.num_labels, average="micro"),
                "f1": MulticlassF1Score(spec.num_labels, average="macro"),
            }
        )
        self.val_metrics = metrics.clone()
        self.test_metrics = metrics.clone()

    @classmethod
    def head_arguments(cls, spec: DataSpec) -> dict[str, Any]:
        return {"num_labels": spec.num_labels}

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self.val_metrics.update(self(batch), batch.targets)

    def on_validation_epoch_end(self) -> None:
        self.log_validation(self.val_metrics.compute())
        self.val_metrics.reset()

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        predicted = self(batch)
        self.test_metrics.update(predicted, batch.targets)
        labels = self.spec.labels
        self.test_predictions.update(zip(batch.index.tolist(), (labels[i] for i in predicted.tolist())))

    def on_test_epoch_end(self) -> None:
        self.log_test(self.test_metrics.compute())
        self.test_metrics.reset()

    def write_test_report(self, dataset: datasets.Dataset, predictions: list[Any], out_dir: Path) -> str:
        text, _ = write_classification_report(
            out_dir, "test", dataset["text"], dataset["label"], predictions, self.spec.labels
        )
        return text
