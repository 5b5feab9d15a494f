"""SIGINT and SIGTERM stop a real training process after the current step: last.ckpt, one line naming
the resume command, exit 130 / 143, results.json saying why; the printed command resumes it. Every
run records why it stopped (early stopping, max epochs, time budget)."""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch

from seqlab.training.pipeline import train

TRAIN = ["seqlab-train", "~callbacks.early_stopping", "seed=3", "data.batch_size=16",
         "trainer.enable_progress_bar=false",
         # metrics.csv is written after every step: the file the test polls for the first step
         "+logger.csv.flush_logs_every_n_steps=1", "trainer.log_every_n_steps=1"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def start(run: Path, cache: Path, *overrides: str) -> subprocess.Popen:
    return subprocess.Popen([*TRAIN, f"hydra.run.dir={run}", f"data.cache_dir={cache}", *overrides],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)


def interrupt_after_first_step(process: subprocess.Popen, run: Path, signum: int) -> str:
    """Wait (bounded) until the run has logged its first step, send ``signum``; the run's stderr."""
    metrics = run / "logs" / "version_0" / "metrics.csv"
    deadline = time.monotonic() + 120
    while not metrics.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, f"the run ended before its first step was seen: {process.stderr.read()[-2000:]}"
    assert metrics.exists(), "no step within 120 s"
    process.send_signal(signum)
    try:
        _, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return err


LINE = re.compile(r"^interrupted at epoch (\d+) step (\d+); resume with: (seqlab-train .*)$", re.M)


@pytest.mark.parametrize("signum, code", [
    pytest.param(signal.SIGINT, 130, id="SIGINT"),
    pytest.param(signal.SIGTERM, 143, id="SIGTERM", marks=pytest.mark.slow),
])
def test_a_signal_stops_training_after_the_step_with_last_ckpt_and_the_resume_line(tmp_path, signum, code) -> None:
    run = tmp_path / "run"
    process = start(run, tmp_path / "cache", "trainer.max_epochs=50")
    err = interrupt_after_first_step(process, run, signum)

    assert process.returncode == code, err[-2000:]
    assert err.strip().splitlines()[-1] == LINE.search(err).group(0), "the line is the last thing printed"
    epoch, step, command = LINE.search(err).groups()
    assert int(step) >= 1 and f"hydra.run.dir={run}" in command and command.endswith("ckpt_path=last")
    last = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert (last["global_step"], last["epoch"] + 1) == (int(step), int(epoch))
    stopped = json.loads((run / "results.json").read_text())["stopped"]
    assert stopped["reason"] == "interrupted" and stopped["signal"] == signal.Signals(signum).name
    assert stopped["step"] == int(step)
    assert not list((run / "checkpoints").glob(".*.partial"))


@pytest.mark.slow
def test_the_printed_command_resumes_a_run_stopped_inside_an_epoch_exactly(tmp_path) -> None:
    """Interrupted after its first steps (inside epoch 1) and resumed with the printed command, the
    run ends with the weights and test score of an uninterrupted one."""
    cache = tmp_path / "cache"
    straight = subprocess.run([*TRAIN, "trainer.max_epochs=3", f"hydra.run.dir={tmp_path / 'straight'}",
                               f"data.cache_dir={cache}"], capture_output=True, text=True, env=ENV, timeout=300)
    assert straight.returncode == 0, straight.stderr[-2000:]

    run = tmp_path / "run"
    err = interrupt_after_first_step(start(run, cache, "trainer.max_epochs=3"), run, signal.SIGTERM)
    command = LINE.search(err).group(3)
    resumed = subprocess.run(shlex.split(command), capture_output=True, text=True, env=ENV, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]

    got, expected = (json.loads((path / "results.json").read_text()) for path in (run, tmp_path / "straight"))
    assert got["stopped"]["reason"] == expected["stopped"]["reason"] == "max_epochs"
    assert got["epochs"] == expected["epochs"] == 3 and got["test/f1"] == expected["test/f1"]
    a, b = (torch.load(path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)["state_dict"]
            for path in (run, tmp_path / "straight"))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_run_folder_under_a_file_is_one_line_before_anything_is_read(tmp_path) -> None:
    """A run folder that cannot be written (a path under a file: chmod does not bind root) is told in
    one line with exit 2, before Hydra creates it or any data is read."""
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    done = subprocess.run([*TRAIN, f"hydra.run.dir={blocker / 'run'}"], capture_output=True, text=True, env=ENV,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"seqlab-train: error: hydra.run.dir={blocker / 'run'}: cannot write there "
                                   "(a part of the path is a file, not a folder)")


def test_a_read_only_run_folder_is_one_line(tmp_path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: a read-only folder is still writable")
        done = subprocess.run([*TRAIN, f"hydra.run.dir={folder / 'run'}"], capture_output=True, text=True, env=ENV,
                              timeout=120)
    finally:
        folder.chmod(0o700)
    assert done.returncode == 2 and "cannot write there (permission denied or read-only)" in done.stderr


def test_results_say_max_epochs(make_config, tmp_path) -> None:
    results = train(make_config("trainer.max_epochs=1", "~callbacks.early_stopping"))
    assert results["stopped"]["reason"] == "max_epochs" and results["epochs"] == 1
    assert json.loads((tmp_path / "results.json").read_text())["stopped"]["text"] == "trainer.max_epochs=1 reached"


def test_results_say_early_stopping_with_its_epoch(make_config, tmp_path, caplog) -> None:
    """lr 0: the dev score never improves, so patience 0 stops after the second epoch."""
    with caplog.at_level("INFO", logger="seqlab"):
        results = train(make_config("trainer.max_epochs=5", "optimizer.lr=0.0", "callbacks.early_stopping.patience=0"))
    assert results["stopped"]["reason"] == "early_stopping" and results["epochs"] == 2
    assert "training stopped: early stopping at epoch 2: val/f1 did not improve for 0 validations" in caplog.text


@pytest.mark.slow
def test_a_time_budget_stops_inside_an_epoch_and_the_partial_epoch_is_marked(make_config, tmp_path) -> None:
    results = train(make_config("trainer.max_epochs=100", "~callbacks.early_stopping", "data.batch_size=2",
                                "trainer.max_time={seconds: 2}"))
    stopped = results["stopped"]
    assert stopped["reason"] == "time_budget" and stopped["partial_epoch"]
    assert results["epochs"] == stopped["epoch"] - 1, "the partial epoch is not counted as a full one"
    curves = json.loads((tmp_path / "reports" / "learning_curves.json").read_text())
    assert "partial" in curves[-1] and all("partial" not in row for row in curves[:-1])
