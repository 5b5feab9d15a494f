"""Sequence labelling (NER, chunking): embedder -> encoder -> CRF or softmax tag head."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets
from torch import Tensor

from seqlab.data.collate import Batch
from seqlab.data.tag_schemes import allowed_transitions, convert, from_spans, split_tag
from seqlab.metrics.reports import write_span_report
from seqlab.metrics.span_f1 import SpanF1, absent_types
from seqlab.spans import strict_spans
from seqlab.spec import DataSpec
from seqlab.tasks.base import Task


class SequenceLabelingTask(Task):
    """Tags every token; scores spans with :class:`SpanF1` (seqeval strict); see :class:`Task`."""

    output_name = "tags"  # TagOutput

    def __init__(self, spec: DataSpec, *args: Any, **kwargs: Any) -> None:
        super().__init__(spec, *args, **kwargs)
        if spec.tag_scheme is None:
            raise ValueError("SequenceLabelingTask scores spans and needs a tag_scheme (IOB1/IOB2/IOBES/BILOU)")
        types = sorted({split_tag(label)[1] for label in spec.labels if label != "O"})
        self.val_f1 = SpanF1(types, spec.tag_scheme)
        self.test_f1 = SpanF1(types, spec.tag_scheme)

    @classmethod
    def head_arguments(cls, spec: DataSpec) -> dict[str, Any]:
        transitions = allowed_transitions(spec.tag_scheme, spec.labels) if spec.tag_scheme else None
        return {"num_labels": spec.num_labels, "allowed_transitions": transitions}

    def labels_of(self, tag_ids: Tensor, mask: Tensor) -> list[list[str]]:
        """Tag id tensor to label strings, one list per sentence (padding dropped)."""
        lengths = mask.sum(1).tolist()
        return [[self.spec.labels[i] for i in row[:n]] for row, n in zip(tag_ids.tolist(), lengths)]

    def _evaluate(self, batch: Batch, metric: SpanF1) -> list[list[str]]:
        predicted = self.labels_of(self(batch), batch.mask)
        assert batch.targets is not None  # validation and test batches are labelled
        metric.update(predicted, self.labels_of(batch.targets, batch.mask))
        return predicted

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._evaluate(batch, self.val_f1)

    def on_validation_epoch_end(self) -> None:
        self.log_validation(self.val_f1.compute())
        self.val_f1.reset()

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        predicted = self._evaluate(batch, self.test_f1)
        self.test_predictions.update(zip(batch.index.tolist(), predicted))

    def on_test_epoch_end(self) -> None:
        self.log_test(self.test_f1.compute())
        self.test_f1.reset()

    def absent_scores(self, dataset: datasets.Dataset) -> set[str]:
        """``f1_<TYPE>`` of each entity type the split's gold tags never name."""
        if "tags" not in dataset.column_names:
            return set()
        return {f"f1_{t}" for t in absent_types(self.test_f1.entity_types, dataset["tags"][:])}

    def write_test_report(self, dataset: datasets.Dataset, predictions: list[Any], out_dir: Path) -> str:
        spec = self.spec
        assert spec.tag_scheme is not None  # checked in __init__
        gold = dataset["tags"]
        written = None
        if spec.file_scheme is not None and spec.file_scheme != spec.tag_scheme:  # as the input files write them
            spans = strict_spans(predictions, spec.tag_scheme)  # predicted spans as the scorer reads them
            written = (
                [convert(tags, spec.tag_scheme, spec.file_scheme) for tags in gold],
                [from_spans(found, len(tags), spec.file_scheme) for tags, found in zip(predictions, spans)],
            )
        text, _ = write_span_report(out_dir, "test", dataset["tokens"], gold, predictions, spec.tag_scheme, written)
        return text
