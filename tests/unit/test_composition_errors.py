"""Hydra's composition errors as one line naming the closest key or option and the syntax that works."""
from __future__ import annotations

import subprocess
import sys

import pytest
from hydra import compose, initialize_config_dir

from seqlab.cli.composition import COMPOSITION_ERRORS, composition_message
from seqlab.config import config_dir

CASES = [
    ("encoder.hiden_size=3", "encoder.hiden_size=3: no such key; did you mean encoder.hidden_size=3?"),
    ("encodr=bilstm", "encodr=bilstm: no such key; did you mean encoder=bilstm?"),
    ("encoder=bilstmm", "encoder=bilstmm: the group encoder has no option 'bilstmm'; did you mean encoder=bilstm? "
                        "(options: bigru, bilstm, none)"),
    ("embedding/char=cnnn", "did you mean embedding/char=cnn?"),
    ("embedding/charr=cnn", "embedding/charr=cnn: no such config group; did you mean embedding/char=cnn?"),
    ("+encoder.hidden_size=3", "encoder.hidden_size is already in the config; set it without the + "
                               "(encoder.hidden_size=3)"),
    ("encoder.hidden_size=1,2", "add -m to sweep over 1,2, or write encoder.hidden_size=[1,2] for a list"),
    ("encoder.hidden_size=[1", "cannot read the override 'encoder.hidden_size=[1'"),
    ("~encoder.hiden_size", "~encoder.hiden_size: no such key to delete; did you mean ~encoder.hidden_size?"),
    ("foo.bar=1", "foo.bar=1: the config has no 'foo'; a new key is added with +foo.bar=1"),
]


@pytest.mark.parametrize(("override", "expected"), CASES)
def test_a_composition_error_is_one_line_with_the_closest_name(override: str, expected: str) -> None:
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        with pytest.raises(COMPOSITION_ERRORS) as caught:
            compose("train", overrides=["trainer.max_epochs=1", override])
    message = composition_message(caught.value, "train", ["trainer.max_epochs=1", override])
    assert expected in message and "\n" not in message


def test_an_argument_the_config_leaves_out_is_added_with_a_plus() -> None:
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        with pytest.raises(COMPOSITION_ERRORS) as caught:
            compose("train", overrides=["trainer.min_epochs=3"])
    message = composition_message(caught.value, "train", ["trainer.min_epochs=3"])
    assert message.startswith("trainer.min_epochs=3: min_epochs is an argument of ")
    assert message.endswith("add it with +trainer.min_epochs=3")


@pytest.mark.parametrize(("module", "override", "expected"), [
    ("seqlab.cli.train", "encoder=bilstmm", "did you mean encoder=bilstm? (options: bigru, bilstm, none)"),
    ("seqlab.cli.predict", "formt=conll", "formt=conll: no such key; did you mean format=conll?"),
])
def test_the_commands_print_it_in_one_line_and_exit_2(module: str, override: str, expected: str) -> None:
    result = subprocess.run([sys.executable, "-m", module, override], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith(expected)
    assert "Traceback" not in result.stderr and "HYDRA_FULL_ERROR" not in result.stderr
