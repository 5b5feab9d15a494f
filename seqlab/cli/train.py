"""``seqlab-train``: compose the config with Hydra and run :func:`seqlab.training.pipeline.train`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from seqlab.cli.composition import composition_errors_reported
from seqlab.cli.errors import reported_errors
from seqlab.cli.version_flag import answers_version
from seqlab.config import config_dir
from seqlab.data.discovery import check_data_files
from seqlab.data.vocabulary import moved_setting_message
from seqlab.errors import ConfigError
from seqlab.registry import task_entry
from seqlab.training.config_check import check_config
from seqlab.training.sweep import failed_trials, record_trial

log = logging.getLogger(__name__)


def check_task_override(argv: list[str]) -> None:
    """Fail early, with the valid names and the closest one, on ``task=<unregistered name>``.

    With a ``hydra.searchpath`` override the name may come from an unpackaged config folder,
    so the check is left to Hydra.
    """
    if any(arg.lstrip("+").startswith("hydra.searchpath") for arg in argv):
        return
    for arg in argv:
        key, sep, value = arg.lstrip("+").partition("=")
        if sep and key == "task" and "," not in value:  # a sweep list is Hydra's to expand
            task_entry(value)


def check_moved_overrides(argv: list[str]) -> None:
    """A one-line error naming the new key for an override of a setting that moved from ``data`` to
    its embedding part (``data.max_chars=30``), before Hydra refuses the key it no longer has."""
    for arg in argv:
        key, sep, value = arg.lstrip("+~").partition("=")
        section, _, name = key.partition(".")
        moved = moved_setting_message(name, value or None) if section == "data" else None
        if moved:
            raise ConfigError(moved)


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="train")
def _main(cfg: DictConfig) -> float | None:
    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode != RunMode.MULTIRUN:
        with reported_errors("seqlab-train", bool(hydra_cfg.verbose)):
            check_data_files(cfg.data)  # before the heavy imports: a missing file is told at once
            check_config(cfg)  # before the heavy imports: a mistake in a model part is told in seconds
            from seqlab.training.pipeline import train

            return train(cfg).get(f"{cfg.monitor}_best")
    from seqlab.training.pipeline import train  # heavy imports after Hydra has parsed --help/--cfg

    # A sweep trial: record how it ended; a failure must not end the sweep.
    out_dir, job, overrides = Path(cfg.paths.output_dir), hydra_cfg.job.num, list(hydra_cfg.overrides.task)
    try:
        results = train(cfg)
    except Exception as err:  # noqa: BLE001 - recorded in trial.json and the sweep summary
        log.exception("trial %d (%s) failed; the sweep goes on", job, " ".join(overrides))
        record_trial(out_dir, job, overrides, cfg.monitor, error=err)
        return None  # not a number: Hydra's Optuna sweeper records the trial as failed and goes on
    record_trial(out_dir, job, overrides, cfg.monitor, results=results)
    return results.get(f"{cfg.monitor}_best")


@answers_version("seqlab-train")
@composition_errors_reported("seqlab-train", "train")
def main() -> None:
    """Train; the best dev metric is returned to sweepers."""
    with reported_errors("seqlab-train"):
        check_task_override(sys.argv[1:])
        check_moved_overrides(sys.argv[1:])
    with reported_errors("seqlab-train"):  # a sweep stopped by a signal: its trial's line and exit code
        _main()
    failed = failed_trials()
    if failed:  # a sweep: the summary is written; its exit code says that not every trial ran
        print(
            f"seqlab-train: error: {len(failed)} trial(s) of the sweep failed: {', '.join(map(str, failed))} "
            "(see sweep_summary.md)",
            file=sys.stderr,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
