"""Reading self-contained seqlab checkpoints back into a task and its vocabularies."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.plugins.io import TorchCheckpointIO

from seqlab.build import build_task
from seqlab.spec import DataSpec
from seqlab.tasks.base import CHECKPOINT_FORMAT, Task
from seqlab.version import __version__

#: The seqlab versions that wrote each older checkpoint format.
_WRITTEN_BY = {1: "seqlab 0.1"}


class CheckpointError(ValueError):
    """A file that is not a usable seqlab checkpoint (corrupt, foreign, or another format version)."""


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The checkpoint dict, checked to be a seqlab checkpoint of the supported format."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # torch raises several types for truncated or foreign files
        raise CheckpointError(f"{path}: cannot be read as a checkpoint ({type(err).__name__}: {err})") from None
    meta = checkpoint.get("seqlab") if isinstance(checkpoint, dict) else None
    if meta is None:
        raise CheckpointError(f"{path}: not a seqlab checkpoint (no 'seqlab' entry)")
    found = meta.get("format")
    if found != CHECKPOINT_FORMAT:
        writer = f"seqlab {meta['version']}" if meta.get("version") else _WRITTEN_BY.get(found, "another seqlab")
        newer = isinstance(found, int) and found > CHECKPOINT_FORMAT
        remedy = "upgrade seqlab" if newer else f"retrain, or evaluate and predict with {writer}"
        raise CheckpointError(
            f"{path}: written by {writer} in checkpoint format {found}; this is seqlab {__version__}, which reads "
            f"format {CHECKPOINT_FORMAT}: {remedy}"
        )
    return checkpoint


@dataclass
class RestoredModel:
    """A trained task (its ``spec`` holds the labels and vocabularies) with the config it was trained with."""

    task: Task
    config: DictConfig


def restore(checkpoint: dict[str, Any]) -> RestoredModel:
    """Rebuild the task from the checkpoint's own config and spec, and load its weights."""
    meta = checkpoint["seqlab"]
    config = OmegaConf.create(meta["config"])
    task = build_task(config, DataSpec.from_dict(meta["spec"]))
    task.load_state_dict(checkpoint["state_dict"])
    task.best_val_score = meta.get("best_val_score", 0.0)
    return RestoredModel(task.eval(), config)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Write each checkpoint to a temporary file and rename it into place.

    A crash or SIGKILL during the write leaves the previous file (``last.ckpt`` included) intact
    instead of a truncated one, so a finished checkpoint is never lost.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        super().save_checkpoint(checkpoint, partial, storage_options)
        os.replace(partial, target)
