"""The model a server runs: the arguments of :meth:`Predictor.open`, as plain data (so the worker
processes of a multi-worker server receive them)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from seqlab.predict.collector import set_aside_loaded_objects
from seqlab.predict.predictor import Predictor, backend_name, check_source


@dataclass(frozen=True)
class ModelSource:
    """A model folder (``seqlab-export``) or a checkpoint, and how to run it (see :meth:`Predictor.open`).

    Args:
        model: an exported model folder (runs with ONNX Runtime).
        ckpt_path: a checkpoint (runs with torch; ``backend="onnx"`` exports it to a temporary
            folder first).
        backend: ``auto`` (the source's own), ``onnx`` or ``torch``.
        threads: cores per worker (``None``: the backend's default; see :meth:`Predictor.open`).
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
        check_source(self.model, self.ckpt_path, self.backend)

    @property
    def runs_onnx(self) -> bool:
        return backend_name(self.model, self.backend) == "onnx"

    def check(self) -> None:
        """Read and check the model's files as loading does, building nothing (a refused or broken
        model is the same one-line error)."""
        if self.ckpt_path is not None:
            from seqlab.predict.checkpoint_file import NETWORK_SECTIONS, read_checkpoint

            read_checkpoint(self.ckpt_path, builds=NETWORK_SECTIONS)
        else:
            from seqlab.predict.model_folder import ModelFolder

            ModelFolder.read(str(self.model))

    def load(self) -> Predictor:
        """The predictor (errors name the file, as ``seqlab-predict``'s do)."""
        predictor = Predictor.open(**dataclasses.asdict(self))
        set_aside_loaded_objects()
        return predictor
