"""Raw text in, structured predictions out, from a checkpoint (torch) or an exported model folder (ONNX).

predictor = Predictor.from_checkpoint("outputs/.../checkpoints/last.ckpt")   # torch
predictor = Predictor.from_pretrained("models/ner")                          # ONNX Runtime, no torch
predictor.predict(["EU rejects German call to boycott British lamb ."])

This module imports neither torch nor Lightning, Hydra or ``datasets``: each constructor imports
what its model needs (the checkpoint path imports torch, the model folder path ONNX Runtime).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from seqlab.data.long_documents import truncate
from seqlab.tokenization.vocab import text_splitter


class PredictionModel(Protocol):
    """What a :class:`Predictor` runs (:class:`~seqlab.backends.torch_model.TorchModel`,
    :class:`~seqlab.backends.onnx_model.OnnxModel`, :class:`~seqlab.backends.task_model.TaskModel`)."""

    splitter: str
    #: A text longer than ``max_tokens`` words is cut to its ``truncation`` part (``head``, ``tail``,
    #: ``head+tail``) before the model reads it, as in training; ``None``: whole texts.
    max_tokens: int | None
    truncation: str | None
    #: Provenance and metrics: seqlab version, task, labels, command, data files, scores.
    card: dict[str, Any]

    def predict_words(
        self, sentences: Sequence[Sequence[str]], nbest: int = 1, given: Mapping[str, Sequence[Any]] | None = None, /
    ) -> list[Any]: ...

    def describe(self, prediction: Any, words: list[str], offsets: list[tuple[int, int]], text: str, /) -> dict: ...

    def empty_prediction(self, text: str, /) -> dict[str, Any]: ...


class Predictor:
    """A trained model: raw text in, structured predictions out.

    Text is cut into words as in training, and words become inputs with the model's own
    featurizers; the torch and ONNX models give the same JSON.

    Args:
        model: a :class:`PredictionModel`, or a trained :class:`~seqlab.tasks.base.Task` (run with torch).
        splitter: how raw text is cut into words (see :data:`seqlab.tokenization.vocab.SPLITTERS`);
            default: the one the model was trained with.
        batch_size: texts per forward pass.
        nbest: also return the ``nbest`` best tag sequences with their probabilities (CRF heads, torch).
    """

    def __init__(self, model: Any, splitter: str | None = None, batch_size: int = 256, nbest: int = 1) -> None:
        if not hasattr(model, "predict_words"):  # a Task
            from seqlab.backends.task_model import TaskModel

            model = TaskModel(model)
        self.model: PredictionModel = model
        self.splitter = text_splitter(splitter or model.splitter)
        self.batch_size = batch_size
        self.nbest = nbest

    @property
    def task(self) -> Any:
        """The task, where this predictor was built from one (``Predictor(task)``)."""
        task = getattr(self.model, "task", None)
        if task is None:
            raise AttributeError(
                f"this predictor runs a {type(self.model).__name__}, not a task; build Predictor(task) to reach one"
            )
        return task

    @classmethod
    def from_checkpoint(
        cls,
        path: str | Path,
        device: str = "cpu",
        splitter: str | None = None,
        batch_size: int = 256,
        nbest: int = 1,
    ) -> Predictor:
        """Rebuild the network from the checkpoint's own config and spec (labels, vocabularies) and
        run it with torch, importing no Lightning or Hydra; a plug-in task that makes its own
        predictions is rebuilt whole instead."""
        from seqlab.backends.torch_model import TorchModel

        model: PredictionModel | None = TorchModel.from_checkpoint(path, device=device)
        if model is None:
            from seqlab.backends.task_model import TaskModel

            model = TaskModel.from_checkpoint(path, device=device)
        return cls(model, splitter=splitter, batch_size=batch_size, nbest=nbest)

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        splitter: str | None = None,
        batch_size: int = 256,
        threads: int | None = None,
    ) -> Predictor:
        """Run an exported model folder (``seqlab-export``) with ONNX Runtime; imports no torch."""
        from seqlab.backends.onnx_model import OnnxModel

        return cls(OnnxModel.from_folder(path, threads=threads), splitter=splitter, batch_size=batch_size)

    def split(self, text: str) -> tuple[list[str], list[tuple[int, int]]]:
        """Words of ``text`` and their character offsets."""
        pieces = self.splitter.pre_tokenize_str(text)
        return [w for w, _ in pieces], [span for _, span in pieces]

    @property
    def card(self) -> dict[str, Any]:
        """The model card: seqlab version, task, labels, command, data files, scores."""
        return self.model.card

    def predict(self, texts: Sequence[str], nbest: int | None = None) -> list[dict[str, Any]]:
        """Predictions for raw texts, one dict per text (see :meth:`predict_stream`)."""
        return list(self.predict_stream(texts, nbest))

    def predict_tokens(
        self, sentences: Sequence[Sequence[str]], features: Sequence[Sequence[Sequence[str]]] | None = None
    ) -> list[dict[str, Any]]:
        """Predictions for pre-split sentences, with each token's feature-column values (a list per
        token, as ``data.feature_columns`` read them) for a model trained with feature columns."""
        if features is not None and [len(f) for f in features] != [len(s) for s in sentences]:
            raise ValueError("features must give one list of column values per token of each sentence")
        outputs: list[dict[str, Any]] = []
        for start in range(0, len(sentences), self.batch_size):
            chunk = [list(s) for s in sentences[start : start + self.batch_size]]
            given = {"features": list(features[start : start + self.batch_size])} if features is not None else None
            for words, prediction in zip(chunk, self.model.predict_words(chunk, self.nbest, given)):
                text = " ".join(words)
                offsets, position = [], 0
                for word in words:
                    offsets.append((position, position + len(word)))
                    position += len(word) + 1
                outputs.append({"text": text, **self.model.describe(prediction, words, offsets, text)})
        return outputs

    def predict_stream(self, texts: Iterable[str], nbest: int | None = None) -> Iterator[dict[str, Any]]:
        """Predict lazily, ``batch_size`` texts at a time, so memory stays constant; ``nbest``
        overrides the predictor's own for these texts.

        A text with no words (empty or blank) yields ``{"text": text, "tokens": []}`` and the
        task's empty prediction, rather than stopping the stream.
        """
        nbest = self.nbest if nbest is None else nbest
        chunk: list[str] = []
        chunk_size = self.batch_size * self.SORT_WINDOW
        for text in texts:
            chunk.append(text)
            if len(chunk) == chunk_size:
                yield from self._predict_window(chunk, nbest)
                chunk = []
        if chunk:
            yield from self._predict_window(chunk, nbest)

    #: Texts are read this many batches at a time and batched by length within that window,
    #: so batches carry little padding while memory stays bounded.
    SORT_WINDOW = 8

    def _predict_window(self, texts: list[str], nbest: int) -> list[dict[str, Any]]:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        outputs: list[dict[str, Any]] = [{}] * len(texts)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            for row, output in zip(rows, self._predict_chunk([texts[i] for i in rows], nbest)):
                outputs[row] = output
        return outputs

    def _fitted(self, words: list[str]) -> list[str]:
        """``words`` as the model reads them: cut to its ``max_tokens`` where it truncates (classifiers)."""
        size, how = self.model.max_tokens, self.model.truncation
        return truncate(words, size, how) if size is not None and how is not None else words

    def _predict_chunk(self, texts: list[str], nbest: int) -> list[dict[str, Any]]:
        split = [self.split(text) for text in texts]
        filled = [i for i, (words, _) in enumerate(split) if words]
        outputs: list[dict[str, Any]] = [self.model.empty_prediction(text) for text in texts]
        if filled:
            predictions = self.model.predict_words([self._fitted(split[i][0]) for i in filled], nbest)
            for i, prediction in zip(filled, predictions):
                words, offsets = split[i]
                outputs[i] = {"text": texts[i], **self.model.describe(prediction, words, offsets, texts[i])}
        return outputs
