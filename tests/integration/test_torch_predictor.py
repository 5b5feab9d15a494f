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

from seqlab.predict.torch_backend import TorchBackend
from seqlab.training.build import build_datamodule, build_task
from seqlab.predict.checkpoint_file import read_checkpoint
from seqlab.training.checkpoint import CheckpointError
from seqlab.predict.predictor import Predictor
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
    assert isinstance(light.backend, TorchBackend)
    assert light.predict(texts) == Predictor(task, batch_size=5, nbest=nbest).predict(texts)  # the same arithmetic


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
from seqlab.predict.predictor import Predictor
print(json.dumps(Predictor.from_checkpoint({str(tmp_path / "model.ckpt")!r}, nbest=2).predict(json.loads(sys.stdin.read()))))
"""
    result = subprocess.run([sys.executable, "-c", script], input=json.dumps(texts), capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == expected


def test_a_checkpoint_in_the_0_2_layout_predicts_the_same(make_config, tmp_path):
    task = random_checkpoint(make_config, tmp_path / "model.ckpt")
    checkpoint = torch.load(tmp_path / "model.ckpt", weights_only=True)
    assert all(key.startswith("network.") for key in checkpoint["state_dict"])
    # 0.2 tasks held the embedder, encoder and head themselves and called the output prediction_kind
    checkpoint["state_dict"] = {k.removeprefix("network."): v for k, v in checkpoint["state_dict"].items()}
    checkpoint["seqlab"]["prediction_kind"] = checkpoint["seqlab"].pop("output")
    checkpoint["seqlab"]["format"] = 2
    torch.save(checkpoint, tmp_path / "old.ckpt")
    texts = sample_texts("ner")[:4]
    assert Predictor.from_checkpoint(tmp_path / "old.ckpt").predict(texts) == Predictor(task).predict(texts)


def test_a_0_2_plug_in_checkpoint_takes_its_output_and_head_arguments_from_its_task_class(make_config, tmp_path):
    task = random_checkpoint(make_config, tmp_path / "model.ckpt")
    checkpoint = torch.load(tmp_path / "model.ckpt", weights_only=True)
    meta = checkpoint["seqlab"]
    del meta["output"], meta["head_arguments"]  # as 0.2 wrote a task without a prediction kind
    meta["format"] = 2
    checkpoint["current_model_state"] = {k.removeprefix("network."): v for k, v in checkpoint["state_dict"].items()}
    checkpoint["state_dict"] = dict(checkpoint["current_model_state"])
    torch.save(checkpoint, tmp_path / "old.ckpt")
    read = read_checkpoint(tmp_path / "old.ckpt")
    assert read["seqlab"]["output"] == "tags" and read["seqlab"]["format"] == 3
    assert set(read["current_model_state"]) == set(read["state_dict"]) == set(task.state_dict())
    texts = sample_texts("ner")[:4]
    assert Predictor.from_checkpoint(tmp_path / "old.ckpt").predict(texts) == Predictor(task).predict(texts)


def test_a_tuple_in_a_stored_config_is_refused_before_anything_is_built(make_config, tmp_path):
    """weights_only loads tuples, which the target checks would not walk into."""
    random_checkpoint(make_config, tmp_path / "model.ckpt")
    checkpoint = torch.load(tmp_path / "model.ckpt", weights_only=True)
    checkpoint["seqlab"]["config"]["optimizer"]["foo"] = ({"_target_": "os.system", "_args_": ["true"]},)
    torch.save(checkpoint, tmp_path / "tuple.ckpt")
    with pytest.raises(CheckpointError, match=r"tuple.ckpt: config.optimizer.foo is a tuple; a stored config holds only"):
        read_checkpoint(tmp_path / "tuple.ckpt")


def test_a_checkpoint_whose_task_names_no_output_is_refused_in_one_line(make_config, tmp_path):
    random_checkpoint(make_config, tmp_path / "model.ckpt")
    checkpoint = torch.load(tmp_path / "model.ckpt", weights_only=True)
    checkpoint["seqlab"]["output"] = None  # as a plug-in task without an output_name writes it
    torch.save(checkpoint, tmp_path / "plugin.ckpt")
    with pytest.raises(CheckpointError, match=r"plugin.ckpt: seqlab.tasks.sequence_labeling.SequenceLabelingTask "
                                              r"names no output"):
        Predictor.from_checkpoint(tmp_path / "plugin.ckpt")


def test_weights_that_do_not_fit_the_network_are_a_checkpoint_error(make_config, tmp_path):
    random_checkpoint(make_config, tmp_path / "model.ckpt")
    checkpoint = torch.load(tmp_path / "model.ckpt", weights_only=True)
    checkpoint["seqlab"]["config"]["encoder"]["hidden_size"] = 7
    torch.save(checkpoint, tmp_path / "bad.ckpt")
    with pytest.raises(CheckpointError, match=r"bad.ckpt: its network cannot be rebuilt from its config \(the config "
                                              r"declares encoder.rnn.weight_ih_l0 of shape \[28, 150\], the weights "
                                              r"hold \[400, 150\]\)"):
        Predictor.from_checkpoint(tmp_path / "bad.ckpt")


def test_declared_sizes_are_compared_before_any_tensor_is_allocated(make_config, tmp_path):
    """A config declaring a 14 GB encoder is refused from the meta-device build, in a process that stays small."""
    random_checkpoint(make_config, tmp_path / "model.ckpt")
    checkpoint = torch.load(tmp_path / "model.ckpt", weights_only=True)
    checkpoint["seqlab"]["config"]["encoder"]["hidden_size"] = 30000
    torch.save(checkpoint, tmp_path / "huge.ckpt")
    script = f"""
import resource, sys
from seqlab.predict.checkpoint_file import CheckpointError
from seqlab.predict.predictor import Predictor
try:
    Predictor.from_checkpoint({str(tmp_path / "huge.ckpt")!r})
except CheckpointError as err:
    print(err)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    message, peak_mb = result.stdout.splitlines()
    assert "huge.ckpt: its network cannot be rebuilt from its config (the config declares encoder." in message
    assert int(peak_mb) < 1500


def test_a_truncating_classifier_predicts_long_texts_as_trained(make_config, tmp_path):
    from seqlab.predict.export import export_model

    task = random_checkpoint(make_config, tmp_path / "model.ckpt", "task=sentiment", "data.max_tokens=4",
                             "data.truncation=head+tail")
    long_text, kept = "a b c d e f g h", "a f g h"  # head+tail of 4: the first word, then the last three
    light = Predictor.from_checkpoint(tmp_path / "model.ckpt")
    assert (light.backend.max_tokens, light.backend.truncation) == (4, "head+tail")
    [long], [short] = light.predict([long_text]), light.predict([kept])
    assert long["probabilities"] == short["probabilities"] and long["tokens"] == long_text.split()
    onnx = Predictor.from_pretrained(export_model(Predictor(task).backend, tmp_path / "model", card={}))
    assert onnx.predict([long_text])[0]["label"] == long["label"]
