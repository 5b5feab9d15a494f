"""Every experiment file and every benchmark suite composes into the settings it documents."""
from __future__ import annotations

import importlib.util
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


def test_benchmark_suites_compose() -> None:
    spec = importlib.util.spec_from_file_location("benchmark_accuracy", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for overrides, *_ in module.SUITES.values():
        composed(*overrides)


def test_conll_glove_recipes() -> None:
    sgd = composed("experiment=conll2003_glove")
    assert (sgd.data.lowercase, sgd.trainer.max_epochs, sgd.optimizer._target_) == (False, 100, "torch.optim.SGD")
    deep = composed("experiment=conll2003_glove_2layers")
    assert (deep.encoder.num_layers, deep.encoder.hidden_size, deep.data.lowercase) == (2, 200, False)
    assert deep.scheduler._target_.endswith("ReduceLROnPlateau") and deep.embedding.word_dim == 50
