"""``seqlab-export ckpt_path=... output=DIR``: a checkpoint to a self-contained ONNX model folder."""

from __future__ import annotations

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from seqlab.cli.composition import composition_errors_reported
from seqlab.cli.errors import reported_errors
from seqlab.cli.version_flag import answers_version
from seqlab.config import config_dir
from seqlab.errors import ConfigError


@answers_version("seqlab-export")
@composition_errors_reported("seqlab-export", "export")
@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="export")
def main(cfg: DictConfig) -> None:
    with reported_errors("seqlab-export", bool(HydraConfig.get().verbose)):
        if cfg.format != "onnx":
            raise ConfigError(f"format must be onnx, got {cfg.format!r}")
        from seqlab.predict.export import export_model
        from seqlab.predict.predictor import Predictor
        from seqlab.predict.torch_backend import TorchBackend

        backend = Predictor.open(ckpt_path=cfg.ckpt_path, backend="torch").backend
        assert isinstance(backend, TorchBackend)  # backend="torch" opens one
        folder = export_model(backend, cfg.output, quantize=cfg.quantize)
        print(folder)


if __name__ == "__main__":
    main()
