"""data.dir alone: split files and classification columns found by their common names."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import pytest

from seqlab.data.discovery import AUTO, check_data_files, find_fields, find_split_files, missing_file_message
from seqlab.errors import ConfigError

AUTO_FILES = {"train": AUTO, "dev": AUTO, "test": AUTO}
CONLL = "EU B-ORG\nrejects O\n\n"
REVIEWS = "review,sentiment\ngood film,pos\nbad film,neg\n"


def folder(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        if name.endswith(".gz"):
            (tmp_path / name).write_bytes(gzip.compress(text.encode()))
        else:
            (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_conll_names_and_compression_are_found_and_logged(tmp_path, caplog):
    data = folder(tmp_path, {"training.conll.gz": CONLL, "valid.txt": CONLL, "README.md": "x"})
    with caplog.at_level(logging.INFO, logger="seqlab.data.discovery"):
        found = find_split_files(data, dict(AUTO_FILES), "tags")
    assert found == {"train": "training.conll.gz", "dev": "valid.txt", "test": None}
    assert "train split read from training.conll.gz (data.train_file=auto)" in caplog.text
    assert "no test file" in caplog.text


def test_given_names_are_kept(tmp_path):
    data = folder(tmp_path, {"train.txt": CONLL})
    found = find_split_files(data, {"train": "eng.train", "dev": None, "test": AUTO}, "tags")
    assert found == {"train": "eng.train", "dev": None, "test": None}


def test_two_candidates_name_the_key(tmp_path):
    data = folder(tmp_path, {"train.csv": REVIEWS, "train.jsonl": '{"text": "a", "label": "b"}\n'})
    expected = r"2 files could be the train split \(train.csv, train.jsonl\): .*data.train_file="
    with pytest.raises(ConfigError, match=expected):
        find_split_files(data, dict(AUTO_FILES), "label")


def test_a_folder_without_train_names_the_key(tmp_path):
    data = folder(tmp_path, {"notes.md": "x"})
    assert find_split_files(data, dict(AUTO_FILES), "label")["train"] is None
    assert missing_file_message(data, "train", "label").endswith("found notes.md): name it with data.train_file=...")
    assert "no such folder (data.dir)" in missing_file_message(tmp_path / "nope", "train", "label")


def test_labelled_texts_in_a_tagging_run_suggest_the_task(tmp_path):
    data = folder(tmp_path, {"train.csv": REVIEWS})
    with pytest.raises(ConfigError, match="holds labelled texts .* not tagged tokens: add task=sentiment"):
        find_split_files(data, dict(AUTO_FILES), "tags")


def test_tagged_tokens_in_a_classification_run_suggest_the_task(tmp_path):
    path = folder(tmp_path, {"train.txt": CONLL}) / "train.txt"
    with pytest.raises(ConfigError, match="holds tagged tokens, not labelled texts: add task=ner"):
        find_fields(path, AUTO, AUTO)


@pytest.mark.parametrize(
    ("name", "text", "fields"),
    [
        ("train.csv", REVIEWS, ("review", "sentiment")),
        ("train.tsv", "Text\tCategory\nx\ty\n", ("Text", "Category")),
        ("train.jsonl.gz", '{"id": 1, "content": "x", "target": 0}\n', ("content", "target")),
    ],
)
def test_columns_are_found_by_their_common_names(tmp_path, name, text, fields):
    assert find_fields(folder(tmp_path, {name: text}) / name, AUTO, AUTO) == fields


def test_an_unknown_column_names_the_key(tmp_path):
    path = folder(tmp_path, {"train.csv": "body_text,stars\nx,1\n"}) / "train.csv"
    assert find_fields(path, "body_text", "stars") == ("body_text", "stars")
    expected = r"no column looks like the text \(found body_text, stars; .*set data.text_field="
    with pytest.raises(ConfigError, match=expected):
        find_fields(path, AUTO, "stars")


def test_a_datamodule_reads_a_folder_by_its_names_alone(tmp_path):
    from seqlab.data.datamodules import TextClassificationDataModule

    data = folder(tmp_path, {"train.csv": REVIEWS, "dev.csv": REVIEWS})
    module = TextClassificationDataModule(dir=str(data))
    module.setup("fit")
    assert module.files == {"train": "train.csv", "dev": "dev.csv", "test": None}
    assert (module.text_field, module.label_field) == ("review", "sentiment")
    assert module.dataset("train")["label"] == ["pos", "neg"]


def test_the_early_check_names_a_missing_folder_file_or_dev_set(tmp_path):
    data = folder(tmp_path, {"train.txt": "EU B-ORG\n\n"})
    config = {"dir": str(data), "train_file": AUTO, "dev_file": AUTO, "test_file": AUTO, "label_column": -1}
    with pytest.raises(ConfigError, match=r"no such folder \(data.dir\)"):
        check_data_files({**config, "dir": str(tmp_path / "nowhere")})
    with pytest.raises(ConfigError, match=r"heldout.txt: no such file \(data.test_file\)"):
        check_data_files({**config, "dev_file": None, "test_file": "heldout.txt", "split": {"dev": 0.1}})
    with pytest.raises(ConfigError, match=r"no dev set .*name a dev file with data.dev_file=.*\+data/split=holdout"):
        check_data_files(config)
    check_data_files({**config, "dev_file": None, "split": {"dev": 0.1}})  # carved out of train: fine
    check_data_files({**config, "dir": None})  # the shipped sample: checked when built
