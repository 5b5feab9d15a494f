"""Each logger writes its files offline, alone or combined (logger=[csv,tensorboard])."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a CLI training per logger (metrics.csv is covered by the fast resume test)


def train(tmp_path: Path, *overrides: str, name: str = "run") -> Path:
    out = tmp_path / name
    result = subprocess.run(
        [sys.executable, "-m", "seqlab.cli.train", "trainer.max_epochs=2", "trainer.enable_progress_bar=false",
         f"hydra.run.dir={out}", *overrides],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={"WANDB_MODE": "offline", "WANDB_SILENT": "true", "PATH": "/usr/bin:/bin",
             "HOME": str(tmp_path), "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_csv_and_tensorboard_together(tmp_path: Path) -> None:
    out = train(tmp_path, "logger=[csv,tensorboard]")
    assert (out / "logs" / "version_0" / "metrics.csv").is_file()
    # TensorBoard writes under the project's log root (paths.root), not inside the run folder
    events = list((tmp_path / "outputs" / "tensorboard").rglob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 0
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(events[0].parent))
    accumulator.Reload()
    assert {"val/f1", "train/loss"} <= set(accumulator.Tags()["scalars"])


def test_mlflow_keeps_every_run_of_the_project_in_one_store(tmp_path: Path) -> None:
    mlflow = pytest.importorskip("mlflow")
    first = train(tmp_path, "logger=mlflow", name="first")
    second = train(tmp_path, "logger=mlflow", "encoder.hidden_size=24", name="second")
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'outputs' / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("seqlab").experiment_id])
    assert len(runs) == 2 and all({"val/f1", "train/loss"} <= set(run.data.metrics) for run in runs)
    assert {run.data.params["paths.output_dir"] for run in runs} == {str(first), str(second)}


def test_wandb_writes_an_offline_run(tmp_path: Path) -> None:
    pytest.importorskip("wandb")
    out = train(tmp_path, "logger=wandb")
    runs = list((out / "wandb").glob("offline-run-*"))
    assert runs and list(runs[0].glob("*.wandb"))
