"""Mixed precision: `trainer.precision=bf16-mixed` trains and tests on the CPU too."""
from __future__ import annotations

import math

from seqlab.training.pipeline import train


def test_bf16_mixed_runs_on_cpu(make_config) -> None:
    results = train(make_config("trainer.precision=bf16-mixed"))
    assert results["epochs"] == 2
    assert math.isfinite(results["test/f1"]) and math.isfinite(results["val/f1_best"])
