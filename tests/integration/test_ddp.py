"""Two-process DDP on CPU (gloo) trains and tests like one process on the same data and seed: the same
global batches in the same order each epoch; only the rounding of gradients averaged over the ranks
(rather than one batch's mean) differs, so scores agree to within a span or two, not bit for bit."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # two CLI trainings of 15 epochs, one of them two DDP processes

TRAIN = [sys.executable, "-m", "seqlab.cli.train"]
# Deterministic settings: no dropout, so the ranks' random streams do not matter.
COMMON = ["trainer.accelerator=cpu", "trainer.max_epochs=15", "trainer.enable_progress_bar=false", "seed=7",
          "embedding.dropout=0", "encoder.dropout=0", "embedding.word.word_dropout=0"]


def train(tmp_path: Path, name: str, *args: str) -> dict:
    run = tmp_path / name
    # One intra-op thread in every process: the thread count changes the order of float sums, so
    # runs with different counts (an exported OMP_NUM_THREADS reaches both runs) may differ in the last digits.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([*TRAIN, *COMMON, *args, f"hydra.run.dir={run}"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((run / "results.json").read_text())


def test_two_cpu_processes_equal_one_process(tmp_path: Path) -> None:
    single = train(tmp_path, "single", "data.batch_size=32")
    ddp = train(tmp_path, "ddp", "trainer=ddp", "trainer.devices=2", "data.batch_size=16")  # same global batch

    assert single["test/f1"] > 0.5  # it learned something, so agreement means something
    test_scores = {k: v for k, v in single.items() if k.startswith("test/")}
    assert ddp.keys() >= test_scores.keys()
    assert all(abs(ddp[k] - v) <= 0.03 for k, v in test_scores.items()), (ddp, single)
    assert abs(ddp["val/f1_best"] - single["val/f1_best"]) <= 0.02 and ddp["epochs"] == single["epochs"]

    run = tmp_path / "ddp"
    predictions = (run / "reports" / "test_predictions.conll").read_text().strip().split("\n\n")
    assert len(predictions) == 100  # the report covers the test sentences of both ranks
    alone = (tmp_path / "single" / "reports" / "test_predictions.conll").read_text().strip().split("\n\n")
    assert sum(a == b for a, b in zip(predictions, alone)) >= 95  # in input order, nearly all identical
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == \
        sorted(p.name for p in (tmp_path / "single" / "checkpoints").iterdir())
    assert not (tmp_path / "outputs").exists()  # no rank made a run directory of its own
