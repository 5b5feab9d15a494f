"""Each layout of "Your own data" (docs/own-data.md) trains from its shipped example with only
``data.dir`` (and ``task=``) given: split files and columns are found by their names."""
from __future__ import annotations

import logging

import pytest

from seqlab.resources import sample_path
from seqlab.training.pipeline import train

LAYOUTS = [
    ("sentiment", "sentiment", "train.tsv", "sentence"),  # GLUE-style TSV, labels 0/1
    ("reviews_csv", "sentiment", "train.csv", "review"),  # a spreadsheet export, labels as words
    ("reviews_jsonl", "sentiment", "train.jsonl", "text"),  # JSON lines, validation.jsonl as dev
    ("conll", "ner", "train.txt", None),  # CoNLL columns
]


@pytest.mark.parametrize(("layout", "task", "train_file", "text_column"), LAYOUTS)
def test_a_shipped_layout_trains_from_its_folder_alone(make_config, caplog, layout, task, train_file, text_column):
    folder = sample_path(layout)
    with caplog.at_level(logging.INFO):
        results = train(make_config(f"task={task}", f"data.dir={folder}", "trainer.fast_dev_run=true"))
    assert any(key.startswith("test/") for key in results)
    assert f"train split read from {train_file} (data.train_file=auto)" in caplog.text
    if text_column:
        assert f"text is column '{text_column}' (data.text_field=auto)" in caplog.text
