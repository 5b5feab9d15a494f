"""``train(cfg)``: the whole job as a plain function (the CLI only wraps it; tests call it directly).

This is the edge where config becomes objects: every part is built here from its ``_target_``
and handed, as plain typed arguments, to the next.
"""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Sequence

import pytorch_lightning as pl
import torch
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf

from seqlab.data.spec import DataSpec
from seqlab.distributed import DDPStrategy, gather_dict, prepare_workers, release_workers
from seqlab.registry import available_tasks, task_owner
from seqlab.tasks.base import Task

log = logging.getLogger(__name__)


def build(node: DictConfig, **kwargs: Any) -> Any:
    """Instantiate ``node`` (a ``_target_`` config) with extra Python-object arguments."""
    return instantiate(node, _partial_=True)(**kwargs)


def build_task(cfg: DictConfig, spec: DataSpec, pretrained: torch.Tensor | None = None) -> Task:
    """Embedder -> encoder -> head -> task, each sized from the previous part's ``output_dim``.

    ``pretrained`` holds the word vectors the data module read for ``embedding.pretrained``.
    """
    task_class = task_class_of(cfg)
    embedder = build(
        cfg.embedding, word_vocab_size=spec.word_vocab_size, char_vocab_size=spec.char_vocab_size,
        train_word_vocab_size=spec.train_word_vocab_size, pretrained=pretrained,
    )
    encoder = build(cfg.encoder, input_dim=embedder.output_dim)
    head = build(cfg.head, input_dim=encoder.output_dim, **task_class.head_arguments(spec))
    scheduler = instantiate(cfg.scheduler) if cfg.get("scheduler") else None
    return build(
        cfg.task, spec=spec, embedder=embedder, encoder=encoder, head=head,
        optimizer=instantiate(cfg.optimizer), scheduler=scheduler,
    )


class TaskConfigError(ValueError):
    """A task config that cannot build a task: no ``task._target_``, or a class that does not import."""


def task_class_of(cfg: DictConfig) -> type[Task]:
    """The class named by ``task._target_``; errors name the task's provider and the key."""
    target = cfg.task.get("_target_") if cfg.get("task") is not None else None
    if not target:
        raise TaskConfigError(f"{_chosen_task()}: its config has no task._target_ (the Task class to build); "
                              "add `task: {_target_: package.module.TaskClass}` to its conf/task/<name>.yaml")
    try:
        task_class = get_class(target)
    except Exception as err:  # Hydra wraps import errors of every kind
        raise TaskConfigError(f"{task_owner(target)}: task._target_ {target!r} cannot be imported "
                              f"({type(err).__name__}: {str(err).splitlines()[0]})") from None
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

    ``strategy: ddp`` becomes seqlab's :class:`~seqlab.distributed.DDPStrategy` (safe under Hydra
    sweeps); any other strategy name or ``_target_`` goes to Lightning as given.
    """
    callbacks = [instantiate(c) for c in (cfg.get("callbacks") or {}).values() if c is not None]
    loggers = [instantiate(c) for c in (cfg.get("logger") or {}).values() if c is not None]
    extra: dict[str, Any] = {}
    if cfg.trainer.get("strategy") == "ddp":
        extra["strategy"] = DDPStrategy()
    return build(cfg.trainer, callbacks=callbacks, logger=loggers or False, **extra)


def train(cfg: DictConfig) -> dict[str, Any]:
    """Train, select the best checkpoint on dev, test it and write reports; returns the metrics."""
    started = time.perf_counter()
    out_dir = Path(cfg.paths.output_dir)
    pl.seed_everything(cfg.seed, workers=True)

    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")
    spec = datamodule.spec
    log.info("data: %s | labels: %s | words: %d | chars: %d", datamodule.dir, " ".join(spec.labels),
             spec.word_vocab_size, spec.char_vocab_size)

    task = build_task(cfg, spec, datamodule.pretrained_weights)
    tokenizers = {"word": datamodule.word_tokenizer.to_str(), "char": datamodule.char_tokenizer.to_str()}
    task.checkpoint_extras = {"config": OmegaConf.to_container(cfg, resolve=True), "tokenizers": tokenizers}
    log.info("model: %d trainable parameters\n%s", count_parameters(task), task)

    trainer = build_trainer(cfg)
    prepare_workers(trainer, cfg, out_dir)
    try:
        results = _fit_and_test(trainer, task, datamodule, cfg.get("ckpt_path"), out_dir)
    finally:
        release_workers(trainer)
    results["wall_time_s"] = round(time.perf_counter() - started, 1)
    results.update(peak_memory_mb())
    if trainer.is_global_zero:
        (out_dir / "results.json").write_text(json.dumps(results, indent=2))
        log.info("results: %s", json.dumps(results))
        log.info("outputs in %s", out_dir)
    return results


def _fit_and_test(trainer: pl.Trainer, task: Task, datamodule: Any, ckpt_path: str | None, out_dir: Path) -> dict:
    """Fit (every rank), test the best checkpoint and write reports (rank 0)."""
    trainer.fit(task, datamodule=datamodule, ckpt_path=ckpt_path)
    if trainer.is_global_zero:
        _save_tokenizers(out_dir / "tokenizers", datamodule)
    checkpoint = trainer.checkpoint_callback
    best = checkpoint.best_model_path if checkpoint is not None and checkpoint.best_model_path else None

    results: dict[str, Any] = {
        "best_checkpoint": best,
        "epochs": trainer.current_epoch,
        f"val/{task.selection_metric}_best": float(task.best_val_score),
    }
    if "test" in datamodule.encoded:
        tested = trainer.test(task, datamodule=datamodule, ckpt_path=best, verbose=False)[0]
        results.update({k: float(v) for k, v in tested.items()})
        task.test_predictions = gather_dict(task.test_predictions)  # each rank predicted its share
        if trainer.is_global_zero:
            print(_write_report(task, datamodule.datasets["test"], out_dir / "reports"), flush=True)
    return results


def _write_report(task: Task, dataset: Any, out_dir: Path) -> str:
    """The task's report on the test rows it predicted (all of them unless batches were limited)."""
    rows = sorted(task.test_predictions)
    if len(rows) < len(dataset):
        log.warning("the report covers %d of %d test rows (test batches were limited)", len(rows), len(dataset))
        dataset = dataset.select(rows)
    return task.write_test_report(dataset, [task.test_predictions[i] for i in rows], out_dir)


