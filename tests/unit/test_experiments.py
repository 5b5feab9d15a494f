"""Every experiment file and every benchmark suite composes into the settings it documents."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from seqlab.config import config_dir

EXPERIMENTS = sorted(p.stem for p in (Path(config_dir()) / "experiment").glob("*.yaml"))
SCRIPT = Path(__file__).parents[2] / "scripts" / "benchmark_accuracy.py"


def composed(*overrides: str):
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        return compose("train", overrides=list(overrides))


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_composes(name: str) -> None:
    assert composed(f"experiment={name}").trainer.max_epochs > 0


@pytest.mark.slow
def test_benchmark_suites_compose() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--check-suites"], check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_accuracy_tables_of_parallel_seeds_merge_by_seed(tmp_path) -> None:
    def entry(*seeds_tests):
        runs = [{"seed": s, "dev_f1": 94.0, "test": t, "epochs": 30, "wall_s": 10.0} for s, t in seeds_tests]
        return {"overrides": ["experiment=conll2003"], "metric": "f1", "runs": runs, "target": None, "peers": "",
                "machine": {"device": "cpu", "threads": 1}}

    for folder, table in {"a": {"x": entry((1, 90.0))}, "b": {"x": entry((2, 91.0), (3, 92.0)), "y": entry((1, 80.0))},
                          "out": {"x": entry((3, 50.0))}}.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "accuracy.json").write_text(json.dumps(table))
    out = tmp_path / "out"
    subprocess.run([sys.executable, str(SCRIPT), "--merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)],
                   check=True, capture_output=True)
    merged = json.loads((out / "accuracy.json").read_text())
    assert [(r["seed"], r["test"]) for r in merged["x"]["runs"]] == [(1, 90.0), (2, 91.0), (3, 92.0)]
    assert (merged["x"]["test_mean"], merged["x"]["test_std"], merged["y"]["test_mean"]) == (91.0, 1.0, 80.0)
    assert "test_std" not in merged["y"] and "| x |" in (out / "accuracy.md").read_text()
    (tmp_path / "c").mkdir()
    conflicting = {"x": {**entry((4, 1.0)), "overrides": ["experiment=sst2"]}}
    (tmp_path / "c" / "accuracy.json").write_text(json.dumps(conflicting))
    done = subprocess.run([sys.executable, str(SCRIPT), "--merge", str(tmp_path / "c"), "--out", str(out)],
                          check=False, capture_output=True, text=True)
    assert done.returncode != 0 and "suite 'x' has overrides" in done.stderr
    assert json.loads((out / "accuracy.json").read_text()) == merged


def test_conll_glove_recipes() -> None:
    sgd = composed("experiment=conll2003_glove")
    assert (sgd.embedding.word.lowercase, sgd.trainer.max_epochs, sgd.optimizer._target_) == (False, 100, "torch.optim.SGD")
    deep = composed("experiment=conll2003_glove_2layers")
    assert (deep.encoder.num_layers, deep.encoder.hidden_size, deep.embedding.word.lowercase) == (2, 200, False)
    assert deep.scheduler._target_.endswith("ReduceLROnPlateau") and deep.embedding.word.dim == 50
    drift = composed("experiment=conll2003_glove_drift")
    assert drift == composed("experiment=conll2003_glove_2layers", "callbacks=drift",
                             "callbacks.unseen_word_drift.neighbours=20", "callbacks.unseen_word_drift.scale=2.0")
