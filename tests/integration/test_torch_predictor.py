"""The torch predictor rebuilds a checkpoint's network without Lightning, Hydra or ``datasets``,
and predicts exactly what the task does (tags, spans, scores, n-best, class probabilities)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from seqlab.backends.task_model import TaskModel
from seqlab.backends.torch_model import TorchModel
from seqlab.build import build_datamodule, build_task
from seqlab.checkpoint import CheckpointError
from seqlab.predictor import Predictor
from tests.integration.test_export import CONFIGS, randomize, sample_texts

BLOCKED = ("pytorch_lightning", "lightning", "lightning_fabric", "hydra", "omegaconf", "datasets", "torchmetrics")


def random_checkpoint(make_config, path: Path, *overrides: str):
    """A task with random weights (so tags vary) saved as training saves it; returns the task."""
    cfg = make_config(*overrides)
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    task = randomize(build_task(cfg, datamodule.spec, datamodule.pretrained_vectors).eval())
    task.checkpoint_extras = {"config": OmegaConf.to_container(cfg, resolve=True)}
    checkpoint = {"state_dict": task.state_dict()}
    task.on_save_checkpoint(checkpoint)
    torch.save(checkpoint, path)
    return task


@pytest.mark.parametrize("name", list(CONFIGS))
def test_the_rebuilt_network_predicts_what_the_task_predicts(make_config, tmp_path, name):
    kind, overrides = CONFIGS[name]
    task = random_checkpoint(make_config, tmp_path / "model.ckpt", *overrides)
    texts = sample_texts(kind)
    nbest = 1 if "softmax" in name else 3  # n-best paths need a CRF head (classifiers ignore it)
    light = Predictor.from_checkpoint(tmp_path / "model.ckpt", batch_size=5, nbest=nbest)
    assert isinstance(light.model, TorchModel)
    assert light.predict(texts) == Predictor(task, batch_size=5, nbest=nbest).predict(texts)  # the same arithmetic
    with pytest.raises(AttributeError, match="not a task; build Predictor"):
        light.task


def test_the_torch_path_imports_no_lightning_hydra_or_datasets(make_config, tmp_path):
    task = random_checkpoint(make_config, tmp_path / "model.ckpt", "+embedding/casing=default")
    texts = sample_texts("ner")[:6]
    expected = Predictor(task, nbest=2).predict(texts)
    script = f"""
import importlib.abc, json, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {BLOCKED!r}:
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
from seqlab.predictor import Predictor
print(json.dumps(Predictor.from_checkpoint({str(tmp_path / "model.ckpt")!r}, nbest=2).predict(json.loads(sys.stdin.read()))))
"""
    result = subprocess.run([sys.executable, "-c", script], input=json.dumps(texts), capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == expected


def test_a_task_that_recorded_no_prediction_kind_is_rebuilt_whole(make_config, tmp_path):
    task = random_checkpoint(make_config, tmp_path / "model.ckpt")
    checkpoint = torch.load(tmp_path / "model.ckpt", weights_only=True)
    del checkpoint["seqlab"]["prediction_kind"]  # as a plug-in task with its own predictions writes it
    torch.save(checkpoint, tmp_path / "plugin.ckpt")
    predictor = Predictor.from_checkpoint(tmp_path / "plugin.ckpt")
    assert isinstance(predictor.model, TaskModel)
    assert type(predictor.task) is type(task)
    texts = sample_texts("ner")[:4]
    assert predictor.predict(texts) == Predictor(task).predict(texts)


def test_weights_that_do_not_fit_the_network_are_a_checkpoint_error(make_config, tmp_path):
    random_checkpoint(make_config, tmp_path / "model.ckpt")
    checkpoint = torch.load(tmp_path / "model.ckpt", weights_only=True)
    checkpoint["seqlab"]["config"]["encoder"]["hidden_size"] = 7
    torch.save(checkpoint, tmp_path / "bad.ckpt")
    with pytest.raises(CheckpointError, match=r"bad.ckpt: its weights do not fit its network \(Error"):
        Predictor.from_checkpoint(tmp_path / "bad.ckpt")


def test_a_truncating_classifier_predicts_long_texts_as_trained(make_config, tmp_path):
    from seqlab.export import export_task

    task = random_checkpoint(make_config, tmp_path / "model.ckpt", "task=sentiment", "data.max_tokens=4",
                             "data.truncation=head+tail")
    long_text, kept = "a b c d e f g h", "a f g h"  # head+tail of 4: the first word, then the last three
    light = Predictor.from_checkpoint(tmp_path / "model.ckpt")
    assert (light.model.max_tokens, light.model.truncation) == (4, "head+tail")
    [long], [short] = light.predict([long_text]), light.predict([kept])
    assert long["probabilities"] == short["probabilities"] and long["tokens"] == long_text.split()
    onnx = Predictor.from_pretrained(export_task(task, tmp_path / "model", card={}))
    assert onnx.predict([long_text])[0]["label"] == long["label"]
