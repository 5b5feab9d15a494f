"""Logged training loss: written every `log_every_n_steps`, each value that step's own loss."""
from __future__ import annotations

import csv

from seqlab.training.pipeline import train


def losses(make_config, tmp_path, name: str, every: int) -> dict[int, float]:
    out = tmp_path / name
    train(make_config("seed=5", f"trainer.log_every_n_steps={every}", f"paths.output_dir={out}"))
    with open(out / "logs" / "version_0" / "metrics.csv") as f:
        return {int(row["step"]): float(row["train/loss"]) for row in csv.DictReader(f) if row["train/loss"]}


def test_sparse_loss_logging_records_the_losses_of_those_steps(make_config, tmp_path) -> None:
    every_step = losses(make_config, tmp_path, "every", 1)
    every_third = losses(make_config, tmp_path, "third", 3)
    assert sorted(every_third) == [s for s in sorted(every_step) if (s + 1) % 3 == 0]
    assert all(every_third[s] == every_step[s] for s in every_third)
