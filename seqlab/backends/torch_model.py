"""A trained torch task as a predictor's model: featurize, batch, run the task, describe."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from seqlab.checkpoint import read_checkpoint, restore
from seqlab.data.collate import collate_examples
from seqlab.data.encoding import encode_examples
from seqlab.tasks.base import Task


class TorchModel:
    """``task`` in eval mode; inputs computed with its own featurizers, as in training."""

    def __init__(self, task: Task) -> None:
        self.task = task.eval()
        self.featurizers = task.featurizers()
        self.splitter = task.spec.splitter

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu") -> TorchModel:
        """Rebuild the task from the checkpoint's own config and spec (labels, vocabularies)."""
        return cls(restore(read_checkpoint(path)).task.to(device))

    @torch.inference_mode()
    def predict_words(self, sentences: Sequence[Sequence[str]], nbest: int = 1) -> list[Any]:
        """The task's prediction of each pre-split, non-empty sentence."""
        batch = collate_examples(encode_examples(self.featurizers, sentences)).to(self.task.device)
        return self.task.predict_texts(batch, nbest)

    def describe(self, prediction: Any, words: list[str], offsets: list[tuple[int, int]], text: str) -> dict[str, Any]:
        return self.task.describe(prediction, words, offsets, text)

    def empty_prediction(self, text: str) -> dict[str, Any]:
        return self.task.empty_prediction(text)
