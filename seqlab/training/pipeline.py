"""``train(cfg)`` and ``evaluate(...)``: whole jobs as plain functions (the CLI only wraps them;
tests call them directly). Objects come from :mod:`seqlab.training.build`."""

from __future__ import annotations

import json
import logging
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytorch_lightning as pl
import torch
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.utilities.exceptions import SIGTERMException
from pytorch_lightning.utilities.rank_zero import rank_zero_only

from seqlab.console import library_bars_only_on_a_terminal, progress_bar_wanted, quiet_libraries
from seqlab.data.datamodules import TokenDataModule
from seqlab.errors import ConfigError
from seqlab.predict.checkpoint_file import PART_RECORDS
from seqlab.registry import task_owner
from seqlab.signals import Interrupted, StopSignals, signal_name
from seqlab.spec import DataSpec
from seqlab.tasks.base import Task
from seqlab.threads import choose_threads
from seqlab.training.build import build_datamodule, build_task, build_trainer
from seqlab.training.checkpoint import loads_checked, read_checkpoint, record_test_metrics, restore
from seqlab.training.config_check import check_config
from seqlab.training.distributed import gather_dict, prepare_workers, release_workers
from seqlab.training.interrupt import TrainingInterrupted, interruption, run_overrides
from seqlab.training.stopping import stop_reason
from seqlab.writable import check_writable_folder

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> dict[str, Any]:
    """Train, select the best checkpoint on dev, test it and write reports; returns the metrics.

    SIGINT and SIGTERM stop it after the current step with ``last.ckpt`` written
    (:mod:`seqlab.training.interrupt`); it then writes ``results.json`` saying so and raises
    :class:`~seqlab.training.interrupt.TrainingInterrupted`.
    """
    started = time.perf_counter()
    check_config(cfg)  # every key against the constructor it is for, before any file is read
    if not cfg.get("library_logs", False):
        quiet_libraries()
    library_bars_only_on_a_terminal()
    out_dir = check_writable_folder(cfg.paths.output_dir, "paths.output_dir")  # before any data or model
    if getattr(rank_zero_only, "rank", 0) == 0:  # one process sweeps the run folder
        remove_stale_partials(out_dir)
    run: dict[str, pl.Trainer] = {}
    with StopSignals() as signals:
        try:
            results = _train(cfg, out_dir, run)
        except (SIGTERMException, Interrupted) as err:
            stop = interruption(run.get("trainer"), err, signals.received, out_dir)
            _write_results(run.get("trainer"), out_dir, _interrupted_results(stop, started))
            raise stop from None
    results["wall_time_s"] = round(time.perf_counter() - started, 1)
    results.update(peak_memory_mb())
    _write_results(run["trainer"], out_dir, results)
    return results


def _train(cfg: DictConfig, out_dir: Path, run: dict[str, pl.Trainer]) -> dict[str, Any]:
    """The run itself; the trainer goes into ``run`` as soon as it exists (to report an interruption)."""
    threads, why = choose_threads(cfg.get("threads", "auto"))
    torch.set_num_threads(threads)
    log.info("torch threads: %d (%s); threads=N sets them", threads, why)
    resume_from = cfg.get("ckpt_path")
    check_resume_file(resume_from)  # before any data is read or object built
    pl.seed_everything(cfg.seed, workers=True)

    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    spec = datamodule.spec
    assert spec is not None
    log.info(
        "data: %s | labels: %s | words: %d | chars: %d",
        datamodule.dir,
        " ".join(spec.labels),
        spec.word_vocab_size,
        spec.char_vocab_size,
    )

    task = build_task(cfg, spec, datamodule.pretrained_vectors)
    datamodule.use_featurizers(task.featurizers())
    task.checkpoint_extras = {
        **model_entries(cfg, task),
        "command": run_command(),
        "data_files": datamodule.file_digests(),
    }
    log.info("model: %d trainable parameters (the modules: train.log)", count_parameters(task))
    log.debug("model:\n%s", task)

    trainer = run["trainer"] = build_trainer(cfg)
    if resume_from is not None and not loads_checked(trainer.strategy.checkpoint_io):
        raise ConfigError(
            f"ckpt_path={resume_from}: resuming reads the checkpoint with seqlab's checks, through the "
            "checkpoint plugin seqlab.training.checkpoint.AtomicCheckpointIO (or another seqlab.training.checkpoint."
            "CheckedCheckpointIO); keep it in trainer.plugins"
        )
    log_config(trainer, cfg)
    kept = trainer.checkpoint_callback
    if isinstance(kept, ModelCheckpoint) and kept.monitor:
        log.info(
            "the checkpoint kept and tested is the epoch with the %s dev %s (%s)",
            "best" if kept.mode == "max" else "lowest",
            task.metric_title(kept.monitor.removeprefix("val/")),
            kept.monitor,
        )
    prepare_workers(trainer, cfg, out_dir)
    try:
        return _fit_and_test(trainer, task, datamodule, resume_from, out_dir)
    finally:
        release_workers(trainer)


