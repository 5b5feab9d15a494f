"""The composed config is checked against the constructors it will call, naming the key, before any file is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from seqlab.config import config_dir
from seqlab.training.config_check import ConfigError, check_config

EXPERIMENTS = sorted(p.stem for p in (Path(config_dir()) / "experiment").glob("*.yaml"))


def composed(*overrides: str):
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        return compose("train", overrides=[*overrides, "paths.output_dir=/tmp/unused"])


@pytest.mark.parametrize("overrides", [(), ("task=sentiment",), ("callbacks=ema",), ("callbacks=drift",),
                                       ("+embedding/casing=default",), ("embedding/char=lstm",), ("trainer=ddp",),
                                       ("task=sentiment", "data.labels=[0,1]")]
                         + [(f"experiment={name}",) for name in EXPERIMENTS])
def test_shipped_configs_pass(overrides):
    check_config(composed(*overrides))


@pytest.mark.parametrize("override, message", [
    ("encoder.hidden_size=abc", "encoder.hidden_size: expected a positive integer, got 'abc'"),
    ("encoder.hidden_size=-5", "encoder.hidden_size: expected a positive integer, got -5"),
    ("encoder.dropout=1.5", "encoder.dropout: expected a number in [0, 1), got 1.5"),
    ("data.batch_size=0", "data.batch_size: expected a positive integer, got 0"),
    ("optimizer.lr=abc", "optimizer.lr: expected a non-negative number, got 'abc'"),
    ("optimizer.lr=-1", "optimizer.lr: expected a non-negative number, got -1"),
    ("embedding.word.dim=1.5", "embedding.word.dim: expected a positive integer, got 1.5"),
    ("embedding.char.kernel_size=0", "embedding.char.kernel_size: expected a positive integer, got 0"),
    ("trainer.max_epochs=abc", "trainer.max_epochs: expected an integer or null, got 'abc'"),
    ("+encoder.hiden_size=3", "encoder.hiden_size: seqlab.modules.encoder.BiLSTMEncoder takes no argument 'hiden_size' "
                              "(did you mean hidden_size?)"),
    ("encoder._target_=seqlab.modules.nowhere.Encoder", "encoder._target_ 'seqlab.modules.nowhere.Encoder' cannot be "
                                                        "imported"),
])
def test_a_bad_value_names_its_key_and_what_was_expected(override, message):
    with pytest.raises(ConfigError) as info:
        check_config(composed(override))
    assert str(info.value) == message


def test_the_check_runs_before_any_data_is_read(tmp_path):
    from seqlab.training.pipeline import train

    cfg = composed("encoder.hidden_size=abc", f"data.dir={tmp_path / 'no such folder'}")
    with pytest.raises(ConfigError, match="encoder.hidden_size"):  # not a missing-file error
        train(cfg)
