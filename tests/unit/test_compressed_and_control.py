"""Readers take gzip, bzip2 and xz files as they are (detected by content), and refuse control characters."""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
from pathlib import Path

import pytest

from seqlab.data.readers import ReaderError, read_conll, read_text_classification

CONLL = "EU NNP B-ORG\nrejects VBZ O\n\nPeter NNP B-PER\n"
TSV = "sentence\tlabel\na good film\t1\na bad one\t0\n"
COMPRESS = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}


@pytest.mark.parametrize("kind", COMPRESS)
def test_compressed_files_read_like_plain_ones(tmp_path: Path, kind: str) -> None:
    plain, packed = tmp_path / "train.txt", tmp_path / f"train.txt.{kind}"
    plain.write_text(CONLL)
    packed.write_bytes(COMPRESS[kind](CONLL.encode()))
    assert list(read_conll(packed, file_scheme="IOB2")) == list(read_conll(plain, file_scheme="IOB2"))
    table = tmp_path / f"train.tsv.{kind}"  # the format comes from the suffix before the compression's
    table.write_bytes(COMPRESS[kind](TSV.encode()))
    assert [e["label"] for e in read_text_classification(table)] == ["1", "0"]


def test_compression_is_detected_by_content_not_name(tmp_path: Path) -> None:
    misnamed = tmp_path / "train.txt"
    misnamed.write_bytes(gzip.compress(CONLL.encode()))
    assert [e["tokens"] for e in read_conll(misnamed, file_scheme="IOB2")] == [["EU", "rejects"], ["Peter"]]


def test_a_cut_short_compressed_file_names_the_line_it_reached(tmp_path: Path) -> None:
    path = tmp_path / "train.txt.gz"
    text = "".join(f"word{i} NNP O\n" for i in range(2000))
    data = gzip.compress(text.encode())
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReaderError, match=r"train.txt.gz:\d+: the gzip data is corrupt or cut short"):
        list(read_conll(path, file_scheme="IOB2"))


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b"])
def test_control_characters_are_an_error_with_line_and_column(tmp_path: Path, char: str) -> None:
    path = tmp_path / "train.txt"
    path.write_text(f"EU NNP B-ORG\nE{char}U NNP B-ORG\n")
    with pytest.raises(ReaderError, match=re.escape(f"train.txt:2: control character {char!r} at column 2; expected text")):
        list(read_conll(path, file_scheme="IOB2"))
