"""``seqlab-predict select=K``: the K most uncertain texts of the shipped sample, most uncertain first,
each with its score, and the scores' summary beside them; ``seqlab.Predictor`` users select alike."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from seqlab.cli.selection import check_selection
from seqlab.errors import ConfigError
from seqlab.predict.predictor import Predictor
from seqlab.predict.selection import select_most_uncertain, uncertainty
from tests.conftest import compose_config
from tests.integration.test_export import sample_texts
from tests.integration.test_torch_predictor import random_checkpoint


def predict(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seqlab.cli.predict", *args, f"hydra.run.dir={cwd / 'run'}"],
                          cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.fixture(scope="module")
def tagger(tmp_path_factory) -> Path:
    """A sample-trained tagger's checkpoint with random weights (so its doubts vary from text to text)."""
    out = tmp_path_factory.mktemp("select")
    random_checkpoint(lambda *overrides: compose_config(out, *overrides), out / "model.ckpt")
    return out / "model.ckpt"


def test_select_writes_the_k_most_uncertain_texts_with_their_scores(tagger: Path, tmp_path: Path) -> None:
    texts = sample_texts("ner")
    source = tmp_path / "pool.txt"
    source.write_text("\n".join(texts) + "\n")
    output = tmp_path / "next.jsonl"
    result = predict(f"ckpt_path={tagger}", f"input={source}", f"output={output}", "select=5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    chosen = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(chosen) == 5
    scores = [p["uncertainty"] for p in chosen]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1] > 0.0
    assert all(p["text"] in texts and len(p["confidence"]) == len(p["tokens"]) for p in chosen)
    every = Predictor.open(ckpt_path=tagger).predict(texts)  # no text left out scores above the chosen
    assert sorted((uncertainty(p) for p in every), reverse=True)[:5] == pytest.approx(scores, abs=1e-6)
    summary = json.loads((tmp_path / "next.selection.json").read_text())
    assert summary["measure"] == "least_confidence" and summary["select"] == 5 and summary["scores"] == scores
    assert summary["selected"]["count"] == 5 and summary["all"]["count"] == len(texts)
    assert (summary["selected"]["min"], summary["selected"]["max"]) == (scores[-1], scores[0])
    assert f"5 of {len(texts)} texts selected by least_confidence" in result.stderr
    assert "median" in result.stderr

    conll = predict(f"ckpt_path={tagger}", f"input={source}", "output=-", "format=conll", "select=2",
                    "measure=mean_confidence", cwd=tmp_path)
    assert conll.returncode == 0, conll.stderr[-3000:]
    assert conll.stdout.count("\n\n") == 2 and conll.stdout.split("\t")[0] in " ".join(texts)
    assert json.loads((tmp_path / "run" / "selection.json").read_text())["measure"] == "mean_confidence"

    tasks = tmp_path / "next.json"  # the annotation tool's own format: K tasks to import, scores beside them
    studio = predict(f"ckpt_path={tagger}", f"input={source}", f"output={tasks}", "format=labelstudio", "select=3",
                     cwd=tmp_path)
    assert studio.returncode == 0, studio.stderr[-3000:]
    assert [task["data"]["text"] for task in json.loads(tasks.read_text())] == [p["text"] for p in chosen[:3]]
    assert json.loads((tmp_path / "next.selection.json").read_text())["scores"] == scores[:3]


def test_a_bad_count_is_one_line_and_writes_nothing(tagger: Path, tmp_path: Path) -> None:
    source = tmp_path / "pool.txt"
    source.write_text("EU rejects German call .\n")
    result = predict(f"ckpt_path={tagger}", f"input={source}", f"output={tmp_path / 'out.jsonl'}", "select=0",
                     cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("seqlab-predict: error: ")
    assert "select must be a positive number of texts, got 0" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("settings, bulk, message", [
    ({"select": "5"}, False, "select must be a positive number of texts, got '5'"),
    ({"select": 3, "measure": "variance"}, False, "measure must be auto or one of least_confidence, mean_confidence"),
    ({"select": 3}, True, "select=K ranks every text in one process"),
])
def test_selection_settings_are_checked_before_the_model_is_read(settings: dict, bulk: bool, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_selection(OmegaConf.create({"measure": "auto", **settings}), bulk=bulk)
    assert check_selection(OmegaConf.create({"select": None, "measure": "auto"}), bulk=True) is None


def test_a_classifier_ranks_by_margin_from_python(tmp_path: Path) -> None:
    make_config = lambda *overrides: compose_config(tmp_path, *overrides)  # noqa: E731
    random_checkpoint(make_config, tmp_path / "model.ckpt", "task=sentiment")
    predictor = Predictor.open(ckpt_path=tmp_path / "model.ckpt")
    chosen = select_most_uncertain(predictor.predict_stream(sample_texts("sentiment")), k=3)
    assert [p["uncertainty"] for p in chosen] == sorted((p["uncertainty"] for p in chosen), reverse=True)
    best, second = sorted(chosen[0]["probabilities"].values(), reverse=True)[:2]
    assert chosen[0]["uncertainty"] == pytest.approx(1 - (best - second), abs=1e-6)


def test_an_exported_folder_scores_as_its_checkpoint(tagger: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from seqlab.predict.export import export_checkpoint

    folder = export_checkpoint(tagger, tmp_path / "model")
    texts = sample_texts("ner")
    by_torch = select_most_uncertain(Predictor.open(ckpt_path=tagger).predict_stream(texts), k=5)
    by_onnx = select_most_uncertain(Predictor.open(model=folder).predict_stream(texts), k=5)
    assert [p["uncertainty"] for p in by_onnx] == pytest.approx([p["uncertainty"] for p in by_torch], abs=1e-3)
