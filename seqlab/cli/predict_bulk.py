"""``seqlab-predict ... processes=N`` and ``seqlab-predict`` under ``torchrun`` or ``srun``: the
ranks of :mod:`seqlab.predict.bulk`, with the command's input checks, formats and error reports.

``processes=N`` checks the arguments, then starts N fresh processes on this machine
(:func:`~seqlab.predict.bulk.spawn_local`) and waits: a rank that fails stops the others, a user
error is reported in one line (exit code 2) and the ``.partial`` output is removed, as it is on
SIGINT or SIGTERM (the ranks are stopped, exit code 130 or 143). Under a
launcher (``torchrun``, ``srun``) this process is one rank of the launcher's world.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from seqlab.cli.errors import USAGE_ERROR, USER_ERRORS, user_message
from seqlab.errors import ConfigError
from seqlab.predict.bulk import World, predict_ranked, process_group, spawn_local
from seqlab.signals import Interrupted, StopSignals, signal_name
from seqlab.threads import available_cpus
from seqlab.writable import check_writable_folder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BulkJob:
    """What every rank needs from the command line (plain values: it is sent to fresh processes)."""

    #: The :meth:`~seqlab.predict.predictor.Predictor.open` arguments (``cli.predict.open_arguments``).
    opening: dict[str, Any]
    format: str
    input: str
    output: str
    #: Where rank 0 writes before renaming into ``output``; ``None`` for standard output.
    partial: str | None


def check_processes(value: Any) -> int:
    """``processes=`` as a positive count (a one-line error otherwise)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"processes must be a positive integer, got {value!r}")
    return value


def launched_world() -> World | None:
    """The ranks a launcher started (``torchrun``: ``RANK``/``WORLD_SIZE``; ``srun``: SLURM's
    variables, read as training reads them), or ``None`` for a single command."""
    env = os.environ
    if "RANK" in env and "WORLD_SIZE" in env:
        size = int(env["WORLD_SIZE"])
        if size < 2:
            return None
        return World(int(env["RANK"]), size, int(env.get("LOCAL_RANK", "0")), int(env.get("LOCAL_WORLD_SIZE", "1")))
    if env.get("SLURM_NTASKS", "1").isdigit() and int(env.get("SLURM_NTASKS", "1")) > 1:
        from lightning_fabric.plugins.environments import SLURMEnvironment

        if SLURMEnvironment.detect():
            slurm = SLURMEnvironment()
            _ = slurm.main_address, slurm.main_port  # set MASTER_ADDR and MASTER_PORT for env://
            per_node = env.get("SLURM_NTASKS_PER_NODE", "1").split("(")[0]
            local_size = int(per_node) if per_node.isdigit() else 1
            return World(slurm.global_rank(), slurm.world_size(), slurm.local_rank(), local_size)
    return None


def predict_bulk(cfg: DictConfig, processes: int, world: World | None, output: str) -> None:
    """Check the arguments, then predict as one rank of ``world`` or with ``processes`` local ranks."""
    from seqlab.predict.predictor import check_source

    if world is not None and processes > 1:
        raise ConfigError(
            f"processes={processes} starts processes on this machine, but this command is already one of "
            f"{world.size} ranks started by torchrun or srun: leave processes=1"
        )
    if cfg.input == "-":
        raise ConfigError("bulk prediction (processes > 1, torchrun, srun) needs input=FILE: every rank reads it")
    open(cfg.input, "rb").close()
    from seqlab.cli.predict import open_arguments, partial_path

    partial = partial_path(output)
    if partial is not None:  # before any model is read
        check_writable_folder(partial.parent, "output folder")
    check_source(cfg.model, cfg.ckpt_path, cfg.get("backend", "auto"), cfg.nbest)
    job = BulkJob(
        opening=open_arguments(cfg),
        format=cfg.format,
        input=cfg.input,
        output=output,
        partial=None if partial is None else str(partial),
    )
    with StopSignals():
        try:
            if world is not None:
                run_rank(world, job)
            else:
                _run_local(job, processes)
        except Interrupted as err:
            left = "" if partial is None else f"; {output} was not written"
            raise Interrupted(err.signum, f"interrupted by {signal_name(err.signum)}{left}") from None


def _run_local(job: BulkJob, processes: int) -> None:
    """Start ``processes`` ranks here and wait; report the first user error of any in one line."""
    import torch.multiprocessing as mp

    if job.partial is not None:
        open(job.partial, "w").close()  # the output's folder is writable before any rank starts
    errors = mp.get_context("spawn").SimpleQueue()
    logging.getLogger("torch.multiprocessing.spawn").setLevel(logging.ERROR)  # no "terminating process" lines
    try:
        spawn_local(_spawned_rank, processes, (job, errors))
    except (mp.ProcessRaisedException, mp.ProcessExitedException):
        if not errors.empty():
            raise ConfigError(errors.get()) from None
        raise
    finally:
        if job.partial is not None:
            Path(job.partial).unlink(missing_ok=True)  # rank 0 renamed it into place on success


def _spawned_rank(world: World, job: BulkJob, errors: Any) -> None:
    """A rank started by :func:`_run_local`: logs as the command does; a user error goes to the parent."""
    logging.basicConfig(
        level=logging.INFO, format="[%(asctime)s][%(name)s][%(levelname)s] - %(message)s", stream=sys.stderr
    )
    try:
        run_rank(world, job)
    except USER_ERRORS as err:
        errors.put(user_message(err))
        sys.exit(USAGE_ERROR)


def run_rank(world: World, job: BulkJob) -> None:
    """One rank: open the model and predict its chunks; rank 0 writes the output and renames it into place."""
    from seqlab.cli.predict import check_output_format, format_prediction, read_lines
    from seqlab.predict.collector import set_aside_loaded_objects
    from seqlab.predict.predictor import Predictor

    writer = world.rank == 0
    if not writer:  # rank 0 alone reports what every rank reads (non-UTF-8 lines and the like)
        logging.getLogger("seqlab").setLevel(logging.ERROR)
    opening = job.opening
    threads = opening["threads"] if opening["threads"] is not None else max(1, available_cpus() // world.local_size)
    device = f"cuda:{world.local_rank}" if opening["device"] == "cuda" else opening["device"]
    with process_group(world):
        predictor = Predictor.open(**{**opening, "device": device, "threads": threads})
        set_aside_loaded_objects()
        check_output_format(predictor, job.format, str(opening["ckpt_path"] or opening["model"]))
        sink = None
        if writer:
            sink = sys.stdout if job.partial is None else open(job.partial, "w", encoding="utf-8")
        try:
            with open(job.input, "rb") as source:
                count = predict_ranked(
                    predictor,
                    read_lines(source, job.input),
                    lambda prediction: format_prediction(prediction, job.format),
                    sink,
                    world,
                )
            if sink is not None and job.partial is not None:
                sink.close()
                os.replace(job.partial, job.output)
            elif sink is not None:
                sink.flush()
        finally:
            if sink is not None and job.partial is not None:
                sink.close()
                Path(job.partial).unlink(missing_ok=True)
    if writer:
        log.info("%d texts predicted by %d processes (%d threads each) -> %s", count, world.size, threads, job.output)
