"""Restoring a checkpoint into its task and config, and writing checkpoints atomically.

Reading and checking the file is :mod:`seqlab.predict.checkpoint_file` (data, never code); this module
rebuilds the whole task, so it imports the training stack.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.plugins.io import TorchCheckpointIO

from seqlab.errors import OutputError
from seqlab.predict.checkpoint_file import CheckpointError, network_of, read_checkpoint
from seqlab.spec import DataSpec
from seqlab.tasks.base import Task
from seqlab.training.build import task_around, task_class_of

__all__ = [
    "AtomicCheckpointIO",
    "CheckedCheckpointIO",
    "CheckpointError",
    "RestoredModel",
    "loads_checked",
    "read_checkpoint",
    "restore",
]


@dataclass
class RestoredModel:
    """A trained task (its ``spec`` holds the labels and vocabularies) with the config it was trained with."""

    task: Task
    config: DictConfig


def restore(checkpoint: dict[str, Any], path: str | Path = "checkpoint") -> RestoredModel:
    """Rebuild the task from the checkpoint's own config and spec around its network
    (:func:`~seqlab.predict.checkpoint_file.network_of`), and load its weights."""
    meta = checkpoint["seqlab"]
    config = OmegaConf.create(meta["config"])
    spec = DataSpec.from_dict(meta["spec"])
    recorded = meta.get("head_arguments")
    arguments = None if recorded is not None else task_class_of(config).head_arguments(spec)
    network = network_of(checkpoint, path, spec, arguments)
    task = task_around(config, spec, network)
    task.load_state_dict(checkpoint["state_dict"])
    task.best_val_score = meta.get("best_val_score", 0.0)
    return RestoredModel(task.eval(), config)


def record_test_metrics(path: str | Path, metrics: dict[str, float]) -> None:
    """Write the test metrics into the checkpoint's ``seqlab`` entry (its model card), atomically:
    the file is rewritten beside itself and renamed into place."""
    path = Path(path)
    checkpoint = read_checkpoint(path, builds=())  # the one reader (this run wrote the file)
    checkpoint["seqlab"]["test_metrics"] = {k: float(v) for k, v in metrics.items()}
    with replaced_atomically(path) as partial:
        torch.save(checkpoint, partial)


@contextmanager
def replaced_atomically(target: Path) -> Iterator[Path]:
    """The ``.partial`` path to write ``target``'s new content to; renamed into place when the body
    ends, removed if it fails (a full disk is an :class:`~seqlab.errors.OutputError` naming the file)."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        yield partial
        os.replace(partial, target)
    except BaseException as err:
        partial.unlink(missing_ok=True)
        if isinstance(err, OSError) and not isinstance(err, OutputError):
            raise OutputError(
                f"{target}: cannot be written ({err.strerror or err}); the previous file is kept"
            ) from None
        raise


class CheckedCheckpointIO(TorchCheckpointIO):
    """Lightning's checkpoint plugin, loading through seqlab's reader.

    Every checkpoint Lightning loads (resuming with ``trainer.fit(ckpt_path=...)``, testing the
    best one with ``trainer.test(ckpt_path=...)``) is read by :func:`read_checkpoint`, weights
    only and with its stored config checked, as every other road reads one.
    """

    def load_checkpoint(
        self, path: Any, map_location: Any | None = None, weights_only: bool | None = None
    ) -> dict[str, Any]:
        # weights_only is ignored: seqlab reads checkpoints as data, always.
        return read_checkpoint(path, map_location=map_location if map_location is not None else "cpu")


def loads_checked(checkpoint_io: Any) -> bool:
    """Whether a Lightning checkpoint plugin loads through :class:`CheckedCheckpointIO` (itself, or
    under wrappers such as Lightning's ``AsyncCheckpointIO``, which delegate loading)."""
    while checkpoint_io is not None and not isinstance(checkpoint_io, CheckedCheckpointIO):
        checkpoint_io = getattr(checkpoint_io, "checkpoint_io", None)
    return checkpoint_io is not None


class AtomicCheckpointIO(CheckedCheckpointIO):
    """Write each checkpoint to a temporary file and rename it into place; load as
    :class:`CheckedCheckpointIO` does (seqlab's trainer config uses this plugin).

    A crash or SIGKILL during the write leaves the previous file (``last.ckpt`` included) intact
    instead of a truncated one, so a finished checkpoint is never lost. A failed write (a full
    disk) removes its ``.partial`` file and stops training with one line naming the checkpoint; a
    ``.partial`` left by a SIGKILL is removed when the next run starts in the same folder.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with replaced_atomically(target) as partial:
            super().save_checkpoint(checkpoint, partial, storage_options)
