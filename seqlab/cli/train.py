"""``seqlab-train``: compose the config with Hydra and run :func:`seqlab.pipeline.train`."""
from __future__ import annotations

import hydra
from omegaconf import DictConfig

from seqlab.config import config_dir


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Train; returns the best dev metric so sweepers can optimise it."""
    from seqlab.pipeline import train  # heavy imports after Hydra has parsed --help/--cfg

    return train(cfg).get("val/f1_best")


if __name__ == "__main__":
    main()
