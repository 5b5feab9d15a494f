"""Which model a server runs and with which backend, and loading it into a :class:`Predictor`."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from seqlab.errors import ConfigError
from seqlab.predictor import Predictor

BACKENDS = ("auto", "onnx", "torch")


@dataclass(frozen=True)
class ModelSource:
    """A model folder (``seqlab-export``) or a checkpoint, and how to run it.

    Args:
        model: an exported model folder (runs with ONNX Runtime).
        ckpt_path: a checkpoint (runs with torch; ``backend="onnx"`` exports it to a temporary
            folder first).
        backend: ``auto`` (the source's own), ``onnx`` or ``torch``.
        threads: intra-op threads per worker (``None``: the backend's default).
        device: torch device for checkpoints.
        batch_size: texts per forward pass.
    """

    model: str | None = None
    ckpt_path: str | None = None
    backend: str = "auto"
    threads: int | None = None
    device: str = "cpu"
    batch_size: int = 256

    def __post_init__(self) -> None:
        if (self.model is None) == (self.ckpt_path is None):
            raise ConfigError("give either model=FOLDER (from seqlab-export) or ckpt_path=CHECKPOINT")
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.model is not None and self.backend == "torch":
            raise ConfigError("backend=torch needs ckpt_path=...: a model folder holds an ONNX graph, no torch weights")
        path = Path(self.model or self.ckpt_path or "")
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such {'model folder' if self.model else 'checkpoint'}")

    @property
    def runs_onnx(self) -> bool:
        return self.model is not None or self.backend == "onnx"

    def load(self) -> Predictor:
        """The predictor (errors name the file, as ``seqlab-predict``'s do)."""
        if self.model is not None:
            return Predictor.from_pretrained(self.model, batch_size=self.batch_size, threads=self.threads)
        assert self.ckpt_path is not None  # checked in __post_init__
        if self.backend == "onnx":
            from seqlab.export import export_checkpoint

            folder = Path(tempfile.mkdtemp(prefix="seqlab-serve-")) / "model"
            export_checkpoint(self.ckpt_path, folder)
            return Predictor.from_pretrained(folder, batch_size=self.batch_size, threads=self.threads)
        if self.threads is not None:
            import torch

            torch.set_num_threads(self.threads)
        return Predictor.from_checkpoint(self.ckpt_path, device=self.device, batch_size=self.batch_size)
