"""`seqlab-train -m`: a failing trial is recorded and the sweep goes on; DDP trials each get one run dir."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from seqlab.training.sweep import summary_table


@pytest.mark.slow
def test_ddp_sweep_survives_a_failing_trial_and_writes_a_summary(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    command = [sys.executable, "-m", "seqlab.cli.train", "-m", "trainer=ddp", "trainer.accelerator=cpu",
               "trainer.max_epochs=1", "trainer.enable_progress_bar=false", "optimizer.lr=-1,0.01",
               f"hydra.sweep.dir={sweep}"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    # The sweep ran every trial and wrote its summary, and its exit code says one trial failed.
    assert result.returncode == 1, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == ("seqlab-train: error: 1 trial(s) of the sweep failed: 0 "
                                                      "(see sweep_summary.md)")

    trials = json.loads((sweep / "sweep_summary.json").read_text())
    assert [(t["job"], t["status"]) for t in trials] == [(0, "failed"), (1, "ok")]
    assert trials[0]["error"] == "ConfigError: optimizer.lr: expected a non-negative number, got -1"  # before any data
    assert trials[1]["overrides"][-1] == "optimizer.lr=0.01" and "test/f1" in trials[1]["test"]
    table = (sweep / "sweep_summary.md").read_text()
    assert "| 0 | `optimizer.lr=-1` | failed: ConfigError" in table and "| 1 | `optimizer.lr=0.01` | ok |" in table
    # Each trial ran both ranks in its own folder; no rank re-launched the sweep or made a folder.
    assert sorted(p.name for p in sweep.iterdir() if p.is_dir()) == ["0", "1"]
    assert (sweep / "1" / "results.json").is_file() and (sweep / "1" / "checkpoints" / "last.ckpt").is_file()
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "multirun").exists()


def test_summary_marks_the_best_trial_and_lists_only_what_differs() -> None:
    def ok(job, lr, best):
        return {"job": job, "overrides": ["seed=1", f"optimizer.lr={lr}"], "monitor": "val/f1", "status": "ok",
                "best": best, "test": {"test/f1": best - 0.1, "test/precision": 0.5}, "epochs": 3,
                "wall_time_s": 12.0, "dir": str(job)}

    trials = [ok(0, 0.1, 0.8), ok(1, 0.01, 0.9),
              {"job": 2, "overrides": ["seed=1", "optimizer.lr=9"], "monitor": "val/f1", "status": "failed",
               "error": "FloatingPointError: loss is nan | at step 3", "dir": "2"}]
    table = summary_table(trials)
    assert table.startswith("common overrides: `seed=1`")
    assert "| 1 | `optimizer.lr=0.01` | ok | **0.9000** | 0.8000 | 3 | 12 s | 1 |" in table
    assert "| 0 | `optimizer.lr=0.1` | ok | 0.8000 |" in table
    assert "failed: FloatingPointError: loss is nan \\| at step 3" in table
