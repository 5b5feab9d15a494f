"""Prediction from a self-contained checkpoint, without Hydra, training data or config files.

predictor = Predictor.from_checkpoint("outputs/.../checkpoints/last.ckpt")
predictor.predict(["EU rejects German call to boycott British lamb ."])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from seqlab.checkpoint import read_checkpoint, restore
from seqlab.data.collate import collate_examples
from seqlab.data.encoding import encode_examples
from seqlab.tasks.base import Task
from seqlab.tokenization.vocab import text_splitter


class Predictor:
    """A trained task: raw text in, structured predictions out.

    The task's spec says how text is cut into words and its embedding parts how words become
    tensors, exactly as in training.

    Args:
        task: the trained task (eval mode is set here).
        splitter: how raw text is cut into words (see :data:`seqlab.tokenization.vocab.SPLITTERS`);
            default: the one the task was trained with (``task.spec.splitter``).
        batch_size: texts per forward pass.
        nbest: also return the ``nbest`` best tag sequences with their probabilities (CRF heads).
    """

    def __init__(self, task: Task, splitter: str | None = None, batch_size: int = 256, nbest: int = 1) -> None:
        self.task = task.eval()
        self.splitter = text_splitter(splitter or task.spec.splitter)
        self.featurizers = task.featurizers()
        self.batch_size = batch_size
        self.nbest = nbest

    @classmethod
    def from_checkpoint(
        cls,
        path: str | Path,
        device: str = "cpu",
        splitter: str | None = None,
        batch_size: int = 256,
        nbest: int = 1,
    ) -> Predictor:
        """Rebuild the task from the checkpoint's own config and spec (labels, vocabularies)."""
        model = restore(read_checkpoint(path))
        return cls(model.task.to(device), splitter=splitter, batch_size=batch_size, nbest=nbest)

    def split(self, text: str) -> tuple[list[str], list[tuple[int, int]]]:
        """Words of ``text`` and their character offsets."""
        pieces = self.splitter.pre_tokenize_str(text)
        return [w for w, _ in pieces], [span for _, span in pieces]

    def predict(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        """Predictions for raw texts, one dict per text (see :meth:`predict_stream`)."""
        return list(self.predict_stream(texts))

    def predict_stream(self, texts: Iterable[str]) -> Iterator[dict[str, Any]]:
        """Predict lazily, ``batch_size`` texts at a time, so memory stays constant.

        A text with no words (empty or blank) yields ``{"text": text, "tokens": []}`` and the
        task's empty prediction, rather than stopping the stream.
        """
        chunk: list[str] = []
        chunk_size = self.batch_size * self.SORT_WINDOW
        for text in texts:
            chunk.append(text)
            if len(chunk) == chunk_size:
                yield from self._predict_window(chunk)
                chunk = []
        if chunk:
            yield from self._predict_window(chunk)

    #: Texts are read this many batches at a time and batched by length within that window,
    #: so batches carry little padding while memory stays bounded.
    SORT_WINDOW = 8

    def _predict_window(self, texts: list[str]) -> list[dict[str, Any]]:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        outputs: list[dict[str, Any]] = [{}] * len(texts)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            for row, output in zip(rows, self._predict_chunk([texts[i] for i in rows])):
                outputs[row] = output
        return outputs

    @torch.inference_mode()
    def _predict_chunk(self, texts: list[str]) -> list[dict[str, Any]]:
        split = [self.split(text) for text in texts]
        filled = [i for i, (words, _) in enumerate(split) if words]
        outputs: list[dict[str, Any]] = [self.task.empty_prediction(text) for text in texts]
        if filled:
            examples = encode_examples(self.featurizers, [split[i][0] for i in filled])
            batch = collate_examples(examples).to(self.task.device)
            for i, prediction in zip(filled, self.task.predict_texts(batch, self.nbest)):
                words, offsets = split[i]
                outputs[i] = {"text": texts[i], **self.task.describe(prediction, words, offsets, texts[i])}
        return outputs
