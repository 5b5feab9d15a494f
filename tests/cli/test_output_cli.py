"""seqlab-predict and seqlab-eval outputs: the output folder checked before the model loads, no
.partial file outliving the command (error, SIGTERM, SIGINT, a stale one from a SIGKILL), and no
progress bar in redirected output."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    from seqlab.training.pipeline import train
    from tests.conftest import compose_config

    out = tmp_path_factory.mktemp("ner")
    train(compose_config(out, "trainer.max_epochs=1", "~callbacks.early_stopping"))
    return out / "checkpoints" / "last.ckpt"


def predict(checkpoint: Path, tmp_path: Path, *overrides: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(["seqlab-predict", f"ckpt_path={checkpoint}", f"hydra.run.dir={tmp_path / 'run'}",
                             *overrides], env=ENV, text=True, stderr=subprocess.PIPE, **kwargs)


def test_an_output_folder_under_a_file_is_one_line_before_the_model_loads(checkpoint, tmp_path) -> None:
    (tmp_path / "f").write_text("")
    process = predict(checkpoint, tmp_path, f"input={checkpoint}", f"output={tmp_path / 'f' / 'out.jsonl'}")
    _, err = process.communicate(timeout=120)
    assert process.returncode == 2
    assert err.strip() == (f"seqlab-predict: error: output folder={tmp_path / 'f'}: cannot write there "
                           "(a part of the path is a file, not a folder)")


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_a_signal_while_predicting_leaves_no_partial_and_no_output(checkpoint, tmp_path, signum, code) -> None:
    output = tmp_path / "out.jsonl"
    partial = tmp_path / ".out.jsonl.partial"
    process = predict(checkpoint, tmp_path, "input=-", f"output={output}", "batch_size=1", stdin=subprocess.PIPE)
    process.stdin.write("EU rejects German call .\n" * 400)  # more predictions than a write buffer holds
    process.stdin.flush()
    deadline = time.monotonic() + 120
    while not (partial.exists() and partial.stat().st_size) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # predictions reach the .partial: the model is loaded, and it waits for more input
    assert partial.exists() and partial.stat().st_size, "no prediction written within 120 s"
    process.send_signal(signum)
    try:
        _, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == code, err[-2000:]
    assert err.strip().splitlines()[-1] == f"interrupted by {signal.Signals(signum).name}; {output} was not written"
    assert not partial.exists() and not output.exists()


def test_a_stale_partial_is_replaced_and_removed_by_the_next_run(checkpoint, tmp_path) -> None:
    """A SIGKILLed run leaves its .partial; the next run writing the same output removes it."""
    source = tmp_path / "in.txt"
    source.write_text("EU rejects German call .\n")
    output = tmp_path / "out.jsonl"
    stale = tmp_path / ".out.jsonl.partial"
    stale.write_text("half a line from a killed run")
    process = predict(checkpoint, tmp_path, f"input={source}", f"output={output}")
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-2000:]
    assert not stale.exists() and output.read_text().count("\n") == 1


def test_eval_writes_no_progress_bar_into_redirected_output(checkpoint, tmp_path) -> None:
    done = subprocess.run(["seqlab-eval", f"ckpt_path={checkpoint}", f"hydra.run.dir={tmp_path / 'eval'}"],
                          capture_output=True, text=True, env=ENV, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "\r" not in done.stdout and "Testing" not in done.stdout and "it/s" not in done.stdout
    assert "precision" in done.stdout  # the report itself is there
