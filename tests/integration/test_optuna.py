"""hparams_search=ner_optuna: an Optuna study over the sample; failed trials are recorded as
failed and the study goes on; the sweep summary lists every trial and the study's best."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("hydra_plugins.hydra_optuna_sweeper")

pytestmark = pytest.mark.slow  # an Optuna study: several trainings


def test_a_small_study_records_failed_trials_and_names_the_best(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    result = subprocess.run(
        [sys.executable, "-m", "seqlab.cli.train", "hparams_search=ner_optuna", "hydra.sweeper.n_trials=4",
         "trainer.max_epochs=2", "trainer.enable_progress_bar=false", f"hydra.sweep.dir={sweep}",
         "optimizer.lr=choice(0.001,-1.0)"],  # a negative rate fails the config check: some trials fail
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 1, result.stderr[-3000:]  # the sweep ran every trial; some failed
    assert "trial(s) of the sweep failed" in result.stderr
    summary = (sweep / "sweep_summary.md").read_text()
    rows = [line for line in summary.splitlines() if line.startswith("| ") and line[2].isdigit()]
    failed = [row for row in rows if "failed: ConfigError: optimizer.lr" in row]
    assert len(rows) == 4 and failed and len(failed) < 4
    assert all("optimizer.lr=-1.0" in row for row in failed)
    assert "Optuna study ner: best value" in summary and "optimizer.lr=0.001" in summary.split("Optuna study")[1]
    assert (sweep / "optimization_results.yaml").is_file()
