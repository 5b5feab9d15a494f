"""Each annotation format trains (fast_dev_run) on its shipped sample, and a model's pre-annotations
written in it read back with the same reader; the command line does it all end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from seqlab.data.annotation_datamodules import read_annotated_classes, read_annotated_spans
from seqlab.data.tag_schemes import from_spans
from seqlab.predict.pre_annotations import PreAnnotationWriter
from seqlab.predict.predictor import Predictor
from seqlab.resources import sample_path
from seqlab.training.build import build_datamodule, build_task
from seqlab.training.pipeline import train

SPLIT_FILES = {"labelstudio": "dev.json", "doccano": "dev.jsonl", "spans": "dev.jsonl"}


def random_task(cfg):
    """A task built from ``cfg`` with large random weights, so an untrained model predicts spans."""
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    task = build_task(cfg, datamodule.spec, datamodule.pretrained_vectors).eval()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in task.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 2)
    return task


def write(path: Path, writer: PreAnnotationWriter, predictions: list[dict]) -> Path:
    path.write_text(writer.head + "".join(writer.item(p, i == 0) for i, p in enumerate(predictions)) + writer.tail)
    return path


@pytest.mark.parametrize("style", ["labelstudio", "doccano", "spans"])
def test_a_format_trains_and_its_predictions_read_back(make_config, tmp_path: Path, style: str) -> None:
    results = train(make_config(f"data={style}", "trainer.fast_dev_run=true"))
    assert "test/f1" in results
    texts = [text for text in _texts(style)]
    predictor = Predictor(random_task(make_config(f"data={style}")))
    predictions = predictor.predict(texts)
    assert sum(len(p["spans"]) for p in predictions) > 0
    path = write(tmp_path / f"pre.{style}", PreAnnotationWriter(style, "test-model"), predictions)
    rows = list(read_annotated_spans(path, style))
    assert [r["tokens"] for r in rows] == [p["tokens"] for p in predictions]
    expected = [
        from_spans([(s["type"], s["start"], s["end"]) for s in p["spans"]], len(p["tokens"]), "IOB2")
        for p in predictions
    ]
    assert [r["tags"] for r in rows] == expected


def _texts(style: str) -> list[str]:
    path = sample_path(style) / SPLIT_FILES[style]
    if style == "labelstudio":
        return [task["data"]["text"] for task in json.loads(path.read_text())]
    return [json.loads(line)["text"] for line in path.read_text().splitlines()]


def test_label_studio_choices_train_a_classifier_and_read_back(make_config, tmp_path: Path) -> None:
    overrides = ("task=sentiment", "data=labelstudio_choices")
    results = train(make_config(*overrides, "trainer.fast_dev_run=true"))
    assert "test/accuracy" in results
    predictor = Predictor(random_task(make_config(*overrides)))
    texts = [task["data"]["text"] for task in json.loads((sample_path("labelstudio_choices") / "dev.json").read_text())]
    predictions = predictor.predict(texts)
    for style in ("labelstudio", "doccano"):
        path = write(tmp_path / f"pre.{style}", PreAnnotationWriter(style, "m"), predictions)
        rows = list(read_annotated_classes(path, style))
        assert [(r["text"], r["label"]) for r in rows] == [(p["text"], p["label"]) for p in predictions]


@pytest.mark.slow
def test_import_train_predict_and_read_back_on_the_command_line(tmp_path: Path) -> None:
    run = tmp_path / "run"
    trained = subprocess.run(
        [
            sys.executable,
            "-m",
            "seqlab.cli.train",
            "data=labelstudio",
            "trainer.max_epochs=3",
            "data.batch_size=4",
            "optimizer.lr=0.01",
            "trainer.enable_progress_bar=false",
            f"hydra.run.dir={run}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(_texts("labelstudio")) + "\n")
    out = tmp_path / "pre.json"
    predicted = subprocess.run(
        [
            sys.executable,
            "-m",
            "seqlab.cli.predict",
            f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}",
            f"input={texts}",
            f"output={out}",
            "format=labelstudio",
            "model_version=ner-v1",
            f"hydra.run.dir={tmp_path}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    tasks = json.loads(out.read_text())
    assert len(tasks) == 12 and all(t["predictions"][0]["model_version"] == "ner-v1" for t in tasks)
    rows = list(read_annotated_spans(out, "labelstudio"))
    assert [r["tokens"] for r in rows] == [
        r["tokens"] for r in read_annotated_spans(sample_path("labelstudio") / "dev.json", "labelstudio")
    ]
    bulk = subprocess.run(
        [
            sys.executable,
            "-m",
            "seqlab.cli.predict",
            f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}",
            f"input={texts}",
            "format=labelstudio",
            "processes=2",
            f"hydra.run.dir={tmp_path}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert bulk.returncode == 2
    assert bulk.stderr.strip().splitlines()[-1] == (
        "seqlab-predict: error: format=labelstudio is written by one process: "
        "leave processes=1 (jsonl and conll run bulk)"
    )
