"""Restoring a checkpoint into its task and config, and writing checkpoints atomically.

Reading and checking the file is :mod:`seqlab.checkpoint_file` (data, never code); this module
rebuilds the whole task, so it imports the training stack.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.plugins.io import TorchCheckpointIO

from seqlab.build import build_task
from seqlab.checkpoint_file import CheckpointError, read_checkpoint
from seqlab.data.vocabulary import without_moved_settings
from seqlab.spec import DataSpec
from seqlab.tasks.base import Task

__all__ = ["AtomicCheckpointIO", "CheckpointError", "RestoredModel", "read_checkpoint", "restore"]


@dataclass
class RestoredModel:
    """A trained task (its ``spec`` holds the labels and vocabularies) with the config it was trained with."""

    task: Task
    config: DictConfig


def restore(checkpoint: dict[str, Any]) -> RestoredModel:
    """Rebuild the task from the checkpoint's own config and spec, and load its weights."""
    meta = checkpoint["seqlab"]
    config = OmegaConf.create(upgraded_config(meta["config"]))
    task = build_task(config, DataSpec.from_dict(meta["spec"]))
    task.load_state_dict(checkpoint["state_dict"])
    task.best_val_score = meta.get("best_val_score", 0.0)
    return RestoredModel(task.eval(), config)


def upgraded_config(config: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's config in today's keys: a checkpoint written before the word and character
    settings moved to their parts has copies of them under ``data``, which are dropped (the word
    part's config holds the vectors; the spec records ``max_chars`` and the word tokenizer lowercases)."""
    if isinstance(config.get("data"), dict):
        config = {**config, "data": without_moved_settings(config["data"])}
    return config


def record_test_metrics(path: str | Path, metrics: dict[str, float]) -> None:
    """Write the test metrics into the checkpoint's ``seqlab`` entry (its model card), atomically:
    the file is rewritten beside itself and renamed into place."""
    path = Path(path)
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    checkpoint["seqlab"]["test_metrics"] = {k: float(v) for k, v in metrics.items()}
    partial = path.with_name(f".{path.name}.partial")
    torch.save(checkpoint, partial)
    os.replace(partial, path)


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
