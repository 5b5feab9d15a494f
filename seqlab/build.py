"""Config to objects: the one place where data modules, models and trainers are built.

``seqlab-train`` and checkpoint restore both build through here, each part from its
``_target_``, sized from the previous part's ``output_dim``; what comes from the data (the
:class:`~seqlab.spec.DataSpec`, the initial word vectors) is passed as plain arguments.
"""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig
from pytorch_lightning.callbacks import ProgressBar

from seqlab.console import progress_bar_wanted
from seqlab.data.datamodules import TokenDataModule
from seqlab.data.vocabulary import PartSettings, moved_setting_message
from seqlab.distributed import DDPStrategy
from seqlab.errors import ConfigError, SeqlabError
from seqlab.modules.embedder import TokenEmbedder
from seqlab.registry import available_tasks, task_owner
from seqlab.spec import DataSpec
from seqlab.targets import accepted_arguments
from seqlab.tasks.base import Task


def build(node: DictConfig, **kwargs: Any) -> Any:
    """Instantiate ``node`` (a ``_target_`` config) with extra Python-object arguments."""
    return instantiate(node, _partial_=True)(**kwargs)


def build_datamodule(cfg: DictConfig) -> TokenDataModule:
    """The data module of ``cfg.data``, given what the embedding parts of ``cfg.embedding`` ask of
    the data (:class:`~seqlab.data.vocabulary.PartSettings`: the part declaring ``pretrained`` sets
    the word vocabulary and its vectors, the part declaring ``max_chars`` the characters kept)."""
    for key in cfg.data:  # a setting that moved to its embedding part (data.max_chars=30)
        moved = moved_setting_message(str(key), cfg.data.get(key))
        if moved:
            raise ConfigError(moved)
    embedding = cfg.get("embedding") or {}
    parts = {str(name): node for name, node in embedding.items() if is_part(node)}
    datamodule = build(cfg.data, part_settings=PartSettings.from_parts(parts))  # outside Hydra: errors unwrapped
    if not isinstance(datamodule, TokenDataModule):
        raise TypeError(f"data._target_ {cfg.data.get('_target_')!r} is not a seqlab TokenDataModule")
    return datamodule


def is_part(node: Any) -> bool:
    """Whether an ``embedding`` entry is a part (a config with a ``_target_``)."""
    return isinstance(node, DictConfig) and "_target_" in node


def build_part(node: DictConfig, **available: Any) -> Any:
    """Instantiate an embedding part, passing those of ``available`` (``spec``, ``pretrained``)
    that its constructor takes, as AllenNLP passes ``vocab`` to the parts that ask for it."""
    return instantiate(node, _partial_=True)(**accepted_arguments(get_class(node._target_), available))


def build_embedder(node: DictConfig, spec: DataSpec, pretrained: torch.Tensor | None = None) -> TokenEmbedder:
    """The token embedder: every entry of ``node`` with a ``_target_`` is a part, built in order."""
    parts = {  # the data module reads embedding.word.pretrained: those rows are for the word part
        name: build_part(sub, spec=spec, **({"pretrained": pretrained} if name == "word" else {}))
        for name, sub in node.items()
        if is_part(sub)
    }
    settings = {name: value for name, value in node.items() if not is_part(value) and value is not None}
    embedder = build(DictConfig(settings), parts=parts)
    if spec.feature_columns and "features" not in embedder.featurizers():
        columns = ",".join(map(str, spec.feature_columns))
        raise ConfigError(
            f"data.feature_columns=[{columns}] reads feature columns, but no embedding part uses them: add "
            "+embedding/features=default (or drop data.feature_columns)"
        )
    return embedder


def build_task(cfg: DictConfig, spec: DataSpec, pretrained: torch.Tensor | None = None) -> Task:
    """Embedder -> encoder -> head -> task, each sized from the previous part's ``output_dim``.

    ``pretrained`` holds the word vectors the data module read for ``embedding.word.pretrained``.
    """
    task_class = task_class_of(cfg)
    embedder = build_embedder(cfg.embedding, spec, pretrained)
    encoder = build(cfg.encoder, input_dim=embedder.output_dim)
    head = build(cfg.head, input_dim=encoder.output_dim, **task_class.head_arguments(spec))
    scheduler = instantiate(cfg.scheduler) if cfg.get("scheduler") else None
    return build(
        cfg.task,
        spec=spec,
        embedder=embedder,
        encoder=encoder,
        head=head,
        optimizer=instantiate(cfg.optimizer),
        scheduler=scheduler,
    )


class TaskConfigError(SeqlabError, ValueError):
    """A task config that cannot build a task: no ``task._target_``, or a class that does not import."""


def task_class_of(cfg: DictConfig) -> type[Task]:
    """The class named by ``task._target_``; errors name the task's provider and the key."""
    target = cfg.task.get("_target_") if cfg.get("task") is not None else None
    if not target:
        raise TaskConfigError(
            f"{_chosen_task()}: its config has no task._target_ (the Task class to build); "
            "add `task: {_target_: package.module.TaskClass}` to its conf/task/<name>.yaml"
        )
    try:
        task_class = get_class(target)
    except Exception as err:  # Hydra wraps import errors of every kind
        raise TaskConfigError(
            f"{task_owner(target)}: task._target_ {target!r} cannot be imported "
            f"({type(err).__name__}: {str(err).splitlines()[0]})"
        ) from None
    if not (isinstance(task_class, type) and issubclass(task_class, Task)):
        raise TaskConfigError(f"{task_owner(target)}: task._target_ {target!r} is not a seqlab Task subclass")
    return task_class


def _chosen_task() -> str:
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        name = HydraConfig.get().runtime.choices.get("task")
        if name:
            entry = available_tasks().get(name)
            return f"task {name!r}" + (f" (package {entry.distribution})" if entry else "")
    return "the task"


def build_trainer(cfg: DictConfig) -> pl.Trainer:
    """The Lightning Trainer with the configured callbacks and loggers.

    ``trainer.enable_progress_bar: null`` shows the progress bar only when the console is a terminal.

    ``strategy: ddp`` becomes seqlab's :class:`~seqlab.distributed.DDPStrategy` (safe under Hydra
    sweeps); any other strategy name or ``_target_`` goes to Lightning as given.
    """
    callbacks = [instantiate(c) for c in (cfg.get("callbacks") or {}).values() if c is not None]
    loggers = [instantiate(c) for c in (cfg.get("logger") or {}).values() if c is not None]
    extra: dict[str, Any] = {"enable_progress_bar": progress_bar_wanted(cfg.trainer.get("enable_progress_bar"))}
    if not extra["enable_progress_bar"]:  # Lightning refuses a progress-bar callback with the bar off
        callbacks = [c for c in callbacks if not isinstance(c, ProgressBar)]
    if cfg.trainer.get("strategy") == "ddp":
        extra["strategy"] = DDPStrategy()
    return build(cfg.trainer, callbacks=callbacks, logger=loggers or False, **extra)
