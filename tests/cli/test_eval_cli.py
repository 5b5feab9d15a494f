"""`seqlab-eval` on a checkpoint: needs only the checkpoint and a labelled file; F1 equals conlleval's."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from seqeval.metrics import f1_score

from seqlab.metrics.reports import entity_confusion
from seqlab.resources import sample_path


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    from hydra import compose, initialize_config_dir

    from seqlab.config import config_dir
    from seqlab.training.pipeline import train

    out = tmp_path_factory.mktemp("train")
    overrides = ["trainer.max_epochs=4", "trainer.enable_progress_bar=false", f"paths.output_dir={out}",
                 f"data.cache_dir={out / 'cache'}", "data.tag_scheme=IOBES"]
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        train(compose("train", overrides=overrides))
    return out / "checkpoints" / "last.ckpt"


def test_eval_reads_only_the_test_file_and_matches_conlleval(checkpoint: Path, tmp_path: Path) -> None:
    data = tmp_path / "elsewhere"
    data.mkdir()
    shutil.copy(sample_path("conll") / "test.txt", data / "heldout.txt")  # no train or dev file here
    command = [sys.executable, "-m", "seqlab.cli.evaluate", f"ckpt_path={checkpoint}", f"data.dir={data}",
               "data.test_file=heldout.txt", f"hydra.run.dir={tmp_path / 'run'}"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    reports = tmp_path / "run" / "reports"
    for name in ("test_report.txt", "test_report.json", "test_f1.png", "test_confusion.png", "test_predictions.conll"):
        assert (reports / name).is_file(), name
    assert (reports / "test_f1.png").read_bytes()[:4] == b"\x89PNG"
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["test_file"].endswith("heldout.txt")
    gold, predicted = [[]], [[]]
    for line in (reports / "test_predictions.conll").read_text().splitlines():
        if not line:
            gold.append([]), predicted.append([])
            continue
        _, g, p = line.split(" ")
        gold[-1].append(g), predicted[-1].append(p)
    gold, predicted = [s for s in gold if s], [s for s in predicted if s]
    # seqeval's default mode is the conlleval algorithm; strict mode on valid CRF output agrees with it.
    assert results["test/f1"] == pytest.approx(f1_score(gold, predicted), abs=1e-6)
    report = json.loads((reports / "test_report.json").read_text())
    assert report["scheme"] == "IOBES" and report["confusion_labels"][-1] == "(none)"


def test_entity_confusion_counts_by_boundaries() -> None:
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    predicted = [["B-PER", "I-PER", "O", "B-ORG"], ["O", "B-LOC"]]
    labels, matrix = entity_confusion(gold, predicted, "IOB2")
    assert labels == ["LOC", "ORG", "PER", "(none)"]
    counts = {(labels[i], labels[j]): n for i, row in enumerate(matrix) for j, n in enumerate(row) if n}
    assert counts == {("PER", "PER"): 1, ("LOC", "ORG"): 1, ("ORG", "(none)"): 1, ("(none)", "LOC"): 1}


@pytest.mark.slow
def test_eval_rejects_a_corrupt_checkpoint(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    command = [sys.executable, "-m", "seqlab.cli.evaluate", f"ckpt_path={bad}", f"hydra.run.dir={tmp_path / 'run'}"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode != 0 and "cannot be read as a checkpoint" in result.stderr
