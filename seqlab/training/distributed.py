"""Data-parallel training under Hydra: Lightning's DDP, with extra local ranks that run this job's config.

Lightning's own launcher starts the other local ranks by re-running the command line. Under
Hydra that re-runs ``-m`` sweeps inside every rank (each rank would launch the whole sweep
again) and lets every rank make its own run directory. :class:`DDPStrategy` keeps everything
of Lightning's DDP but starts the other ranks with ``python -m seqlab.cli.rank <config>``:
the job's resolved config, with no Hydra and no command line, so each trial of a sweep gets
exactly its own settings and one run directory. :func:`release_workers` ends a job's ranks and
process group, so the next trial of an in-process sweep starts a fresh one.

Ranks started from outside (``torchrun``, SLURM's ``srun``) are left to the cluster
environment, as in Lightning.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch.distributed as dist
from lightning_fabric.utilities.distributed import _set_num_threads_if_needed
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.strategies.launchers.subprocess_script import _SubprocessScriptLauncher

log = logging.getLogger(__name__)

#: Environment variables the launcher sets for the process group (restored when the job ends).
_LAUNCH_VARIABLES = ("MASTER_ADDR", "MASTER_PORT", "NODE_RANK", "LOCAL_RANK", "WORLD_SIZE")


class ConfigLauncher(_SubprocessScriptLauncher):
    """Starts local ranks ``1..N-1`` as ``python -m seqlab.cli.rank <config file>``.

    If a rank fails, the others are stopped; the main process is killed only if it is still
    running ``grace_s`` seconds later (then it is stuck in a collective waiting for the dead rank).
    """

    def __init__(
        self, *args: Any, config_file: Callable[[], Path | None], grace_s: float = 60.0, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.config_file = config_file
        self.grace_s = grace_s
        self.saved_environment: dict[str, str | None] = {}
        self._done = threading.Event()

    def launch(self, function: Callable, *args: Any, trainer: pl.Trainer | None = None, **kwargs: Any) -> Any:
        self.cluster_environment.validate_settings(num_devices=self.num_processes, num_nodes=self.num_nodes)
        if not self.cluster_environment.creates_processes_externally:
            self._call_children_scripts()
            threading.Thread(target=self._watch, daemon=True, name="seqlab-rank-watch").start()
        _set_num_threads_if_needed(num_processes=self.num_processes)
        return function(*args, **kwargs)

    def _call_children_scripts(self) -> None:
        config_file = self.config_file()
        if config_file is None:
            raise RuntimeError(
                "seqlab's DDPStrategy starts its ranks from a job config: train with "
                "seqlab.training.pipeline.train (seqlab-train), or launch the ranks with torchrun"
            )
        self._check_can_spawn_children()
        self.saved_environment = {name: os.environ.get(name) for name in _LAUNCH_VARIABLES}
        env = self.cluster_environment
        os.environ.update(
            MASTER_ADDR=env.main_address,
            MASTER_PORT=str(env.main_port),
            NODE_RANK=str(env.node_rank()),
            LOCAL_RANK=str(env.local_rank()),
            WORLD_SIZE=str(self.num_processes * self.num_nodes),
        )
        for local_rank in range(1, self.num_processes):
            child_env = {**os.environ, "LOCAL_RANK": str(local_rank)}
            command = [sys.executable, "-m", "seqlab.cli.rank", str(config_file)]
            self.procs.append(subprocess.Popen(command, env=child_env))

    def _watch(self) -> None:
        while not self._done.wait(2.0):
            failed = [p for p in self.procs if p.poll() not in (None, 0)]
            if not failed:
                continue
            log.error(
                "rank process %d exited with code %d; stopping the other ranks", failed[0].pid, failed[0].returncode
            )
            for proc in self.procs:
                if proc.poll() is None:
                    proc.kill()
            if not self._done.wait(self.grace_s):
                log.error("the main process is still waiting for the dead rank after %.0f s: killing it", self.grace_s)
                os.kill(os.getpid(), signal.SIGKILL)
            return

    def release(self, timeout_s: float = 120.0) -> None:
        """Wait for the other ranks (kill any still running after ``timeout_s``) and restore the environment."""
        deadline = time.monotonic() + timeout_s
        for proc in self.procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("rank process %d did not finish in %.0f s: killing it", proc.pid, timeout_s)
                proc.kill()
                proc.wait()
        self._done.set()
        for name, value in self.saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class DDPStrategy(pl.strategies.DDPStrategy):
    """Lightning's ``DDPStrategy`` whose local ranks run the job's resolved config (see the module doc).

    ``trainer.strategy=ddp`` selects it; any ``DDPStrategy`` argument may be given.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The resolved config the other ranks run; set by :func:`seqlab.training.pipeline.train`.
        self.job_config: Path | None = None

    def _configure_launcher(self) -> None:
        if self._start_method != "popen":
            return super()._configure_launcher()
        self._launcher = ConfigLauncher(
            self.cluster_environment, self.num_processes, self.num_nodes, config_file=lambda: self.job_config
        )


def prepare_workers(trainer: pl.Trainer, cfg: DictConfig, out_dir: Path) -> None:
    """Write the resolved config the other local ranks will run, if this trainer starts ranks."""
    strategy = trainer.strategy
    if isinstance(strategy, DDPStrategy) and "LOCAL_RANK" not in os.environ:
        path = out_dir / ".seqlab" / "rank_config.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(OmegaConf.create(OmegaConf.to_container(cfg, resolve=True)), path)
        strategy.job_config = path


def release_workers(trainer: pl.Trainer) -> None:
    """End this job's distributed run: wait for the ranks it started and tear down the process group."""
    launcher = getattr(trainer.strategy, "launcher", None)
    if isinstance(launcher, ConfigLauncher) and launcher.procs:
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
        launcher.release()


def gather_dict(items: dict[Any, Any]) -> dict[Any, Any]:
    """The union of ``items`` over all ranks (``items`` itself outside distributed runs)."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return items
    parts: list[dict[Any, Any] | None] = [None] * dist.get_world_size()
    dist.all_gather_object(parts, items)
    merged: dict[Any, Any] = {}
    for part in parts:
        merged.update(part or {})
    return merged
