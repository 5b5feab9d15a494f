"""Reading self-contained seqlab checkpoints back into a task and its vocabularies.

A checkpoint is data, never code: it is unpickled with ``torch.load(weights_only=True)`` (tensors
and plain types only); its stored config holds no interpolation; and the sections a checkpoint
rebuilds may name as ``_target_`` only classes of seqlab and registered plug-ins
(:func:`seqlab.registry.component_packages`), each of the kind its place expects (a module, a
task, a data module, an optimiser, a scheduler). Anything else is a :class:`CheckpointError`
before any object is built.
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.plugins.io import TorchCheckpointIO
from torch import nn

from seqlab.build import build_task
from seqlab.config_check import locate, target_nodes
from seqlab.data.datamodules import TokenDataModule
from seqlab.errors import SeqlabError
from seqlab.registry import component_packages
from seqlab.spec import DataSpec
from seqlab.tasks.base import CHECKPOINT_FORMAT, Task
from seqlab.version import __version__

#: The seqlab versions that wrote each older checkpoint format.
_WRITTEN_BY = {1: "seqlab 0.1"}


class CheckpointError(SeqlabError, ValueError):
    """A file that is not a usable seqlab checkpoint (corrupt, foreign, or another format version)."""


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The checkpoint dict, checked to be a seqlab checkpoint of the supported format."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:  # weights_only refuses anything but tensors and plain data
        unsafe = re.search(r"GLOBAL (\S+) was not an allowed global", str(err))
        if unsafe:
            raise CheckpointError(
                f"{path}: refused: it names {unsafe.group(1)}, but a checkpoint may hold only tensors and plain "
                "data (loading anything else could run code)"
            ) from None
        reason = re.search(r"WeightsUnpickler error:\s*(.+)", str(err))
        detail = reason.group(1).strip() if reason else str(err).strip().splitlines()[0]
        raise CheckpointError(f"{path}: cannot be read as a checkpoint (UnpicklingError: {detail})") from None
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
    config = meta.get("config")
    if not isinstance(config, dict):
        raise CheckpointError(f"{path}: the 'seqlab' entry holds no config")
    for key, problem in unsafe_targets(config):
        raise CheckpointError(f"{path}: config {key} {problem}")
    return checkpoint


#: The stored-config sections that restoring or evaluating a checkpoint builds, and what every
#: ``_target_`` in each must be: a subclass of this base, from seqlab or a registered plug-in
#: package (:func:`seqlab.registry.component_packages`), or from torch where torch is allowed.
_SECTIONS: dict[str, tuple[type, bool]] = {
    "data": (TokenDataModule, False),
    "embedding": (nn.Module, False),
    "encoder": (nn.Module, False),
    "head": (nn.Module, False),
    "task": (Task, False),
    "optimizer": (torch.optim.Optimizer, True),
    "scheduler": (torch.optim.lr_scheduler.LRScheduler, True),
}


def unsafe_targets(config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(key, problem)`` for each interpolation in ``config`` and each ``_target_`` of the built
    sections that is not an allowed component. Configs are saved resolved, so an interpolation (which
    could make a checked key build something else, or read the environment) is never legitimate."""
    for key, value in _strings(config, "config"):
        if "${" in value:
            yield key, f"holds an interpolation {value[:60]!r}"
    allowed = component_packages()
    for section, (base, torch_allowed) in _SECTIONS.items():
        roots = allowed | {"torch"} if torch_allowed else allowed
        node = config.get(section)
        if node is not None and not isinstance(node, dict):
            yield section, f"is {type(node).__name__}, not a component's settings"
        for key, target_node in target_nodes(node, section):
            problem = _component_problem(target_node["_target_"], base, roots)
            if problem:
                yield (
                    f"{key}._target_",
                    (
                        f"names {target_node['_target_']!r}, which {problem}; a checkpoint may name only seqlab's own "
                        "components and those of registered plug-ins (task plug-ins, and packages in the "
                        "seqlab.components entry-point group)"
                    ),
                )


def _strings(node: Any, key: str) -> Iterator[tuple[str, str]]:
    """``(dotted key, text)`` of every string, keys included, in a plain config tree."""
    if isinstance(node, str):
        yield key, node
    elif isinstance(node, dict):
        for name, child in node.items():
            yield from _strings(str(name), f"{key} (a key)")
            yield from _strings(child, f"{key}.{name}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _strings(child, f"{key}[{i}]")


def _component_problem(target: Any, base: type, roots: set[str]) -> str | None:
    """Why ``target`` is not a class of ``base`` from a package in ``roots`` (``None`` if it is)."""
    if not isinstance(target, str) or "." not in target:
        return "is not a dotted class path"
    if target.split(".")[0] not in roots:
        return f"is not from {' or '.join(sorted(roots))}"
    found = locate(target)
    if found is None:
        return "does not exist in this installation"
    if not (isinstance(found, type) and issubclass(found, base)):
        return f"is not a {base.__module__}.{base.__qualname__}"
    return None


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