def _write_results(trainer: pl.Trainer | None, out_dir: Path, results: dict[str, Any]) -> None:
    """``results.json`` (rank 0) and its log line."""
    if trainer is None or trainer.is_global_zero:
        (out_dir / "results.json").write_text(json.dumps(results, indent=2))
        log.info("results: %s", json.dumps(results))
        log.info("outputs in %s", out_dir)


def _interrupted_results(stop: TrainingInterrupted, started: float) -> dict[str, Any]:
    """What ``results.json`` holds for a run stopped by a signal."""
    log.info("training stopped: interrupted by %s at epoch %d step %d", signal_name(stop.signum), stop.epoch, stop.step)
    return {
        "stopped": {
            "reason": "interrupted",
            "signal": signal_name(stop.signum),
            "epoch": stop.epoch,
            "step": stop.step,
            "text": f"interrupted by {signal_name(stop.signum)} at epoch {stop.epoch} step {stop.step}",
        },
        "resume_checkpoint": stop.checkpoint,
        "wall_time_s": round(time.perf_counter() - started, 1),
        **peak_memory_mb(),
    }


def remove_stale_partials(out_dir: Path) -> None:
    """Delete the ``.*.partial`` files a killed run (SIGKILL, power loss) left in ``out_dir``'s
    checkpoint folder: every file this run writes goes through a ``.partial`` of its own."""
    for stale in sorted((out_dir / "checkpoints").glob(".*.partial")):
        log.info("removing %s, left by a run that was killed while writing it", stale)
        stale.unlink(missing_ok=True)


#: ``ckpt_path`` values Lightning resolves itself to a file (``last``: the newest ``last.ckpt`` of
#: the run's checkpoint callbacks); it loads that file through the trainer's checkpoint plugin.
LIGHTNING_CHECKPOINT_NAMES = ("last", "best", "hpc")


def check_resume_file(ckpt_path: str | None) -> None:
    """Read and check a checkpoint to resume from as every road does (:func:`read_checkpoint`),
    so a refused one stops the run before anything is built. A name Lightning resolves
    (:data:`LIGHTNING_CHECKPOINT_NAMES`) is checked when Lightning loads it, by the same reader
    (:class:`~seqlab.training.checkpoint.CheckedCheckpointIO`)."""
    if ckpt_path is not None and str(ckpt_path) not in LIGHTNING_CHECKPOINT_NAMES:
        read_checkpoint(ckpt_path)


def _fit_and_test(
    trainer: pl.Trainer, task: Task, datamodule: TokenDataModule, ckpt_path: str | None, out_dir: Path
) -> dict:
    """Fit (every rank), test the best checkpoint and write reports (rank 0)."""
    trainer.fit(task, datamodule=datamodule, ckpt_path=ckpt_path)
    if trainer.is_global_zero:
        _save_tokenizers(out_dir / "tokenizers", task.spec)
    # Typed as the Checkpoint base class; seqlab's trainers hold a ModelCheckpoint (or none).
    checkpoint = cast("ModelCheckpoint | None", trainer.checkpoint_callback)
    best = checkpoint.best_model_path if checkpoint is not None and checkpoint.best_model_path else None

    stopped = stop_reason(trainer)
    log.info("training stopped: %s", stopped["text"])
    results: dict[str, Any] = {
        "best_checkpoint": best,
        "epochs": trainer.current_epoch - int(stopped["partial_epoch"]),  # full epochs
        "stopped": stopped,
        f"val/{task.selection_metric}_best": float(task.best_val_score),
        **task.best_val_metrics,  # every dev score of the epoch kept
    }
    if datamodule.has_split("test"):
        tested = trainer.test(task, datamodule=datamodule, ckpt_path=best, verbose=False)[0]
        absent = {f"test/{name}" for name in task.absent_scores(datamodule.dataset("test"))}
        results.update({k: float(v) for k, v in tested.items() if k not in absent})
        task.test_predictions = gather_dict(task.test_predictions)  # each rank predicted its share
        if trainer.is_global_zero:
            if best:
                record_test_metrics(best, {k: v for k, v in results.items() if k.startswith("test/")})
            log.info("test report\n%s", _write_report(task, datamodule.dataset("test"), out_dir / "reports"))
    task.eval()  # parts settle on a mode switch: a vector cache writes what testing computed now, not at exit
    return results


