"""Training and evaluation from Python: ``seqlab.train(overrides=[...])`` and ``seqlab.evaluate(...)``.

Both run the command line's own code: the same config composition and overrides, the same run
folder (``.hydra/``, ``train.log``, checkpoints, reports) and the same job function. Nothing of
Hydra's global state and no logging handler outlives a call, so they can run in a loop or a
notebook. Prediction from Python is :class:`seqlab.Predictor`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.utils import run_job
from hydra.types import HydraContext
from omegaconf import DictConfig, open_dict

from seqlab.cli.composition import COMPOSITION_ERRORS, composition_message
from seqlab.config import config_dir
from seqlab.errors import ConfigError


@dataclass(frozen=True)
class RunResult:
    """What a run left: its folder, its metrics (as in its ``results.json``) and its checkpoint."""

    output_dir: Path
    metrics: dict[str, Any] = field(default_factory=dict)
    checkpoint: Path | None = None


def train(overrides: Sequence[str] = ()) -> RunResult:
    """Train as ``seqlab-train <overrides>`` does; returns the run folder, metrics and best checkpoint.

    ``overrides`` are the command line's, e.g. ``["task=sentiment", "data.dir=reviews"]``. A run
    started in the same second as an earlier one gets its own folder (``...-1``) unless
    ``hydra.run.dir`` is given. Sweeps (``-m``) are a Python loop here.
    """
    from seqlab.cli.train import check_moved_overrides, check_task_override

    overrides = list(overrides)
    check_task_override(overrides)
    check_moved_overrides(overrides)
    with _composed("train", overrides, job_name="seqlab-train") as cfg:
        if not any(o.lstrip("+").startswith("hydra.run.dir=") for o in overrides):
            _unused_run_dir(cfg)
        results = _run(cfg, _train_job)
    best = results.get("best_checkpoint")
    return RunResult(Path(results["output_dir"]), results, Path(best) if best else None)


def evaluate(
    ckpt_path: str | Path,
    data_overrides: Sequence[str] = (),
    output_dir: str | Path | None = None,
    accelerator: str = "cpu",
) -> RunResult:
    """Test a checkpoint as ``seqlab-eval ckpt_path=... <data overrides>`` does, writing its report
    under ``output_dir`` (default: ``outputs/eval/<date>/<time>``, the command's folder)."""
    from seqlab.training.pipeline import evaluate as evaluate_checkpoint

    folder = Path(output_dir or Path("outputs", "eval", datetime.now().strftime("%Y-%m-%d/%H-%M-%S")))
    metrics = evaluate_checkpoint(str(ckpt_path), folder, list(data_overrides), accelerator=accelerator)
    return RunResult(folder, metrics, Path(ckpt_path))


def _train_job(cfg: DictConfig) -> dict[str, Any]:
    from seqlab.training.pipeline import train as train_pipeline

    return {**train_pipeline(cfg), "output_dir": cfg.paths.output_dir}


@contextmanager
def _composed(config_name: str, overrides: list[str], job_name: str) -> Iterator[DictConfig]:
    """The config a command composes (its ``hydra`` node included), inside a Hydra context
    cleared on exit."""
    if GlobalHydra.instance().is_initialized():
        raise RuntimeError("seqlab.train runs its own Hydra composition; inside a @hydra.main app call the pipeline")
    error: Exception | None = None
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3", job_name=job_name):
        try:
            cfg = compose(config_name, overrides=overrides, return_hydra_config=True)
        except COMPOSITION_ERRORS as err:
            error = err
        else:
            yield cfg
    if error is not None:  # the command's one line, worked out once Hydra's context is gone
        raise ConfigError(composition_message(error, config_name, overrides)) from None


def _unused_run_dir(cfg: DictConfig) -> None:
    """``hydra.run.dir`` with ``-1``, ``-2``... appended while that folder already exists."""
    base = str(cfg.hydra.run.dir)
    candidate, n = base, 0
    while Path(candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    with open_dict(cfg):
        cfg.hydra.run.dir = candidate


def _run(cfg: DictConfig, job: Any) -> Any:
    """Run ``job`` as Hydra's launcher runs a command's job (run folder, ``.hydra/``, logging),
    then put the caller's logging back."""
    from hydra._internal.callbacks import Callbacks  # the launcher's own callbacks runner

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        context = HydraContext(config_loader=GlobalHydra.instance().config_loader(), callbacks=Callbacks(cfg))
        outcome = run_job(job, cfg, job_dir_key="hydra.run.dir", job_subdir_key=None, hydra_context=context)
        return outcome.return_value  # re-raises the job's exception
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
