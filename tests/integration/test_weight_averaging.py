"""callbacks=ema: dev, the saved checkpoints, the final test and seqlab-eval all use the averaged weights."""
from __future__ import annotations

import pytest
import torch

from seqlab.training.pipeline import evaluate, train

EMA = ["callbacks=ema", "callbacks.weight_averaging.decay=0.8", "trainer.max_epochs=6", "seed=5"]


def test_checkpoint_holds_the_average_and_test_scores_it(make_config, tmp_path) -> None:
    results = train(make_config(*EMA, "~callbacks.early_stopping"))
    saved = torch.load(results["best_checkpoint"], map_location="cpu", weights_only=False)
    average, current = saved["state_dict"], saved["current_model_state"]
    assert average.keys() == current.keys()
    assert any(not torch.equal(average[k], current[k]) for k in average), "the average equals the raw weights"

    assert results["test/f1"] > 0.2
    again = evaluate(results["best_checkpoint"], tmp_path / "eval")  # loads state_dict, the average
    assert again["test/f1"] == results["test/f1"]


@pytest.mark.slow
def test_resumed_ema_run_equals_uninterrupted(make_config, tmp_path) -> None:
    straight = train(make_config(*EMA, "~callbacks.early_stopping", f"paths.output_dir={tmp_path / 'a'}"))
    resumed_dir = f"paths.output_dir={tmp_path / 'b'}"
    train(make_config(*EMA, "~callbacks.early_stopping", resumed_dir, "trainer.max_epochs=2"))
    resumed = train(make_config(*EMA, "~callbacks.early_stopping", resumed_dir, "ckpt_path=last"))
    assert resumed["test/f1"] == straight["test/f1"]
    a, b = (torch.load(tmp_path / run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
            for run in "ab")
    for key in ("state_dict", "current_model_state"):
        assert all(torch.equal(a[key][k], b[key][k]) for k in a[key])