def log_config(trainer: pl.Trainer, cfg: DictConfig) -> None:
    """The resolved config, flattened to dotted keys, as every logger's hyperparameters."""
    flat: dict[str, Any] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else str(key))
        else:
            flat[prefix] = node if isinstance(node, (int, float, str, bool)) or node is None else str(node)

    walk(OmegaConf.to_container(cfg, resolve=True), "")
    for logger in trainer.loggers:
        logger.log_hyperparams(flat)


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


def model_entries(cfg: DictConfig, task: Task) -> dict[str, Any]:
    """What a checkpoint keeps to rebuild the model: the config as composed (resolved, nothing
    added), and what the embedding parts read from outside it (a transformer's architecture and
    tokenizer), so it rebuilds without their sources."""
    return {
        "config": cast(dict, OmegaConf.to_container(cfg, resolve=True)),
        PART_RECORDS: task.network.embedder.source_records(),
    }


def run_command() -> str:
    """The command line that repeats this run: ``seqlab-train`` and its overrides, also for a run
    started from Python (:func:`seqlab.train`); the process's own arguments without Hydra."""
    overrides = run_overrides()
    if overrides is not None:
        return shlex.join(["seqlab-train", *overrides])
    return shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]])


def count_parameters(module: pl.LightningModule) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _save_tokenizers(folder: Path, spec: DataSpec) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    spec.word_tokenizer.save(str(folder / "word.json"))
    spec.char_tokenizer.save(str(folder / "char.json"))


def evaluate(ckpt_path: str, out_dir: str | Path, data_overrides: Sequence[str] = (), accelerator: str = "cpu") -> dict:
    """Test a checkpoint on labelled data and write the task's full report under ``out_dir``.

    The data module is the checkpoint's own, with ``data_overrides`` (``"data.dir=/my/conll"``,
    Hydra override syntax) applied on top; only its test file is read, with the checkpoint's
    vocabularies and labels, so no training data is needed.
    """
    out_dir = check_writable_folder(out_dir, "output folder")  # before the checkpoint is read
    library_bars_only_on_a_terminal()
    model = restore(read_checkpoint(ckpt_path), ckpt_path)
    config = model.config
    config.data.cache_dir = None  # never where a (possibly foreign) checkpoint says; data.cache_dir= sets it
    for override in OverridesParser.create().parse_overrides(list(data_overrides)):
        key = override.key_or_group
        if not key.startswith("data."):
            raise ConfigError(f"evaluate takes data.* overrides only, got {override.input_line!r}")
        if key.split(".")[1] not in config.data:
            raise ConfigError(
                f"{ckpt_path} is a {task_owner(config.task._target_)} checkpoint, whose data module "
                f"({config.data._target_.rsplit('.', 1)[-1]}) has no setting {key!r}; its settings are "
                + ", ".join(k for k in config.data if not k.startswith("_"))
            )
        OmegaConf.update(config, key, override.value(), merge=False)
    datamodule = build_datamodule(config)
    datamodule.use_spec(model.task.spec)
    datamodule.use_featurizers(model.task.featurizers())
    datamodule.setup("test")
    trainer = pl.Trainer(
        accelerator=accelerator,
        devices=1,
        logger=False,
        enable_checkpointing=False,
        default_root_dir=str(out_dir),
        enable_model_summary=False,
        enable_progress_bar=progress_bar_wanted(None),  # on a terminal only, never into redirected output
    )
    absent = {f"test/{name}" for name in model.task.absent_scores(datamodule.dataset("test"))}
    tested = trainer.test(model.task, datamodule=datamodule, verbose=False)[0]
    results: dict[str, Any] = {k: float(v) for k, v in tested.items() if k not in absent}
    print(_write_report(model.task, datamodule.dataset("test"), out_dir / "reports"), flush=True)
    results.update({"checkpoint": str(ckpt_path), "test_file": str(datamodule.path("test"))})
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2))
    log.info("results: %s", json.dumps(results))
    return results
