"""A corpus without a dev file trains with a held-out dev set; a cross-validation multirun
summarises its folds with mean ± std; a dev file and a dev fraction together are a config error."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TRAIN = [sys.executable, "-m", "seqlab.cli.train", "trainer.max_epochs=2", "trainer.enable_progress_bar=false"]


@pytest.mark.slow
def test_holdout_dev_for_a_corpus_without_one(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = subprocess.run([*TRAIN, "task=sentiment", "+data/split=holdout", "data.dev_file=null",
                             "data.split.dev=0.2", f"hydra.run.dir={out}"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    log = (out / "train.log").read_text()
    assert "held out of train: dev 20% (seed 42); train 320, dev 80" in log  # the 400 training rows
    assert "val/f1_best" in json.loads((out / "results.json").read_text())


@pytest.mark.slow
def test_a_dev_file_and_a_dev_fraction_together_are_an_error(tmp_path: Path) -> None:
    result = subprocess.run([*TRAIN, "+data/split=holdout", "data.dev_file=dev.txt",
                             f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 2
    assert "data.split carves a dev set out of train, but data.dev_file=dev.txt is set too" in result.stderr


@pytest.mark.slow
def test_cross_validation_folds_in_one_multirun(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    result = subprocess.run([*TRAIN[:3], "-m", *TRAIN[3:], "task=sentiment", "+data/split=kfold", "data.dev_file=null",
                             "data.test_file=null", "data.split.folds=3", "data.split.fold=range(3)",
                             f"hydra.sweep.dir={sweep}"], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = (sweep / "sweep_summary.md").read_text()
    assert "mean ± std over 3 completed trials: best val/f1" in summary and "test/f1" in summary
    trials = json.loads((sweep / "sweep_summary.json").read_text())
    assert [t["status"] for t in trials] == ["ok"] * 3
