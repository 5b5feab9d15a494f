"""What a run prints: one line per epoch and the report, in the console and train.log; no
third-party noise unless asked; no progress bar when output is not a terminal; learning curves."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

NOISE = ("Generating train split", "Tip:", "GPU available", "LeafSpec", "deprecated", "| Name ", "matplotlib")


def train(tmp_path: Path, *overrides: str) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "seqlab.cli.train", "trainer.max_epochs=3", f"hydra.run.dir={out}",
                             *overrides], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result, out


@pytest.mark.slow
def test_a_run_prints_epoch_lines_and_the_report_without_noise(tmp_path: Path) -> None:
    result, out = train(tmp_path)
    console = result.stdout + result.stderr
    assert not [word for word in NOISE if word in console], console[-3000:]
    assert "Epoch 0:" not in console and "it/s" not in console  # no progress bar when not a terminal
    epochs = [line for line in console.splitlines() if "] - epoch " in line]
    assert len(epochs) == 3 and all("train loss" in e and "dev f1" in e and "best" in e and "lr" in e for e in epochs)
    log = (out / "train.log").read_text()
    assert "epoch 3/3" in log and "test report" in log and "micro avg" in log
    assert "the checkpoint kept and tested is the epoch with the best dev f1 (val/f1)" in log
    best_epoch = int(epochs[-1].rsplit("(epoch ", 1)[1].split(")")[0])  # the epoch lines count from 1 ...
    results = json.loads((out / "results.json").read_text())
    assert Path(results["best_checkpoint"]).name.startswith(f"epoch{best_epoch:03d}-")  # ... as the names do
    history = json.loads((out / "reports" / "learning_curves.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2, 3] and (out / "reports" / "learning_curves.png").is_file()


@pytest.mark.slow
def test_library_logs_and_a_rich_progress_bar_are_one_flag_away(tmp_path: Path) -> None:
    result, _ = train(tmp_path, "library_logs=true", "progress_bar=rich", "trainer.enable_progress_bar=true")
    console = result.stdout + result.stderr
    # Lightning's INFO lines (hidden by default, see NOISE) come through the run's log format ...
    assert [line for line in console.splitlines() if "[INFO] - GPU available: " in line], console[-3000:]
    # ... and Rich draws its bars (their final state, as the output is not a terminal).
    assert "Epoch 2/2 " in console and "Testing " in console and "━" in console, console[-3000:]
