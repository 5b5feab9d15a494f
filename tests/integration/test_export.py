"""ONNX export: the model folder's predictions equal the torch Predictor's; its path imports no
torch; a bad folder is a clear error naming the file; nothing half-written is left."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from seqlab.training.build import build_datamodule, build_task  # noqa: E402
from seqlab.predict.export import export_model  # noqa: E402
from seqlab.predict.model_folder import ModelFolderError  # noqa: E402
from seqlab.predict.predictor import Predictor  # noqa: E402
from seqlab.resources import sample_path  # noqa: E402

EDGE_TEXTS = ["", "   ", "Zzqxv unseen ¤¤ characters in 1,234 places", "a", " ".join(["Berlin"] * 300),
              "EU rejects German call to boycott British lamb ."]


def sample_texts(task: str) -> list[str]:
    if task == "sentiment":
        lines = (sample_path("sentiment") / "test.tsv").read_text().splitlines()[1:]
        return [line.split("\t")[0] for line in lines] + EDGE_TEXTS
    sentences, words = [], []
    for line in (sample_path("conll") / "test.txt").read_text().splitlines() + [""]:
        if line.strip():
            words.append(line.split()[0])
        elif words:
            sentences.append(" ".join(words))
            words = []
    return sentences + EDGE_TEXTS


def random_task(make_config, *overrides: str):
    """A task built from config with large random weights (so tags vary), padding rows kept at zero."""
    cfg = make_config(*overrides)
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    return randomize(build_task(cfg, datamodule.spec, datamodule.pretrained_vectors).eval())


def randomize(task):
    """``task`` with large random weights, padding rows kept at zero (as training keeps them)."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, parameter in task.named_parameters():
            if "kept_vectors" not in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
        for module in task.modules():
            if isinstance(module, nn.Embedding) and module.padding_idx is not None:
                module.weight[module.padding_idx] = 0.0
    return task


def assert_same_predictions(torch_out: list[dict], onnx_out: list[dict]) -> None:
    assert len(torch_out) == len(onnx_out)
    for a, b in zip(torch_out, onnx_out):
        assert a["tokens"] == b["tokens"]
        if "tags" in a:
            assert a["tags"] == b["tags"]
            assert [(s["type"], s["start"], s["end"], s["char_start"], s["char_end"]) for s in a["spans"]] == \
                   [(s["type"], s["start"], s["end"], s["char_start"], s["char_end"]) for s in b["spans"]]
            assert all(abs(x["score"] - y["score"]) <= 1e-3 for x, y in zip(a["spans"], b["spans"]))
        else:
            assert a["label"] == b["label"]
            assert a["probabilities"].keys() == b["probabilities"].keys()
            assert all(abs(a["probabilities"][k] - b["probabilities"][k]) < 1e-5 for k in a["probabilities"])


