"""A trained task as a predictor's model: featurize, batch, run the task's own prediction.

This runs any task, plug-ins whose predictions are their own included, and so imports Lightning;
a checkpoint of a task with a prediction kind runs without it (:mod:`seqlab.backends.torch_model`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from seqlab.checkpoint import read_checkpoint, restore
from seqlab.data.collate import collate_examples
from seqlab.data.encoding import encode_examples
from seqlab.model_card import checkpoint_card
from seqlab.tasks.base import Task


class TaskModel:
    """``task`` in eval mode; inputs computed with its own featurizers, as in training."""

    def __init__(self, task: Task, card: dict[str, Any] | None = None) -> None:
        self.task = task.eval()
        task.embedder.for_prediction()
        #: Provenance and metrics (see :func:`seqlab.model_card.checkpoint_card`).
        self.card = card or {}
        self.featurizers = task.featurizers()
        self.splitter = task.spec.splitter
        self.max_tokens, self.truncation = task.spec.max_tokens, task.spec.truncation

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu") -> TaskModel:
        """Rebuild the task from the checkpoint's own config and spec (labels, vocabularies)."""
        checkpoint = read_checkpoint(path)
        task = restore(checkpoint).task.to(device)
        return cls(task, checkpoint_card(checkpoint["seqlab"], path, task.selection_metric))

    @torch.inference_mode()
    def predict_words(
        self, sentences: Sequence[Sequence[str]], nbest: int = 1, given: Mapping[str, Sequence[Any]] | None = None
    ) -> list[Any]:
        """The task's prediction of each pre-split, non-empty sentence (``given``: columns such as ``features``)."""
        batch = collate_examples(encode_examples(self.featurizers, sentences, given=given)).to(self.task.device)
        return self.task.predict_texts(batch, nbest)

    def describe(self, prediction: Any, words: list[str], offsets: list[tuple[int, int]], text: str) -> dict[str, Any]:
        return self.task.describe(prediction, words, offsets, text)

    def empty_prediction(self, text: str) -> dict[str, Any]:
        return self.task.empty_prediction(text)
