"""Reading a seqlab checkpoint file as data, never code, and checking what its config names.

:func:`read_checkpoint` is the one loader of every road that opens a checkpoint (prediction,
evaluation, export, ``seqlab-info``, serving, and resuming training: Lightning loads through
:class:`seqlab.training.checkpoint.AtomicCheckpointIO`, which calls it). A checkpoint is unpickled with
``torch.load(weights_only=True)`` (tensors and plain types only); its stored config holds no
interpolation anywhere; and every ``_target_`` anywhere in it names a class of seqlab or of a
registered plug-in (:func:`seqlab.registry.component_packages`), or of the one outside package
its section legitimately uses (:data:`SECTIONS`: torch for the optimiser and scheduler,
pytorch_lightning for callbacks, loggers and the trainer), each of the kind its place expects.
Anything else is a :class:`CheckpointError` before any object is built.

Only torch is imported here: a section's classes are imported when it is checked deeply, which
is done for the sections a reader builds (``builds``); the others are checked by package name
alone, so a reader that rebuilds only the network (:data:`NETWORK_SECTIONS`) never imports
Lightning or Hydra.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import torch

from seqlab.data.vocabulary import without_moved_settings
from seqlab.errors import SeqlabError
from seqlab.model.build import load_network
from seqlab.model.network import Network
from seqlab.registry import available_tasks, component_packages
from seqlab.spec import DataSpec
from seqlab.targets import locate, target_nodes
from seqlab.version import CHECKPOINT_FORMAT, READABLE_FORMATS, __version__

#: The seqlab versions that wrote each older checkpoint format.
_WRITTEN_BY = {1: "seqlab 0.1"}


class CheckpointError(SeqlabError, ValueError):
    """A file that is not a usable seqlab checkpoint (corrupt, foreign, or another format version)."""


class Section(NamedTuple):
    """What a stored-config section may name as ``_target_``."""

    #: Classes every ``_target_`` in the section must be a subclass of (one of them).
    kinds: tuple[str, ...]
    #: Packages besides seqlab's and registered plug-ins' that the section may name.
    packages: tuple[str, ...] = ()
    #: Kinds of the section's own node (``trainer._target_``), where they differ from its parts'.
    top: tuple[str, ...] = ()


_LIGHTNING = ("pytorch_lightning",)

#: The stored-config sections with a known kind, by name. A section that is not here (``paths``,
#: anything a plug-in adds) may name only seqlab's and registered plug-ins' packages, and is never
#: built. Lightning's classes are named by their ``pytorch_lightning`` paths (the package seqlab
#: trains with; ``lightning.pytorch``'s classes are other classes, which its Trainer refuses).
SECTIONS: dict[str, Section] = {
    "data": Section(
        ("seqlab.data.datamodules.TokenDataModule", "seqlab.data.splits.SplitPlan", "seqlab.data.hub.HubSource")
    ),
    # The parts, and a transformer's vector cache (never built from a checkpoint: restore_arguments).
    "embedding": Section(("torch.nn.Module", "seqlab.modules.vector_cache.VectorCache")),
    "encoder": Section(("torch.nn.Module",)),
    "head": Section(("torch.nn.Module",)),
    "task": Section(("seqlab.tasks.base.Task",)),
    "optimizer": Section(("torch.optim.Optimizer",), ("torch",)),
    "scheduler": Section(("torch.optim.lr_scheduler.LRScheduler",), ("torch",)),
    "callbacks": Section(("pytorch_lightning.callbacks.Callback",), _LIGHTNING),
    "logger": Section(("pytorch_lightning.loggers.Logger",), _LIGHTNING),
    # The Trainer itself, and the parts its arguments take: strategy, accelerator, plugins, profiler.
    "trainer": Section(
        (
            "pytorch_lightning.strategies.Strategy",
            "pytorch_lightning.accelerators.Accelerator",
            "pytorch_lightning.plugins.CheckpointIO",
            "pytorch_lightning.plugins.Precision",
            "pytorch_lightning.plugins.environments.ClusterEnvironment",
            "pytorch_lightning.plugins.LayerSync",
            "pytorch_lightning.profilers.Profiler",
        ),
        _LIGHTNING,
        top=("pytorch_lightning.Trainer",),
    ),
}

#: The sections that make up the network alone (what a predictor needs).
NETWORK_SECTIONS = ("embedding", "encoder", "head")


def read_checkpoint(
    path: str | Path, builds: Collection[str] = tuple(SECTIONS), map_location: Any = "cpu"
) -> dict[str, Any]:
    """The checkpoint dict, checked to be a seqlab checkpoint of the supported format whose config
    may build the sections ``builds`` and names nothing else it may not (see :func:`unsafe_targets`).

    Weights only, always: ``map_location`` is passed to ``torch.load`` (tensors on the CPU by default).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:  # weights_only refuses anything but tensors and plain data
        unsafe = re.search(r"GLOBAL (\S+)", str(err))
        if unsafe:
            raise CheckpointError(
                f"{path}: refused: it names {unsafe.group(1)}, but a checkpoint may hold only tensors and plain "
                f"data (loading anything else could run code); {REFUSAL_ADVICE}"
            ) from None
        reason = re.search(r"WeightsUnpickler error:\s*(.+)", str(err))
        detail = reason.group(1).strip() if reason else torch_reason(err)
        raise CheckpointError(f"{path}: cannot be read as a checkpoint (UnpicklingError: {detail})") from None
    except Exception as err:  # torch raises several types for truncated or foreign files
        raise CheckpointError(
            f"{path}: cannot be read as a checkpoint ({type(err).__name__}: {torch_reason(err)})"
        ) from None
    meta = checkpoint.get("seqlab") if isinstance(checkpoint, dict) else None
    if meta is None:
        raise CheckpointError(f"{path}: not a seqlab checkpoint (no 'seqlab' entry)")
    found = meta.get("format")
    if found not in READABLE_FORMATS:
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
    for key, problem in not_plain(config, "config"):
        raise CheckpointError(f"{path}: {key} {problem}")
    for key, problem in not_plain(meta.get(PART_RECORDS, {}), PART_RECORDS):
        raise CheckpointError(f"{path}: {key} {problem}")
    for key, problem in unsafe_targets(with_moved_targets(config), builds):
        raise CheckpointError(f"{path}: config {key} {problem}")
    return upgraded(checkpoint)