CONFIGS = {
    "ner_cnn_crf": ("ner", ()),
    "ner_lstm_casing_softmax_gru": ("ner", ("embedding/char=lstm", "+embedding/casing=default", "head=softmax",
                                            "encoder=bigru", "encoder.num_layers=2")),
    "ner_iobes_words_only": ("ner", ("~embedding/char", "data.tag_scheme=IOBES")),
    "sentiment_max": ("sentiment", ("task=sentiment",)),
    "sentiment_attention_chars": ("sentiment", ("task=sentiment", "head.pooling=attention")),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_model_folder_predicts_what_the_torch_task_predicts(make_config, tmp_path, name):
    kind, overrides = CONFIGS[name]
    task = random_task(make_config, *overrides)
    folder = export_model(Predictor(task).backend, tmp_path / "model", card={"name": name})
    texts = sample_texts(kind)
    expected = Predictor(task, batch_size=7).predict(texts)
    for threads, batch_size in ((1, 5), (3, 16)):  # one run at a time; several length groups at once
        got = Predictor.from_pretrained(folder, batch_size=batch_size, threads=threads).predict(texts)
        assert_same_predictions(expected, got)
    if kind == "ner":
        assert len({tag for p in expected for tag in p["tags"]}) > 2  # the random model tags variously


def test_kept_vectors_travel_in_the_folder(make_config, tmp_path):
    words = ["zanzibar", "kathmandu"] + sorted({line.split()[0] for line in
                                                 (sample_path("conll") / "train.txt").read_text().splitlines()
                                                 if line.strip()})
    generator = torch.Generator().manual_seed(1)
    path = tmp_path / "vectors.txt"
    path.write_text("".join(f"{w} {' '.join(f'{x:.5f}' for x in torch.randn(8, generator=generator).tolist())}\n"
                            for w in words))
    task = random_task(make_config, f"embedding.word.pretrained={path}", "embedding.word.dim=8",
                       "embedding.word.keep=all")
    folder = export_model(Predictor(task).backend, tmp_path / "model", card={})
    texts = ["Zanzibar and KATHMANDU are far from Berlin .", *sample_texts("ner")[:5]]
    assert_same_predictions(Predictor(task).predict(texts), Predictor.from_pretrained(folder).predict(texts))
    quantized = export_model(Predictor(task).backend, tmp_path / "int8", card={}, quantize="int8")
    first = Predictor.from_pretrained(quantized).predict(texts)[0]
    assert len(first["tags"]) == len(first["tokens"]) == 8


def test_the_onnx_path_imports_no_torch_lightning_hydra_or_datasets(make_config, tmp_path):
    task = random_task(make_config)
    folder = export_model(Predictor(task).backend, tmp_path / "model", card={})
    texts = sample_texts("ner")[:4]
    expected = Predictor(task).predict(texts)
    script = f"""
import importlib.abc, json, sys
BLOCKED = ("torch", "pytorch_lightning", "lightning", "lightning_fabric", "hydra", "omegaconf", "datasets")
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
from seqlab.predict.predictor import Predictor
print(json.dumps(Predictor.from_pretrained({str(folder)!r}).predict(json.loads(sys.stdin.read()))))
"""
    result = subprocess.run([sys.executable, "-c", script], input=json.dumps(texts), capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert_same_predictions(expected, json.loads(result.stdout))


def test_bad_folders_are_errors_naming_the_file(make_config, tmp_path):
    task = random_task(make_config)
    good = export_model(Predictor(task).backend, tmp_path / "good", card={})

    def broken(name: str) -> Path:
        copy = tmp_path / name
        shutil.copytree(good, copy)
        return copy

    missing = broken("missing")
    (missing / "char_ids.tokenizer.json").unlink()
    with pytest.raises(ModelFolderError, match="char_ids.tokenizer.json: missing tokenizer file"):
        Predictor.from_pretrained(missing)
    no_graph = broken("no_graph")
    (no_graph / "model.onnx").unlink()
    with pytest.raises(ModelFolderError, match="model.onnx: missing"):
        Predictor.from_pretrained(no_graph)
    future = broken("future")
    manifest = json.loads((future / "seqlab-model.json").read_text())
    (future / "seqlab-model.json").write_text(json.dumps({**manifest, "format": 99}))
    with pytest.raises(ModelFolderError, match="seqlab-model.json: model folder format 99"):
        Predictor.from_pretrained(future)
    relabelled = broken("relabelled")
    (relabelled / "seqlab-model.json").write_text(json.dumps({**manifest, "labels": manifest["labels"][:-1]}))
    with pytest.raises(ModelFolderError, match="model.onnx: the graph was exported for other labels"):
        Predictor.from_pretrained(relabelled)
    garbage = broken("garbage")
    (garbage / "model.onnx").write_bytes(b"not a graph")
    with pytest.raises(ModelFolderError, match="model.onnx: cannot be loaded by onnxruntime"):
        Predictor.from_pretrained(garbage)
    not_json = broken("not_json")
    (not_json / "seqlab-model.json").write_text("{")
    with pytest.raises(ModelFolderError, match="seqlab-model.json: not valid JSON"):
        Predictor.from_pretrained(not_json)
    with pytest.raises(ModelFolderError, match="no such model folder"):
        Predictor.from_pretrained(tmp_path / "nowhere")


def test_a_crf_folder_keeps_emissions_in_the_graph_and_the_crf_scores_beside_it(make_config, tmp_path):
    task = random_task(make_config)
    folder = export_model(Predictor(task).backend, tmp_path / "model", card={})
    manifest = json.loads((folder / "seqlab-model.json").read_text())
    assert manifest["format"] == 2 and manifest["graph_outputs"] == ["emissions"]
    scores = json.loads((folder / manifest["decoding"]).read_text())["crf"]
    assert len(scores["transitions"]) == len(scores["start"]) == len(manifest["labels"])
    (folder / "decoding.json").write_text(json.dumps({"crf": {**scores, "end": [0.0]}}))
    with pytest.raises(ModelFolderError, match="decoding.json: CRF scores do not fit"):
        Predictor.from_pretrained(folder)


def test_export_never_leaves_a_half_written_folder(make_config, tmp_path, monkeypatch):
    from seqlab.predict import export
    from seqlab.errors import ConfigError

    task = random_task(make_config)

    def failing(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export, "export_onnx", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        export_model(Predictor(task).backend, tmp_path / "model", card={})
    assert [p.name for p in tmp_path.iterdir() if p.name != "cache"] == []  # nor its temporary twin
    monkeypatch.undo()
    export_model(Predictor(task).backend, tmp_path / "model", card={})
    with pytest.raises(ConfigError, match="already exists"):
        export_model(Predictor(task).backend, tmp_path / "model", card={})


def test_int8_quantization_runs(make_config, tmp_path):
    task = random_task(make_config)
    folder = export_model(Predictor(task).backend, tmp_path / "model", card={}, quantize="int8")
    assert json.loads((folder / "seqlab-model.json").read_text())["quantized"] == "int8"
    predictions = Predictor.from_pretrained(folder).predict(sample_texts("ner")[:3])
    assert all(len(p["tags"]) == len(p["tokens"]) for p in predictions)


@pytest.mark.slow
def test_cli_export_then_predict_with_the_folder(tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), capture_output=True, text=True, cwd=tmp_path, timeout=600)

    trained = run("seqlab-train", "trainer.max_epochs=1", "trainer.enable_progress_bar=false",
                  f"paths.output_dir={tmp_path / 'run'}", f"data.cache_dir={tmp_path / 'cache'}")
    assert trained.returncode == 0, trained.stderr[-2000:]
    ckpt = next((tmp_path / "run" / "checkpoints").glob("epoch*.ckpt"))
    exported = run("seqlab-export", f"ckpt_path={ckpt}", f"output={tmp_path / 'model'}")
    assert exported.returncode == 0, exported.stderr[-2000:]
    card = json.loads((tmp_path / "model" / "model_card.json").read_text())
    assert "test/f1" in card["metrics"] and card["command"] and card["data_files"]
    (tmp_path / "in.txt").write_text("EU rejects German call .\n\nPeter Blackburn\n")
    by_folder = run("seqlab-predict", f"model={tmp_path / 'model'}", "input=in.txt", "output=-")
    by_checkpoint = run("seqlab-predict", f"ckpt_path={ckpt}", "input=in.txt", "output=-")
    assert by_folder.returncode == 0 == by_checkpoint.returncode, by_folder.stderr[-2000:]
    assert by_folder.stdout == by_checkpoint.stdout
