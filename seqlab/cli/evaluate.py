"""``seqlab-eval ckpt_path=... [data.dir=...]``: test a checkpoint and write the full report."""

from __future__ import annotations

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from seqlab.cli.composition import composition_errors_reported
from seqlab.cli.errors import reported_errors
from seqlab.cli.version_flag import answers_version
from seqlab.config import config_dir


@answers_version("seqlab-eval")
@composition_errors_reported("seqlab-eval", "eval")
@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="eval")
def main(cfg: DictConfig) -> None:
    from seqlab.console import quiet_libraries
    from seqlab.training.pipeline import evaluate

    if not cfg.library_logs:
        quiet_libraries()
    hydra_cfg = HydraConfig.get()
    data_overrides = [o for o in hydra_cfg.overrides.task if o.startswith("data.")]
    with reported_errors("seqlab-eval", bool(hydra_cfg.verbose)):
        evaluate(cfg.ckpt_path, hydra_cfg.runtime.output_dir, data_overrides, accelerator=cfg.accelerator)


if __name__ == "__main__":
    main()