def peak_memory_mb() -> dict[str, float]:
    """This process's peak resident memory and, on CUDA, peak GPU memory allocated by torch (MiB)."""
    import resource

    peak = {"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        peak["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return peak


def count_parameters(module: pl.LightningModule) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _save_tokenizers(folder: Path, datamodule: Any) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    datamodule.word_tokenizer.save(str(folder / "word.json"))
    datamodule.char_tokenizer.save(str(folder / "char.json"))


def evaluate(ckpt_path: str, out_dir: str | Path, data_overrides: Sequence[str] = (), accelerator: str = "cpu") -> dict:
    """Test a checkpoint on labelled data and write the task's full report under ``out_dir``.

    The data module is the checkpoint's own, with ``data_overrides`` (``"data.dir=/my/conll"``,
    Hydra override syntax) applied on top; only its test file is read, with the checkpoint's
    vocabularies and labels, so no training data is needed.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from seqlab.checkpoint import read_checkpoint, restore

    out_dir = Path(out_dir)
    model = restore(read_checkpoint(ckpt_path))
    config = model.config
    config.data.dev_file = None
    for override in OverridesParser.create().parse_overrides(list(data_overrides)):
        if not override.key_or_group.startswith("data."):
            raise ValueError(f"evaluate takes data.* overrides only, got {override.input_line!r}")
        OmegaConf.update(config, override.key_or_group, override.value(), merge=False)
    datamodule = build(config.data, pretrained=None)
    datamodule.use_vocabularies(model.word_tokenizer, model.char_tokenizer, model.spec)
    datamodule.setup("test")
    trainer = pl.Trainer(accelerator=accelerator, devices=1, logger=False, enable_checkpointing=False,
                         default_root_dir=str(out_dir), enable_model_summary=False)
    results = {k: float(v) for k, v in trainer.test(model.task, datamodule=datamodule, verbose=False)[0].items()}
    print(_write_report(model.task, datamodule.datasets["test"], out_dir / "reports"), flush=True)
    results.update({"checkpoint": str(ckpt_path), "test_file": str(datamodule.path("test"))})
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2))
    log.info("results: %s", json.dumps(results))
    return results
