"""``python -m seqlab.cli.rank <resolved job config.yaml>``: one local rank of a DDP job.

:class:`seqlab.training.distributed.ConfigLauncher` starts ranks ``1..N-1`` with this entry: each trains
the job's resolved config, with no Hydra and no command line (see :mod:`seqlab.training.distributed`).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import cast

from omegaconf import DictConfig, OmegaConf

from seqlab.training.pipeline import train


def main(argv: list[str] | None = None) -> None:
    """Train the given resolved config as the local rank ``LOCAL_RANK``."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m seqlab.cli.rank <resolved job config.yaml>")
    rank = os.environ.get("LOCAL_RANK", "?")
    logging.basicConfig(level=logging.WARNING, format=f"[rank {rank}] %(levelname)s %(name)s: %(message)s")
    train(cast(DictConfig, OmegaConf.load(argv[0])))  # a job config is a mapping, never a list


if __name__ == "__main__":
    main()