#: What to do with a refused checkpoint: never to load it with a loader that runs code.
REFUSAL_ADVICE = (
    "if seqlab wrote it, re-export it with this seqlab (or train it again); otherwise load only files "
    "from a source you trust"
)


def torch_reason(err: BaseException) -> str:
    """The first line of torch's error that says what is wrong with the file, leaving out torch's
    advice to load it unsafely (``weights_only``): a user must never do that with an untrusted file."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    kept = [line for line in lines if "weights_only" not in line and not line.startswith("Check the documentation")]
    return kept[0] if kept else "it holds something other than tensors and plain data"


#: Modules of earlier seqlab versions whose classes a stored config may name, by where they are now
#: (``seqlab.train`` became ``seqlab.training`` when ``seqlab.train`` became the Python training API).
MOVED_MODULES = {
    "seqlab.callbacks": "seqlab.training.callbacks",
    "seqlab.checkpoint": "seqlab.training.checkpoint",
    "seqlab.distributed": "seqlab.training.distributed",
    "seqlab.optim": "seqlab.training.optim",
    "seqlab.sweep": "seqlab.training.sweep",
    "seqlab.train.callbacks": "seqlab.training.callbacks",
    "seqlab.train.checkpoint": "seqlab.training.checkpoint",
    "seqlab.train.distributed": "seqlab.training.distributed",
    "seqlab.train.optim": "seqlab.training.optim",
    "seqlab.train.sweep": "seqlab.training.sweep",
}


def with_moved_targets(node: Any) -> Any:
    """``node`` (a stored config, changed in place) with each ``_target_`` in a module that moved
    since it was written (:data:`MOVED_MODULES`) naming the class where it is now."""
    for _, target_node in target_nodes(node):
        target = target_node["_target_"]
        module, _, name = target.rpartition(".") if isinstance(target, str) else ("", "", "")
        if module in MOVED_MODULES:
            target_node["_target_"] = f"{MOVED_MODULES[module]}.{name}"
    return node


#: Where a task keeps its network's weights (``Task.network``).
NETWORK_PREFIX = "network."

#: The entry of a checkpoint's ``seqlab`` section that keeps what embedding parts read from outside
#: their config, by part name (:meth:`seqlab.modules.embedder.EmbeddingPart.source_record`).
PART_RECORDS = "part_records"


def not_plain(node: Any, key: str) -> Iterator[tuple[str, str]]:
    """``(key, problem)`` for each value of a stored config that is not JSON-like (a dict with string
    or integer keys, a list, a string, a number, a boolean or null): a resolved config holds nothing else, and
    the checks of :func:`unsafe_targets` walk only those (a tuple would hide a ``_target_``)."""
    if isinstance(node, dict):
        for name, child in node.items():
            if not isinstance(name, (str, int)):  # numbered keys occur (a transformer's id2label)
                yield f"{key} (a key)", f"is a {type(name).__name__}, not a string"
            else:
                yield from not_plain(child, f"{key}.{name}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from not_plain(child, f"{key}[{i}]")
    elif not (node is None or isinstance(node, (str, bool, int, float))):
        yield key, f"is a {type(node).__name__}; a stored config holds only mappings, lists, strings, numbers and null"


def upgraded(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """``checkpoint`` in this seqlab's layout. Format 2 (seqlab 0.2) is mapped: weights under
    ``network.`` (0.2 tasks held the embedder, encoder and head themselves, in the weights and in a
    weight-averaging callback's copy), the output named under ``output`` (0.2 called it
    ``prediction_kind``; a task that recorded none names its registered class's), and no ``data``
    copies of the parts' settings (the word part's config holds the vectors, the spec
    ``max_chars``), and what parts recorded of their sources (0.2 wrote a transformer's
    architecture and tokenizer into its config, as ``recorded``) under :data:`PART_RECORDS`. The
    one place where stored names are mapped."""
    meta = checkpoint["seqlab"]
    if meta.get("format") == CHECKPOINT_FORMAT:
        return checkpoint
    for entry in ("state_dict", "current_model_state"):
        state = checkpoint.get(entry)
        if isinstance(state, dict):
            parts = ("embedder.", "encoder.", "head.")
            checkpoint[entry] = {(NETWORK_PREFIX + k if k.startswith(parts) else k): v for k, v in state.items()}
    if "output" not in meta:
        meta["output"] = meta.pop("prediction_kind", None)
    if meta["output"] is None or "head_arguments" not in meta:  # a 0.2 plug-in task: its class says
        task = (meta["config"].get("task") or {}).get("_target_")
        if task in {entry.target for entry in available_tasks().values()}:
            task_class = locate(task)  # registered, so its package may be imported
            meta["output"] = meta["output"] or getattr(task_class, "output_name", None)
            meta.setdefault("head_arguments", task_class.head_arguments(DataSpec.from_dict(meta["spec"])))
    meta["format"] = CHECKPOINT_FORMAT
    config = meta["config"]
    if isinstance(config.get("data"), dict):  # 0.2 kept copies of the word and character settings there
        config["data"] = without_moved_settings(config["data"])
    embedding = config.get("embedding")
    if isinstance(embedding, dict):  # 0.2 parts wrote their sources into their config, as `recorded`
        moved = [name for name, node in embedding.items() if isinstance(node, dict) and "recorded" in node]
        records = {name: embedding[name].pop("recorded") for name in moved}
        meta[PART_RECORDS] = {**records, **meta.get(PART_RECORDS, {})}
    return checkpoint


def network_of(
    checkpoint: dict[str, Any], path: str | Path, spec: DataSpec, head_arguments: dict[str, Any] | None = None
) -> Network:
    """The checkpoint's network with its weights, built from its checked config, its ``spec`` (read
    once by the caller) and the head arguments it recorded (or ``head_arguments``); sizes are
    compared before any allocation (:func:`seqlab.model.build.load_network`)."""
    meta = checkpoint["seqlab"]
    arguments = meta.get("head_arguments") if head_arguments is None else head_arguments
    if not isinstance(arguments, dict):
        raise CheckpointError(f"{path}: records no head arguments, so its network cannot be rebuilt alone")
    state = checkpoint.get("state_dict")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: its 'state_dict' is not a mapping of names to tensors")
    weights = {k[len(NETWORK_PREFIX) :]: v for k, v in state.items() if k.startswith(NETWORK_PREFIX)}
    records = meta.get(PART_RECORDS, {})
    if not isinstance(records, dict):
        raise CheckpointError(f"{path}: its {PART_RECORDS!r} entry is not a mapping of part names")
    try:
        return load_network(meta["config"], spec, arguments, weights, records)
    except (TypeError, ValueError, KeyError, RuntimeError) as err:
        first = " ".join(str(err).strip().splitlines()[:2])
        raise CheckpointError(f"{path}: its network cannot be rebuilt from its config ({first})") from None


def unsafe_targets(config: dict[str, Any], builds: Collection[str] = tuple(SECTIONS)) -> Iterator[tuple[str, str]]:
    """``(key, problem)`` for each interpolation in ``config`` and each ``_target_``, anywhere in
    it, that is not an allowed component.

    Configs are saved resolved, so an interpolation (which could make a checked key build something
    else, or read the environment) is never legitimate. Every ``_target_`` must come from seqlab, a
    registered plug-in, or the package its section may also use (:data:`SECTIONS`). In the sections
    of ``builds`` it must also be a class of that section's kind (importing it to check); elsewhere,
    where nothing is built, the package is checked by name, which needs no import, and a task must
    be a registered one.
    """
    for key, value in _strings(config, ""):
        if "${" in value:
            yield key, f"holds an interpolation {value[:60]!r}"
    allowed = component_packages()
    registered_tasks = {entry.target for entry in available_tasks().values()}
    if "_target_" in config:  # the config itself is never built
        yield from _refused("_target_", config["_target_"], _package_problem(config["_target_"], allowed), None)
    for section, node in config.items():
        kind = SECTIONS.get(str(section))
        if kind is not None and node is not None and not isinstance(node, dict):
            yield str(section), f"is {type(node).__name__}, not a component's settings"
        roots = allowed | set(kind.packages) if kind else allowed
        for key, target_node in target_nodes(node, str(section)):
            target = target_node["_target_"]
            problem = _package_problem(target, roots)
            deep = kind is not None and (section in builds or (section == "task" and target not in registered_tasks))
            if problem is None and deep:
                assert kind is not None
                problem = _class_problem(target, kind.top if key == section and kind.top else kind.kinds)
            if problem:
                yield from _refused(f"{key}._target_", target, problem, str(section) if kind else None)


def _refused(key: str, target: Any, problem: str | None, section: str | None) -> Iterator[tuple[str, str]]:
    """The refusal of ``key`` naming ``target``, if there is a ``problem``."""
    if problem:
        packages = SECTIONS[section].packages if section else ()
        also = f", and in {section} {' and '.join(f'{p} classes' for p in packages)}" if packages else ""
        yield (
            key,
            f"names {target!r}, which {problem}; a checkpoint may name only seqlab's own components and those of "
            f"registered plug-ins (task plug-ins, and packages in the seqlab.components entry-point group){also}",
        )


def _strings(node: Any, key: str) -> Iterator[tuple[str, str]]:
    """``(dotted key, text)`` of every string, keys included, in a plain config tree."""
    if isinstance(node, str):
        yield key, node
    elif isinstance(node, dict):
        for name, child in node.items():
            dotted = f"{key}.{name}" if key else str(name)
            yield from _strings(str(name), f"{dotted} (a key)")
            yield from _strings(child, dotted)
    elif isinstance(node, (list, tuple)):
        for i, child in enumerate(node):
            yield from _strings(child, f"{key}[{i}]")


def _package_problem(target: Any, roots: set[str]) -> str | None:
    """Why ``target`` is not a dotted path into a package of ``roots`` (``None`` if it is)."""
    if not isinstance(target, str) or "." not in target:
        return "is not a dotted class path"
    if target.split(".")[0] not in roots:
        return f"is not from {' or '.join(sorted(roots))}"
    return None


def _class_problem(target: str, bases: tuple[str, ...]) -> str | None:
    """Why the object ``target`` names is not a subclass of one of ``bases`` (``None`` if it is)."""
    found = locate(target)
    if found is None:
        return "does not exist in this installation"
    if not (isinstance(found, type) and issubclass(found, tuple(locate(b) for b in bases))):
        return f"is not a {' or '.join(bases)}"
    return None
