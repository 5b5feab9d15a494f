"""Parquet classification files: read by suffix or by content, columns checked, labels checked
with the row number."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seqlab.data.readers import read_text_classification
from seqlab.errors import ReaderError


def write(path: Path, **columns) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


def test_rows_are_read_by_suffix_and_by_content(tmp_path: Path) -> None:
    path = write(tmp_path / "train.parquet", sentence=["good film", "bad film"], label=[1, 0])
    rows = list(read_text_classification(path))
    assert [(r["text"], r["label"], r["line"]) for r in rows] == [("good film", "1", 1), ("bad film", "0", 2)]
    renamed = path.rename(tmp_path / "train.tsv")  # the name says TSV, the bytes say parquet
    assert [r["text"] for r in read_text_classification(renamed)] == ["good film", "bad film"]


def test_missing_columns_and_unknown_labels_name_the_file_and_row(tmp_path: Path) -> None:
    path = write(tmp_path / "dev.parquet", text=["a"], label=[1])
    with pytest.raises(ReaderError, match=r"dev.parquet:1: no 'sentence' column \(found 'text', 'label'\)"):
        list(read_text_classification(path))
    path = write(tmp_path / "test.parquet", sentence=["a", "b"], label=[1, 7])
    with pytest.raises(ReaderError, match=r"test.parquet:2: .*'7'"):
        list(read_text_classification(path, known_labels=["0", "1"]))
