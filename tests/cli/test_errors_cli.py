"""The commands on the user's mistakes: one line naming what is wrong, exit code 2, no traceback,
and no output file touched before the inputs are checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run(module: str, *args: str, cwd: Path, stdin: str | None = None, env: dict | None = None):
    import os

    return subprocess.run([sys.executable, "-m", f"seqlab.cli.{module}", *args], cwd=cwd, capture_output=True,
                          text=True, input=stdin, timeout=600, env={**os.environ, **(env or {})})


@pytest.mark.slow
def test_a_malformed_training_file_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.txt").write_text("EU NNP B-ORG\nrejects VBZ\n")
    result = run("train", f"data.dir={data}", "data.dev_file=train.txt", "data.test_file=null", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"seqlab-train: error: {data / 'train.txt'}:2: expected 3 columns (as on line 1), found 2: 'rejects VBZ'")
    assert "Traceback" not in result.stderr
    debug = run("train", f"data.dir={data}", "data.dev_file=train.txt", "data.test_file=null", cwd=tmp_path,
                env={"SEQLAB_DEBUG": "1"})
    assert debug.returncode != 0 and "Traceback" in debug.stderr  # the traceback on request


def test_missing_files_and_directories_are_named(tmp_path: Path) -> None:
    result = run("predict", f"ckpt_path={tmp_path / 'none.ckpt'}", "input=-", cwd=tmp_path, stdin="x\n")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"seqlab-predict: error: {tmp_path / 'none.ckpt'}: no such checkpoint"
    result = run("evaluate", f"ckpt_path={tmp_path}", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr


@pytest.mark.parametrize("module, program", [("evaluate", "seqlab-eval"), ("export", "seqlab-export")])
def test_a_required_key_left_out_is_one_line_naming_it(module: str, program: str, tmp_path: Path) -> None:
    result = run(module, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"{program}: error: ckpt_path is required: add ckpt_path=... to the command"


@pytest.fixture(scope="module")
def sentiment_checkpoint(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sentiment")
    result = run("train", "task=sentiment", "trainer.max_epochs=1", "trainer.limit_train_batches=2",
                 "trainer.enable_progress_bar=false", f"hydra.run.dir={out}", cwd=out)
    assert result.returncode == 0, result.stderr[-3000:]
    return out / "checkpoints" / "last.ckpt"


@pytest.mark.slow
def test_bad_arguments_leave_an_existing_output_untouched(sentiment_checkpoint: Path, tmp_path: Path) -> None:
    keep = tmp_path / "keep_me.jsonl"
    keep.write_text("precious\n")
    result = run("predict", f"ckpt_path={sentiment_checkpoint}", "input=-", f"output={keep}", "format=conll",
                 cwd=tmp_path, stdin="a good film\n")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "format=conll needs a model that tags tokens" in result.stderr
    assert keep.read_text() == "precious\n" and not list(tmp_path.glob(".*partial"))
    result = run("predict", f"ckpt_path={sentiment_checkpoint}", f"input={tmp_path / 'missing.txt'}",
                 f"output={keep}", cwd=tmp_path)
    assert result.returncode == 2 and keep.read_text() == "precious\n"
    result = run("predict", f"ckpt_path={sentiment_checkpoint}", "input=-", f"output={keep}", cwd=tmp_path,
                 stdin="a good film\n")
    assert result.returncode == 0 and '"label"' in keep.read_text()  # replaced only by a finished output


def test_a_closed_output_pipe_ends_prediction_quietly(sentiment_checkpoint: Path, tmp_path: Path) -> None:
    lines = "".join(f"review number {i}\n" for i in range(3000))
    command = (f"{sys.executable} -m seqlab.cli.predict ckpt_path={sentiment_checkpoint} input=- output=- "
               f"batch_size=8 hydra.run.dir={tmp_path} | head -1")
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], input=lines, capture_output=True, text=True,
                            cwd=tmp_path, timeout=600)
    assert result.stdout.count("\n") == 1 and '"label"' in result.stdout
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


@pytest.mark.slow
def test_evaluating_with_data_settings_of_another_task_names_the_checkpoints_task(sentiment_checkpoint: Path,
                                                                                  tmp_path: Path) -> None:
    result = run("evaluate", f"ckpt_path={sentiment_checkpoint}", "data.label_column=3",
                 f"hydra.run.dir={tmp_path / 'eval'}", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"seqlab-eval: error: {sentiment_checkpoint} is a task 'sentiment' (package seqlab) checkpoint, whose data "
        "module (TextClassificationDataModule) has no setting 'data.label_column'; its settings are dir, ")
