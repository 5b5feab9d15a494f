"""A classifier reports accuracy beside macro-F1: in its epoch lines, results.json and sweep summaries."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from seqlab.training.pipeline import train
from seqlab.training.sweep import summary_table


def test_epoch_lines_and_results_carry_accuracy_and_macro_f1(make_config, tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.INFO):
        results = train(make_config("task=sentiment", "trainer.max_epochs=2"))
    epochs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("epoch ")]
    assert len(epochs) == 2 and all("dev macro-F1 " in e and "  accuracy " in e for e in epochs)
    assert "the checkpoint kept and tested is the epoch with the best dev macro-F1 (val/f1)" in caplog.text
    stored = json.loads((tmp_path / "results.json").read_text())
    assert {"val/accuracy", "val/f1", "test/accuracy", "test/f1"} <= set(stored)
    assert stored["val/f1"] == pytest.approx(stored["val/f1_best"]) == pytest.approx(results["val/f1_best"])


def test_a_sweep_summary_spreads_accuracy_and_macro_f1() -> None:
    trials = [
        {"job": i, "overrides": [f"seed={i}"], "monitor": "val/f1", "status": "ok", "best": f1, "epochs": 3,
         "wall_time_s": 1.0, "dir": str(i), "test": {"test/f1": f1 - 0.1, "test/accuracy": acc - 0.1},
         "val": {"val/f1": f1, "val/accuracy": acc}}
        for i, (f1, acc) in enumerate([(0.8, 0.9), (0.6, 0.7)])
    ]
    summary = summary_table(trials)
    assert "best val/f1 0.7000 ± 0.1414, test/f1 0.6000 ± 0.1414" in summary
    assert "val/accuracy 0.8000 ± 0.1414, test/accuracy 0.7000 ± 0.1414" in summary
