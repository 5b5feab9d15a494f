"""`seqlab-train` as a user runs it: a subprocess with Hydra overrides."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

TRAIN = [sys.executable, "-m", "seqlab.cli.train"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*TRAIN, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_default_run_writes_report_and_checkpoint(tmp_path: Path) -> None:
    result = run("trainer.max_epochs=3", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "run"
    assert "micro avg" in result.stdout and "PER" in result.stdout  # the seqeval report is printed
    report = json.loads((out / "reports" / "test_report.json").read_text())
    assert report["mode"] == "strict" and report["scheme"] == "IOB2"
    assert set(report) >= {"PER", "LOC", "ORG", "MISC", "micro avg"}
    assert (out / "reports" / "test_report.txt").read_text().startswith("test: seqeval strict")
    assert (out / "checkpoints" / "last.ckpt").is_file()
    results = json.loads((out / "results.json").read_text())
    assert Path(results["best_checkpoint"]).is_file() and "test/f1" in results
    checkpoint = torch.load(results["best_checkpoint"], map_location="cpu", weights_only=False)
    assert checkpoint["seqlab"]["spec"]["tag_scheme"] == "IOB2"
    assert checkpoint["seqlab"]["config"]["encoder"]["hidden_size"] == 100
    assert json.loads(checkpoint["seqlab"]["spec"]["word_tokenizer"])["model"]["type"] == "WordLevel"
    assert (out / "tokenizers" / "word.json").is_file() and (out / "tokenizers" / "char.json").is_file()
    # the model card: the best checkpoint carries its test metrics; seqlab-info prints them
    assert checkpoint["seqlab"]["test_metrics"]["test/f1"] == pytest.approx(results["test/f1"])
    info = subprocess.run([sys.executable, "-m", "seqlab.cli.info", results["best_checkpoint"]], capture_output=True,
                          text=True, timeout=120)
    assert info.returncode == 0, info.stderr
    assert "test/f1" in info.stdout and "val/f1_best" in info.stdout and "sha256" in info.stdout
    assert "trainer.max_epochs=3" in info.stdout  # the command that trained it
    card = json.loads(subprocess.run([sys.executable, "-m", "seqlab.cli.info", results["best_checkpoint"], "--json"],
                                     capture_output=True, text=True, timeout=120).stdout)
    assert card["config"]["encoder"]["hidden_size"] == 100 and {f["split"] for f in card["data_files"]} == {
        "train", "dev", "test"}


def test_cfg_job_prints_the_composed_config(tmp_path: Path) -> None:
    result = run("--cfg", "job", "encoder.hidden_size=256", "head=softmax", "optimizer=sgd", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "hidden_size: 256" in result.stdout
    assert "seqlab.modules.heads.SoftmaxTagHead" in result.stdout
    assert "_target_: torch.optim.SGD" in result.stdout


def test_experiment_conll2003_composes_with_a_data_dir_override(tmp_path: Path) -> None:
    result = run("--cfg", "job", "experiment=conll2003", "data.dir=/my/conll", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "dir: /my/conll" in result.stdout and "tag_scheme: IOBES" in result.stdout


@pytest.mark.slow
def test_missing_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    result = run(f"data.dir={tmp_path / 'nowhere'}", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert result.returncode == 2  # told before torch is imported, in one line
    assert result.stderr.strip() == f"seqlab-train: error: {tmp_path / 'nowhere'}: no such folder (data.dir)"


@pytest.mark.slow
def test_default_run_learns_the_sample(tmp_path: Path) -> None:
    result = run(f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    # 0.847 at one thread (the suite's); the floor tells learning from noise, not the recipe's best
    assert json.loads((tmp_path / "run" / "results.json").read_text())["test/f1"] > 0.8


@pytest.mark.slow
def test_sentiment_run_writes_classification_report(tmp_path: Path) -> None:
    result = run("task=sentiment", "trainer.max_epochs=2", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "run"
    assert "confusion matrix" in result.stdout and "accuracy" in result.stdout  # the report is printed
    report = json.loads((out / "reports" / "test_report.json").read_text())
    assert "accuracy" in report and report["labels"] == ["0", "1"]
    assert set(report) >= {"0", "1", "macro avg", "confusion_matrix"}
    assert sum(map(sum, report["confusion_matrix"])) == report["macro avg"]["support"] == 100
    assert (out / "reports" / "test_confusion.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "reports" / "test_predictions.tsv").read_text().startswith("text\tgold\tpredicted\n")
    assert (out / "checkpoints" / "last.ckpt").is_file()
    results = json.loads((out / "results.json").read_text())
    assert 0.0 <= results["test/accuracy"] <= 1.0 and "test/f1" in results
    assert results["test/accuracy"] == pytest.approx(report["accuracy"], abs=1e-6)
    checkpoint = torch.load(out / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint["seqlab"]["spec"]["labels"] == ["0", "1"]
    assert checkpoint["seqlab"]["config"]["task"]["_target_"].endswith("TextClassificationTask")
