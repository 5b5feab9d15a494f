"""Shared fixtures: the real Hydra config, composed and shrunk for fast CPU runs."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from seqlab.config import config_dir

FAST = [
    "trainer.accelerator=cpu",
    "trainer.max_epochs=2",
    "trainer.enable_progress_bar=false",
    "trainer.log_every_n_steps=1",
    "data.batch_size=16",
]


def compose_config(out: Path, *overrides: str) -> DictConfig:
    """``train.yaml`` with ``overrides`` (after the fast defaults), writing into ``out``."""
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        return compose(
            "train", overrides=[*FAST, f"paths.output_dir={out}", f"data.cache_dir={out / 'cache'}", *overrides]
        )


@pytest.fixture
def make_config(tmp_path: Path):
    """Compose ``train.yaml`` with ``overrides`` (after the fast defaults), writing into tmp_path."""
    return lambda *overrides: compose_config(tmp_path, *overrides)


@pytest.fixture(scope="session")
def ner_datamodule(tmp_path_factory):
    """The NER sample's data module from the composed default config, set up (spec built, not encoded)."""
    from seqlab.training.build import build_datamodule

    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("train", overrides=[f"data.cache_dir={tmp_path_factory.mktemp('cache')}"])
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    return datamodule


# Tests are tiny: one thread each avoids oversubscribing small CI machines (two cores), where
# threaded torch ran 10-20x slower under load. Subprocesses inherit the variable.
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    """A tiny random BERT folder (2 layers, hidden 16, 64 positions) with a WordPiece tokenizer."""
    pytest.importorskip("transformers")
    from tests.tiny_bert import save_tiny_bert

    return save_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))
