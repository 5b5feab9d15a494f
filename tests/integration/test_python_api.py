"""``seqlab.train`` / ``seqlab.evaluate`` from Python: the command line's run, twice in one interpreter."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import json, logging
import seqlab
from hydra.core.global_hydra import GlobalHydra

handlers = list(logging.getLogger().handlers)
fast = ["trainer.max_epochs=1", "trainer.enable_progress_bar=false"]
first = seqlab.train(fast)
second = seqlab.train([*fast, "encoder.hidden_size=24"])
tested = seqlab.evaluate(second.checkpoint, output_dir="eval")
try:
    seqlab.train(["data.dir=no/such/folder"])
    failed = None
except Exception as err:
    failed = type(err).__name__ + ": " + str(err)
print(json.dumps({
    "runs": [str(first.output_dir), str(second.output_dir)],
    "checkpoints": [str(first.checkpoint), str(second.checkpoint)],
    "metrics": [first.metrics, second.metrics],
    "evaluated": tested.metrics,
    "failed": failed,
    "hydra_left": GlobalHydra.instance().is_initialized(),
    "handlers_same": list(logging.getLogger().handlers) == handlers,
}))
"""


def test_train_twice_and_evaluate_in_one_interpreter(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    first, second = map(Path, out["runs"])
    assert first != second and first.is_dir() and second.is_dir()  # started within a second: still two folders
    for run, checkpoint, metrics in zip((first, second), out["checkpoints"], out["metrics"]):
        assert Path(checkpoint).is_file() and Path(checkpoint).is_relative_to(run)
        assert json.loads((run / "results.json").read_text())["test/f1"] == pytest.approx(metrics["test/f1"])
        assert (run / ".hydra" / "overrides.yaml").is_file() and (run / "seqlab-train.log").is_file()
    # the override reached the model, and the checkpoint records the command that repeats the run
    import torch

    stored = torch.load(out["checkpoints"][1], map_location="cpu", weights_only=False)["seqlab"]
    assert stored["config"]["encoder"]["hidden_size"] == 24
    assert stored["command"] == "seqlab-train " + " ".join(["trainer.max_epochs=1", "trainer.enable_progress_bar=false",
                                                            "encoder.hidden_size=24"])
    assert out["evaluated"]["test/f1"] == pytest.approx(out["metrics"][1]["test/f1"])
    assert (tmp_path / "eval" / "results.json").is_file()
    assert out["failed"] and "no/such/folder" in out["failed"]  # an error is a Python exception, not an exit
    assert out["hydra_left"] is False and out["handlers_same"] is True
