"""A run interrupted after an epoch and resumed from last.ckpt ends exactly like an uninterrupted one."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from seqlab.training.pipeline import train

COMMON = ["trainer.max_epochs=4", "~callbacks.early_stopping", "seed=3", "embedding.word.word_dropout=0.1"]


def final_weights(out) -> dict:
    return torch.load(out / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)["state_dict"]


@pytest.mark.parametrize(
    "schedule",
    [
        pytest.param([], id="default"),
        pytest.param(["scheduler=inverse_time", "optimizer=sgd", "optimizer.lr=0.05"], id="inverse-time",
                     marks=pytest.mark.slow),
        pytest.param(["scheduler.patience=0", "scheduler.threshold=0.5"], id="plateau-halving-every-epoch",
                     marks=pytest.mark.slow),
    ],
)
def test_resumed_run_equals_uninterrupted(make_config, tmp_path, schedule) -> None:
    """Epoch schedules step before last.ckpt is written, so the resumed schedule is where it was."""
    straight = tmp_path / "straight"
    expected = train(make_config(*COMMON, *schedule, f"paths.output_dir={straight}"))

    resumed = tmp_path / "resumed"
    train(make_config(*COMMON, *schedule, f"paths.output_dir={resumed}", "trainer.max_epochs=2"))  # "killed" after epoch 2
    got = train(make_config(*COMMON, *schedule, f"paths.output_dir={resumed}", "ckpt_path=last"))

    assert got["epochs"] == expected["epochs"] == 4
    logged = sorted(path.parent.name for path in (resumed / "logs").glob("*/metrics.csv"))
    assert logged == ["version_0", "version_1"], "resuming must keep the first part's metrics"
    assert got["test/f1"] == expected["test/f1"]
    a, b = final_weights(straight), final_weights(resumed)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_sigkill_mid_training_then_resume_equals_uninterrupted(tmp_path) -> None:
    """A real SIGKILL at an arbitrary moment: last.ckpt stays whole and the resumed run ends the same."""
    import json
    import signal
    import subprocess
    import sys
    import time

    args = [sys.executable, "-m", "seqlab.cli.train", "trainer.max_epochs=8", "~callbacks.early_stopping", "seed=3",
            "embedding.word.word_dropout=0.1", "trainer.enable_progress_bar=false", "data.batch_size=16"]

    def run_dir(name):
        return ["hydra.run.dir=" + str(tmp_path / name), f"data.cache_dir={tmp_path / 'cache'}"]

    done = subprocess.run([*args, *run_dir("straight")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]

    victim = subprocess.Popen([*args, *run_dir("killed")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last = tmp_path / "killed" / "checkpoints" / "last.ckpt"
    deadline = time.time() + 300
    while not last.exists() and victim.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # somewhere in a later epoch (or in the middle of writing a checkpoint)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert not (tmp_path / "killed" / "results.json").exists(), "the run finished before it was killed"

    resumed = subprocess.run([*args, *run_dir("killed"), "ckpt_path=last"], capture_output=True, text=True,
                             timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    expected = json.loads((tmp_path / "straight" / "results.json").read_text())
    got = json.loads((tmp_path / "killed" / "results.json").read_text())
    assert got["test/f1"] == expected["test/f1"] and got["epochs"] == expected["epochs"] == 8


def test_last_checkpoint_is_rewritten_every_epoch_even_without_improvement(make_config, tmp_path) -> None:
    """With the dev score stuck (lr 0), the best checkpoint stays at epoch 1 but last.ckpt follows the run."""
    results = train(make_config("trainer.max_epochs=3", "~callbacks.early_stopping", "optimizer.lr=0.0"))
    last = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert last["epoch"] == 2 and Path(results["best_checkpoint"]).name.startswith("epoch001-")  # named as the log counts
