"""+data/source=hub: a Hugging Face dataset (here saved to a folder, offline) trains as files do,
class labels read as names; missing columns, unknown splits and an unreachable hub name are one
line each."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import datasets
import pytest

from seqlab.data.readers import read_conll
from seqlab.resources import sample_path

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hub")
    ner = datasets.DatasetDict()
    features = datasets.Features({"id": datasets.Value("string"), "tokens": datasets.Sequence(datasets.Value("string")),
                                  "ner_tags": datasets.Sequence(datasets.ClassLabel(names=TAGS))})
    for ours, theirs in (("train", "train"), ("dev", "validation"), ("test", "test")):
        rows = list(read_conll(sample_path("conll") / f"{ours}.txt", file_scheme="IOB1", tag_scheme="IOB2"))
        ner[theirs] = datasets.Dataset.from_dict(
            {"id": [str(i) for i in range(len(rows))], "tokens": [r["tokens"] for r in rows],
             "ner_tags": [[TAGS.index(t) for t in r["tags"]] for r in rows]}, features=features)
    ner.save_to_disk(root / "ner")
    sentiment = datasets.DatasetDict()
    for ours, theirs in (("train", "train"), ("dev", "validation")):
        lines = (sample_path("sentiment") / f"{ours}.tsv").read_text().splitlines()[1:]
        texts, labels = zip(*(line.split("\t") for line in lines))
        sentiment[theirs] = datasets.Dataset.from_dict(
            {"sentence": list(texts), "label": [int(x) for x in labels]},
            features=datasets.Features({"sentence": datasets.Value("string"),
                                        "label": datasets.ClassLabel(names=["negative", "positive"])}))
    sentiment.save_to_disk(root / "sentiment")
    return {"ner": root / "ner", "sentiment": root / "sentiment"}


def train(tmp_path: Path, *overrides: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seqlab.cli.train", "trainer.max_epochs=2",
                           f"hydra.run.dir={tmp_path / 'run'}", f"+data.source.cache_dir={tmp_path / 'files'}",
                           *overrides], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


@pytest.mark.slow
def test_a_saved_ner_dataset_trains_with_class_label_names(saved, tmp_path: Path) -> None:
    result = train(tmp_path, "+data/source=hub", f"data.source.name={saved['ner']}", "data.dir=null")
    assert result.returncode == 0, result.stderr[-3000:]
    log = (tmp_path / "run" / "train.log").read_text()
    assert "tag scheme of" in log and ": IOB2 (" in log  # the hub's IOB2 names, detected
    assert "PER" in (tmp_path / "run" / "reports" / "test_report.txt").read_text()


@pytest.mark.slow
def test_a_saved_sentiment_dataset_without_test_split(saved, tmp_path: Path) -> None:
    result = train(tmp_path, "task=sentiment", "+data/source=hub", f"data.source.name={saved['sentiment']}",
                   "data.source.columns.text=sentence")
    assert result.returncode == 0, result.stderr[-3000:]
    import torch

    results = (tmp_path / "run" / "results.json").read_text()
    checkpoint = torch.load(next((tmp_path / "run" / "checkpoints").glob("epoch*.ckpt")), weights_only=True)
    assert checkpoint["seqlab"]["spec"]["labels"] == ["negative", "positive"] and "test/f1" not in results


@pytest.mark.parametrize("overrides, message", [
    (["data.source.columns.tags=labels"], "no column 'labels' in split 'train'; it has id, tokens, ner_tags"),
    (["data.source.splits.train=training"], "no split 'training'; it has train, validation, test"),
    (["data.dir=/tmp"], "data.dir=/tmp and data.source"),
])
@pytest.mark.slow
def test_mapping_mistakes_are_one_line(saved, tmp_path: Path, overrides: list[str], message: str) -> None:
    result = train(tmp_path, "+data/source=hub", f"data.source.name={saved['ner']}", *overrides)
    assert result.returncode == 2 and message in result.stderr.strip().splitlines()[-1], result.stderr[-2000:]


@pytest.mark.slow
def test_an_unreachable_hub_name_says_so_and_suggests_the_local_route(tmp_path: Path) -> None:
    result = train(tmp_path, "+data/source=hub", "data.source.name=no-such-org/no-such-dataset",
                   env={"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 2, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert "cannot be read from the Hugging Face hub" in last and "save_to_disk" in last


def test_local_parquet_files_for_tagging_through_a_datasets_builder(saved, tmp_path: Path) -> None:
    from seqlab.data.hub import HubSource

    ner = datasets.load_from_disk(str(saved["ner"]))
    files = {}
    for split in ("train", "validation"):
        files[split] = str(tmp_path / f"{split}.parquet")
        ner[split].to_parquet(files[split])
    source = HubSource("parquet", data_files=files, splits={"test": None}, cache_dir=str(tmp_path / "out"))
    folder, written = source.write_files("tags")
    assert written == {"train": "train.txt", "dev": "dev.txt", "test": None}
    rows = list(read_conll(folder / "train.txt", file_scheme=None))
    assert [r["tokens"] for r in rows] == ner["train"]["tokens"]
    assert rows[0]["tags"] == [TAGS[i] for i in ner["train"][0]["ner_tags"]]  # parquet keeps the class names
    with pytest.raises(Exception, match="data.source.data_files.train: .*no such file"):
        HubSource("parquet", data_files={"train": str(tmp_path / "missing.parquet")})
