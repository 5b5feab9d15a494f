"""Config to objects at the edge: data modules, tasks and trainers, from Hydra configs.

The network inside a task is built by :func:`seqlab.model.build.build_network` (no Hydra), which
the predictors and checkpoint restore call too; what comes from the data (the
:class:`~seqlab.spec.DataSpec`, the initial word vectors) is passed as plain arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytorch_lightning as pl
import torch
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import ProgressBar

from seqlab.console import progress_bar_wanted
from seqlab.data.datamodules import TokenDataModule
from seqlab.data.vocabulary import PartSettings, moved_setting_message
from seqlab.errors import ConfigError, SeqlabError
from seqlab.model.build import build_network, is_part
from seqlab.model.network import Network
from seqlab.registry import available_tasks, task_owner
from seqlab.spec import DataSpec
from seqlab.tasks.base import Task
from seqlab.training.distributed import DDPStrategy


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


def build_task(cfg: DictConfig, spec: DataSpec, vectors: torch.Tensor | None = None) -> Task:
    """The task of ``cfg`` around a new network (:func:`~seqlab.model.build.build_network`).

    ``vectors`` holds the initial word vectors the data module read for ``embedding.word.pretrained``.
    """
    task_class = task_class_of(cfg)
    config = cast(dict, OmegaConf.to_container(cfg, resolve=True))
    network = build_network(config, spec, task_class.head_arguments(spec), vectors)
    return task_around(cfg, spec, network)


def task_around(cfg: DictConfig, spec: DataSpec, network: Network) -> Task:
    """The task of ``cfg`` (optimiser and schedule included) training ``network``."""
    scheduler = instantiate(cfg.scheduler) if cfg.get("scheduler") else None
    return build(cfg.task, spec=spec, network=network, optimizer=instantiate(cfg.optimizer), scheduler=scheduler)


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

    ``strategy: ddp`` becomes seqlab's :class:`~seqlab.training.distributed.DDPStrategy` (safe under Hydra
    sweeps); any other strategy name or ``_target_`` goes to Lightning as given.
    """
    callbacks = [instantiate(c) for c in (cfg.get("callbacks") or {}).values() if c is not None]
    for node in (cfg.get("logger") or {}).values():  # an SQLite store (MLflow's) needs its folder to exist
        uri = node.get("tracking_uri") if node is not None else None
        if isinstance(uri, str) and uri.startswith("sqlite:///"):
            Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    loggers = [instantiate(c) for c in (cfg.get("logger") or {}).values() if c is not None]
    extra: dict[str, Any] = {"enable_progress_bar": progress_bar_wanted(cfg.trainer.get("enable_progress_bar"))}
    if not extra["enable_progress_bar"]:  # Lightning refuses a progress-bar callback with the bar off
        callbacks = [c for c in callbacks if not isinstance(c, ProgressBar)]
    if isinstance(cfg.trainer.get("max_time"), DictConfig):  # {hours: 2}: Lightning's Timer reads a plain dict
        extra["max_time"] = OmegaConf.to_container(cfg.trainer.max_time)
    if cfg.trainer.get("strategy") == "ddp":
        extra["strategy"] = DDPStrategy()
    return build(cfg.trainer, callbacks=callbacks, logger=loggers or False, **extra)
