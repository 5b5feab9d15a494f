"""``seqlab-serve model=DIR|ckpt_path=...``: a trained model behind HTTP (see :mod:`seqlab.serving`)."""

from __future__ import annotations

import importlib.util

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from seqlab.cli.composition import composition_errors_reported
from seqlab.cli.errors import reported_errors
from seqlab.cli.version_flag import answers_version
from seqlab.config import config_dir
from seqlab.errors import ConfigError


@answers_version("seqlab-serve")
@composition_errors_reported("seqlab-serve", "serve")
@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="serve")
def main(cfg: DictConfig) -> None:
    with reported_errors("seqlab-serve", bool(HydraConfig.get().verbose)):
        try:
            from seqlab.serving.server import serve
        except ImportError as err:
            raise ConfigError(f"seqlab-serve needs the serving extra: pip install 'seqlab[serve]' ({err})") from None
        from seqlab.serving.settings import Batching, Connections, Limits
        from seqlab.serving.source import ModelSource

        try:
            limits = Limits(**OmegaConf.to_container(cfg.limits))  # type: ignore[arg-type]
            batching = Batching(**OmegaConf.to_container(cfg.batching))  # type: ignore[arg-type]
            connections = Connections(**OmegaConf.to_container(cfg.connections))  # type: ignore[arg-type]
        except (TypeError, ValueError) as err:
            raise ConfigError(str(err)) from None
        if not isinstance(cfg.opentelemetry, bool):
            raise ConfigError(f"opentelemetry: expected true or false, got {cfg.opentelemetry!r}")
        if cfg.opentelemetry and not _has_native_telemetry():
            raise ConfigError("opentelemetry: true needs a FastAPI with native OpenTelemetry (fastapi.telemetry)")
        if not isinstance(cfg.workers, int) or cfg.workers < 1:
            raise ConfigError(f"workers: expected a positive integer, got {cfg.workers!r}")
        source = ModelSource(
            model=cfg.model,
            ckpt_path=cfg.ckpt_path,
            backend=cfg.backend,
            threads=cfg.threads,
            device=cfg.device,
            batch_size=cfg.batch_size,
        )
        serve(
            source,
            limits,
            batching,
            cfg.host,
            cfg.port,
            cfg.workers,
            cfg.drain_s,
            cfg.log_level,
            connections,
            cfg.opentelemetry,
        )


def _has_native_telemetry() -> bool:
    try:
        return importlib.util.find_spec("fastapi.telemetry") is not None
    except ModuleNotFoundError:  # no FastAPI: serve() names the missing extra
        return True


if __name__ == "__main__":
    main()
