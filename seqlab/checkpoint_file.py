"""Reading a seqlab checkpoint file as data, never code, and checking what its config may build.

A checkpoint is unpickled with ``torch.load(weights_only=True)`` (tensors and plain types only);
its stored config holds no interpolation; and the sections a checkpoint rebuilds may name as
``_target_`` only classes of seqlab and registered plug-ins (:func:`seqlab.registry.component_packages`),
each of the kind its place expects (a module, a task, a data module, an optimiser, a scheduler).
Anything else is a :class:`CheckpointError` before any object is built.

Only torch is imported here: a section's classes are imported when it is checked, so a reader
that rebuilds only the network (:data:`NETWORK_SECTIONS`) never imports Lightning or Hydra.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import torch

from seqlab.errors import SeqlabError
from seqlab.model.build import load_network
from seqlab.model.network import Network
from seqlab.registry import available_tasks, component_packages
from seqlab.spec import DataSpec
from seqlab.targets import locate, target_nodes
from seqlab.version import CHECKPOINT_FORMAT, __version__

#: The seqlab versions that wrote each older checkpoint format.
_WRITTEN_BY = {1: "seqlab 0.1"}


class CheckpointError(SeqlabError, ValueError):
    """A file that is not a usable seqlab checkpoint (corrupt, foreign, or another format version)."""


#: The stored-config sections a checkpoint may build, with the class every ``_target_`` in each
#: must be a subclass of, and whether torch's own classes are allowed there.
SECTIONS: dict[str, tuple[str | tuple[str, ...], bool]] = {
    "data": (
        ("seqlab.data.datamodules.TokenDataModule", "seqlab.data.splits.SplitPlan", "seqlab.data.hub.HubSource"),
        False,
    ),
    "embedding": ("torch.nn.Module", False),
    "encoder": ("torch.nn.Module", False),
    "head": ("torch.nn.Module", False),
    "task": ("seqlab.tasks.base.Task", False),
    "optimizer": ("torch.optim.Optimizer", True),
    "scheduler": ("torch.optim.lr_scheduler.LRScheduler", True),
}

#: The sections that make up the network alone (what a predictor needs).
NETWORK_SECTIONS = ("embedding", "encoder", "head")


def read_checkpoint(path: str | Path, builds: Collection[str] = tuple(SECTIONS)) -> dict[str, Any]:
    """The checkpoint dict, checked to be a seqlab checkpoint of the supported format whose config
    may build the sections ``builds`` (see :func:`unsafe_targets`)."""
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
    for key, problem in unsafe_targets(config, builds):
        raise CheckpointError(f"{path}: config {key} {problem}")
    return upgraded(checkpoint)


#: Where a task keeps its network's weights (``Task.network``).
NETWORK_PREFIX = "network."


def upgraded(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """``checkpoint`` in this seqlab's layout: weights under ``network.`` (0.2 tasks held the
    embedder, encoder and head themselves) and the output named under ``output`` (0.2 called it
    ``prediction_kind``). The one place where stored names are mapped."""
    state = checkpoint.get("state_dict")
    if isinstance(state, dict) and state and not any(k.startswith(NETWORK_PREFIX) for k in state):
        parts = ("embedder.", "encoder.", "head.")
        checkpoint["state_dict"] = {(NETWORK_PREFIX + k if k.startswith(parts) else k): v for k, v in state.items()}
    meta = checkpoint["seqlab"]
    if "output" not in meta:
        meta["output"] = meta.pop("prediction_kind", None)
    return checkpoint


def network_of(checkpoint: dict[str, Any], path: str | Path, head_arguments: dict[str, Any] | None = None) -> Network:
    """The checkpoint's network with its weights, built from its checked config and spec and the
    head arguments it recorded (or ``head_arguments``); sizes are compared before any allocation
    (:func:`seqlab.model.build.load_network`)."""
    meta = checkpoint["seqlab"]
    arguments = meta.get("head_arguments") if head_arguments is None else head_arguments
    if not isinstance(arguments, dict):
        raise CheckpointError(f"{path}: records no head arguments, so its network cannot be rebuilt alone")
    weights = {k[len(NETWORK_PREFIX) :]: v for k, v in checkpoint["state_dict"].items() if k.startswith(NETWORK_PREFIX)}
    try:
        return load_network(meta["config"], DataSpec.from_dict(meta["spec"]), arguments, weights)
    except (TypeError, ValueError, KeyError, RuntimeError) as err:
        first = " ".join(str(err).strip().splitlines()[:2])
        raise CheckpointError(f"{path}: its network cannot be rebuilt from its config ({first})") from None


def unsafe_targets(config: dict[str, Any], builds: Collection[str] = tuple(SECTIONS)) -> Iterator[tuple[str, str]]:
    """``(key, problem)`` for each interpolation in ``config`` and each ``_target_`` that is not an
    allowed component.

    Configs are saved resolved, so an interpolation (which could make a checked key build something
    else, or read the environment) is never legitimate. In the sections of ``builds`` every
    ``_target_`` must be a class of that section's kind from an allowed package (importing it to
    check); elsewhere, where nothing is built, it must come from an allowed package, and a task
    must be a registered one, which needs no import.
    """
    for key, value in _strings(config, "config"):
        if "${" in value:
            yield key, f"holds an interpolation {value[:60]!r}"
    allowed = component_packages()
    registered_tasks = {entry.target for entry in available_tasks().values()}
    for section, (base, torch_allowed) in SECTIONS.items():
        roots = allowed | {"torch"} if torch_allowed else allowed
        node = config.get(section)
        if node is not None and not isinstance(node, dict):
            yield section, f"is {type(node).__name__}, not a component's settings"
        for key, target_node in target_nodes(node, section):
            target = target_node["_target_"]
            shallow = section not in builds and (section != "task" or target in registered_tasks)
            problem = _package_problem(target, roots)
            if problem is None and not shallow:
                problem = _class_problem(target, base)
            if problem:
                yield (
                    f"{key}._target_",
                    (
                        f"names {target!r}, which {problem}; a checkpoint may name only seqlab's own components "
                        "and those of registered plug-ins (task plug-ins, and packages in the seqlab.components "
                        "entry-point group)"
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


def _package_problem(target: Any, roots: set[str]) -> str | None:
    """Why ``target`` is not a dotted path into a package of ``roots`` (``None`` if it is)."""
    if not isinstance(target, str) or "." not in target:
        return "is not a dotted class path"
    if target.split(".")[0] not in roots:
        return f"is not from {' or '.join(sorted(roots))}"
    return None


def _class_problem(target: str, base_paths: str | tuple[str, ...]) -> str | None:
    """Why the object ``target`` names is not a subclass of one of ``base_paths`` (``None`` if it is)."""
    found = locate(target)
    if found is None:
        return "does not exist in this installation"
    bases = (base_paths,) if isinstance(base_paths, str) else base_paths
    if not (isinstance(found, type) and issubclass(found, tuple(locate(b) for b in bases))):
        return f"is not a {' or '.join(bases)}"
    return None
