"""``seqlab-predict processes=N`` (and under ``torchrun``): the ranks' output equals one process's,
byte for byte and in input order; mistakes are one line with exit code 2 and leave no partial file."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import compose_config
from tests.integration.test_torch_predictor import random_checkpoint

WORDS = "EU rejects German call to boycott British lamb . Peter Blackburn visited Paris on Monday".split()


def run(*args: str, cwd: Path, launcher: tuple[str, ...] = ("-m",)) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *launcher, "seqlab.cli.predict", *args, f"hydra.run.dir={cwd / 'run'}"],
                          cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bulk")
    random_checkpoint(lambda *overrides: compose_config(out, *overrides), out / "model.ckpt")
    return out / "model.ckpt"


def write_input(path: Path) -> Path:
    """1003 texts (not a multiple of any chunk): empty and blank lines, lengths 1-30, no final line end."""
    lines = []
    for i in range(1003):
        lines.append("" if i % 17 == 0 else "   " if i % 29 == 0 else " ".join(
            WORDS[(i * 7 + j) % len(WORDS)] for j in range(1 + (i * 13) % 30)))
    path.write_text("\n".join(lines))
    return path


@pytest.mark.slow
@pytest.mark.parametrize("style", ["jsonl", "conll"])
def test_two_processes_write_what_one_writes(checkpoint: Path, tmp_path: Path, style: str) -> None:
    source = write_input(tmp_path / "in.txt")
    outputs = {}
    for processes in (1, 2):
        output = tmp_path / f"out{processes}.{style}"
        result = run(f"ckpt_path={checkpoint}", f"input={source}", f"output={output}", f"format={style}",
                     "batch_size=4", f"processes={processes}", cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]
        outputs[processes] = output.read_bytes()
    assert outputs[2] == outputs[1]
    expected_texts = 1003 if style == "jsonl" else None
    if expected_texts:
        assert outputs[1].count(b"\n") == expected_texts
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.slow
def test_torchrun_ranks_write_what_one_process_writes(checkpoint: Path, tmp_path: Path) -> None:
    source = write_input(tmp_path / "in.txt")
    one = run(f"ckpt_path={checkpoint}", f"input={source}", "output=-", "batch_size=8", cwd=tmp_path)
    ranks = run(f"ckpt_path={checkpoint}", f"input={source}", f"output={tmp_path / 'out.jsonl'}", "batch_size=8",
                cwd=tmp_path, launcher=("-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m"))
    assert one.returncode == 0 == ranks.returncode, ranks.stderr[-3000:]
    assert (tmp_path / "out.jsonl").read_text() == one.stdout


def test_a_bad_number_of_processes_is_one_line(tmp_path: Path) -> None:
    source = write_input(tmp_path / "in.txt")
    result = run(f"ckpt_path={tmp_path / 'none.ckpt'}", f"input={source}", "processes=0", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == ["seqlab-predict: error: processes must be a positive integer, got 0"]
    result = run(f"ckpt_path={tmp_path / 'none.ckpt'}", "input=-", "processes=2", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "seqlab-predict: error: bulk prediction (processes > 1, torchrun, srun) needs input=FILE: every rank reads it"]


@pytest.mark.slow
def test_a_model_the_ranks_cannot_read_is_one_line_and_leaves_the_output_alone(tmp_path: Path) -> None:
    source = write_input(tmp_path / "in.txt")
    (tmp_path / "bad.ckpt").write_bytes(b"not a checkpoint\n")
    keep = tmp_path / "keep.jsonl"
    keep.write_text("precious\n")
    result = run(f"ckpt_path={tmp_path / 'bad.ckpt'}", f"input={source}", f"output={keep}", "processes=2",
                 cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"seqlab-predict: error: {tmp_path / 'bad.ckpt'}: "), lines
    assert keep.read_text() == "precious\n" and not list(tmp_path.glob(".*partial"))
