"""A Hydra callback checking that the run folder can be written before Hydra creates it and
before any data or model is read: one line naming ``hydra.run.dir`` (or ``hydra.sweep.dir``) and
exit code 2, instead of Hydra's traceback."""

from __future__ import annotations

import sys
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from seqlab.cli.errors import USAGE_ERROR, debugging
from seqlab.errors import OutputError
from seqlab.writable import check_writable_folder


class WritableRunFolder(Callback):
    """Check ``hydra.run.dir`` (a run) or ``hydra.sweep.dir`` (a sweep) as ``program`` starts."""

    def __init__(self, program: str) -> None:
        self.program = program

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._check(config, "hydra.run.dir")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._check(config, "hydra.sweep.dir")

    def _check(self, config: DictConfig, key: str) -> None:
        try:
            check_writable_folder(str(OmegaConf.select(config, key)), key)
        except OutputError as err:
            if debugging(bool(OmegaConf.select(config, "hydra.verbose"))):
                raise
            print(f"{self.program}: error: {err}", file=sys.stderr, flush=True)
            sys.exit(USAGE_ERROR)
