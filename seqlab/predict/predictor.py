"""Raw text in, structured predictions out, from a checkpoint (torch) or an exported model folder (ONNX).

predictor = Predictor.open(ckpt_path="outputs/.../checkpoints/last.ckpt")   # torch
predictor = Predictor.open(model="models/ner")                              # ONNX Runtime, no torch
predictor.predict(["EU rejects German call to boycott British lamb ."])

:meth:`Predictor.open` is the one way every command (``seqlab-predict``, ``seqlab-serve``,
``seqlab-export``) opens a model. This module imports neither torch nor Lightning, Hydra or
``datasets``: each backend imports what it needs (torch for a checkpoint, ONNX Runtime for a folder).
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from seqlab.data.long_documents import truncate
from seqlab.errors import ConfigError
from seqlab.predict.model_folder import ModelFolderError
from seqlab.predict.outputs import Output
from seqlab.tokenization.vocab import text_splitter

#: How :meth:`Predictor.open` may run a model: ``auto`` (a folder with ONNX Runtime, a checkpoint
#: with torch), ``onnx`` (a checkpoint is exported to a temporary folder first) or ``torch``.
BACKENDS = ("auto", "onnx", "torch")


def check_source(model: str | Path | None, ckpt_path: str | Path | None, backend: str = "auto", nbest: int = 1) -> Path:
    """The file :meth:`Predictor.open` would read, after checking its arguments agree (one line each)."""
    if (model is None) == (ckpt_path is None):
        raise ConfigError("give either model=FOLDER (from seqlab-export) or ckpt_path=CHECKPOINT")
    if backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if model is not None and backend == "torch":
        raise ConfigError("backend=torch needs ckpt_path=...: a model folder holds an ONNX graph, no torch weights")
    if nbest > 1 and (model is not None or backend == "onnx"):
        raise ConfigError("nbest needs the torch backend (ckpt_path=...): an exported graph decodes the best only")
    found = Path(model if model is not None else str(ckpt_path))
    if model is not None and not found.is_dir():
        raise ModelFolderError(f"{found}: no such model folder (seqlab-export writes one)")
    if model is None and not found.is_file():
        raise FileNotFoundError(f"{found}: no such checkpoint")
    return found


def backend_name(model: str | Path | None, backend: str = "auto") -> str:
    """Which backend :meth:`Predictor.open` runs: ``onnx`` for a model folder or ``backend=onnx``, else ``torch``."""
    return "onnx" if model is not None or backend == "onnx" else "torch"


class Backend(Protocol):
    """What a :class:`Predictor` runs (:class:`~seqlab.predict.torch_backend.TorchBackend`,
    :class:`~seqlab.predict.onnx_backend.OnnxBackend`)."""

    splitter: str
    #: A text longer than ``max_tokens`` words is cut to its ``truncation`` part (``head``, ``tail``,
    #: ``head+tail``) before the model reads it, as in training; ``None``: whole texts.
    max_tokens: int | None
    truncation: str | None
    #: Provenance and metrics: seqlab version, task, labels, command, data files, scores.
    card: dict[str, Any]
    #: What the model predicts: decodes, describes and gives the empty prediction.
    output: Output

    def predict_words(
        self, sentences: Sequence[Sequence[str]], nbest: int = 1, given: Mapping[str, Sequence[Any]] | None = None, /
    ) -> list[Any]: ...


class Predictor:
    """A trained model: raw text in, structured predictions out.

    Text is cut into words as in training, and words become inputs with the model's own
    featurizers; the torch and ONNX backends give the same JSON.

    Args:
        backend: a :class:`Backend`, or a trained :class:`~seqlab.tasks.base.Task` (run with torch).
        splitter: how raw text is cut into words (see :data:`seqlab.tokenization.vocab.SPLITTERS`);
            default: the one the model was trained with.
        batch_size: texts per forward pass.
        nbest: also return the ``nbest`` best tag sequences with their probabilities (CRF heads, torch;
            outputs with no n-best, such as a classifier's probabilities of every class, ignore it).
    """

    def __init__(self, backend: Any, splitter: str | None = None, batch_size: int = 256, nbest: int = 1) -> None:
        if not hasattr(backend, "predict_words"):  # a Task: its network, spec and output
            from seqlab.predict.torch_backend import TorchBackend

            backend = TorchBackend.of_task(backend)
        self.backend: Backend = backend
        self.splitter = text_splitter(splitter or backend.splitter)
        self.batch_size = batch_size
        self.nbest = nbest

    @classmethod
    def open(
        cls,
        model: str | Path | None = None,
        ckpt_path: str | Path | None = None,
        backend: str = "auto",
        device: str = "cpu",
        threads: int | None = None,
        splitter: str | None = None,
        batch_size: int = 256,
        nbest: int = 1,
    ) -> Predictor:
        """Open a model folder (``model=``, from ``seqlab-export``) or a checkpoint (``ckpt_path=``).

        Args:
            backend: ``auto`` runs a folder with ONNX Runtime and a checkpoint with torch;
                ``onnx`` exports a checkpoint to a temporary folder first; ``torch`` needs a checkpoint.
            device: torch device (checkpoints run with torch).
            threads: cores to use: torch's intra-op threads, or ONNX Runtime runs of a batch's length
                groups at once, one thread each (``None``: torch's default; ONNX: each CPU available).
        """
        found = check_source(model, ckpt_path, backend, nbest)
        exported = None
        if model is None and backend == "onnx":
            from seqlab.predict.export import export_checkpoint

            exported = tempfile.mkdtemp(prefix="seqlab-onnx-")
            model = export_checkpoint(found, Path(exported) / "model")
        if model is not None:
            from seqlab.predict.onnx_backend import OnnxBackend

            predictor = cls(OnnxBackend.from_folder(model, threads=threads), splitter=splitter, batch_size=batch_size)
            if exported is not None:  # the folder exported for this predictor goes with it
                weakref.finalize(predictor, shutil.rmtree, exported, ignore_errors=True)
            return predictor
        from seqlab.predict.torch_backend import TorchBackend

        if threads is not None:
            import torch

            torch.set_num_threads(threads)
        torch_backend = TorchBackend.from_checkpoint(found, device=device)
        return cls(torch_backend, splitter=splitter, batch_size=batch_size, nbest=nbest)

    @classmethod
    def from_checkpoint(cls, path: str | Path, **options: Any) -> Predictor:
        """``Predictor.open(ckpt_path=path, **options)``: the checkpoint's network run with torch."""
        return cls.open(ckpt_path=path, **options)

    @classmethod
    def from_pretrained(cls, path: str | Path, **options: Any) -> Predictor:
        """``Predictor.open(model=path, **options)``: an exported model folder run with ONNX Runtime."""
        return cls.open(model=path, **options)

    def split(self, text: str) -> tuple[list[str], list[tuple[int, int]]]:
        """Words of ``text`` and their character offsets."""
        pieces = self.splitter.pre_tokenize_str(text)
        return [w for w, _ in pieces], [span for _, span in pieces]

    @property
    def card(self) -> dict[str, Any]:
        """The model card: seqlab version, task, labels, command, data files, scores."""
        return self.backend.card

    @property
    def output(self) -> Output:
        """What the model predicts (its name, labels, how a prediction is described)."""
        return self.backend.output

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
            for words, prediction in zip(chunk, self.backend.predict_words(chunk, self.nbest, given)):
                text = " ".join(words)
                offsets, position = [], 0
                for word in words:
                    offsets.append((position, position + len(word)))
                    position += len(word) + 1
                outputs.append({"text": text, **self.output.describe(prediction, words, offsets, text)})
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
        size, how = self.backend.max_tokens, self.backend.truncation
        return truncate(words, size, how) if size is not None and how is not None else words

    def _predict_chunk(self, texts: list[str], nbest: int) -> list[dict[str, Any]]:
        split = [self.split(text) for text in texts]
        filled = [i for i, (words, _) in enumerate(split) if words]
        outputs: list[dict[str, Any]] = [self.output.empty(text) for text in texts]
        if filled:
            predictions = self.backend.predict_words([self._fitted(split[i][0]) for i in filled], nbest)
            for i, prediction in zip(filled, predictions):
                words, offsets = split[i]
                outputs[i] = {"text": texts[i], **self.output.describe(prediction, words, offsets, texts[i])}
        return outputs
