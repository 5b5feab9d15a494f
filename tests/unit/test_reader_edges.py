"""No silent misreads (issue 32): what the corpus cannot show on its own — warnings kept with the
``datasets`` cache, ``data.control_characters`` through the data modules and the config check,
and the decoding layer's edges."""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from seqlab.config import config_dir
from seqlab.data.datamodules import ConllDataModule, TextClassificationDataModule
from seqlab.data.readers import load_conll, load_examples, read_conll, read_text_classification
from seqlab.data.text_lines import decoded_lines
from seqlab.errors import ConfigError, ReaderError
from seqlab.training.config_check import check_config


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_reader_warnings_show_again_when_the_dataset_comes_from_the_cache(tmp_path, caplog):
    path = tmp_path / "train.txt"
    path.write_text("EU\u200b B-ORG\nrejects O\n\nPe\u200bter B-PER\n", encoding="utf-8")
    expected = f"{path}:1:3: invisible character U+200B (ZERO WIDTH SPACE) kept (2 in the file, the first here)"
    seen = []
    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            dataset = load_conll(path, cache_dir=str(tmp_path / "cache"))
        assert dataset["tokens"] == [["EU\u200b", "rejects"], ["Pe\u200bter"]]
        seen.append([m for m in warnings_of(caplog) if "U+200B" in m])
        cached = dataset.cache_files[0]["filename"]
    assert len(seen[0]) == 1 and seen[0][0].startswith(expected)
    assert seen[1] == seen[0]  # the second run was served from the cache and said the same
    assert len(list((tmp_path / "cache").rglob("*.arrow"))) == 1 and Path(cached).is_file()


def test_a_cached_classification_file_repeats_its_label_type_warning(tmp_path, caplog):
    path = tmp_path / "train.jsonl"
    path.write_text('{"sentence": "a", "label": 1}\n{"sentence": "b", "label": true}\n')
    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            load_examples(read_text_classification, path, cache_dir=str(tmp_path / "cache"))
        said = warnings_of(caplog)
        assert any("labels of 2 JSON types" in m and "each type makes labels of its own" in m for m in said)


REVIEWS = 'review,label\n"fine, really",pos\n"\x08\x08\x08The end\x10 came",neg\n'


@pytest.mark.parametrize("policy, text", [("drop", "The end came"),
                                          ("replace", "\ufffd\ufffd\ufffdThe end\ufffd came")])
def test_data_control_characters_reaches_the_classification_reader(tmp_path, caplog, policy, text):
    (tmp_path / "train.csv").write_text(REVIEWS)
    (tmp_path / "dev.csv").write_text("review,label\nfine,pos\n")
    stops = r"train.csv:3: control character '\\x08' at column 2; .*data.control_characters"
    with pytest.raises(ReaderError, match=stops):
        TextClassificationDataModule(dir=str(tmp_path), cache_dir=str(tmp_path / "cache")).setup("fit")
    dm = TextClassificationDataModule(dir=str(tmp_path), cache_dir=str(tmp_path / "c2"), control_characters=policy)
    with caplog.at_level(logging.WARNING):
        dm.setup("fit")
    assert dm.dataset("train")["text"] == ["fine, really", text]
    counted = [m for m in warnings_of(caplog) if "control character '\\x08'" in m]
    assert counted and "3 in the file" in counted[0] and f"data.control_characters={policy}" in counted[0]


def test_data_control_characters_reaches_the_conll_reader_and_scheme_detection(tmp_path, caplog):
    (tmp_path / "train.txt").write_text("E\x10U B-ORG\nrejects O\n")
    (tmp_path / "dev.txt").write_text("EU B-ORG\n")
    dm = ConllDataModule(dir=str(tmp_path), cache_dir=str(tmp_path / "cache"), control_characters="drop")
    with caplog.at_level(logging.WARNING):
        dm.setup("fit")
    assert dm.dataset("train")["tokens"] == [["EU", "rejects"]]
    assert len([m for m in warnings_of(caplog) if "control character" in m]) == 1  # detection's read is quiet


def test_a_bad_control_policy_is_named_by_its_key(tmp_path):
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("train", overrides=["data.control_characters=skip", "paths.output_dir=/tmp/unused"])
    with pytest.raises(ConfigError, match=r"data.control_characters: expected one of 'error', 'drop', 'replace'"):
        check_config(cfg)
    with pytest.raises(ConfigError, match=r"data.control_characters: expected one of error, drop, replace, got 'skip'"):
        TextClassificationDataModule(dir=str(tmp_path), control_characters="skip")  # type: ignore[arg-type]


def test_line_endings_of_every_convention_give_the_same_lines(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes(b"a\r\nb\rc\nd")
    assert [(n, line) for n, line in decoded_lines(path)] == [(1, "a\r\n"), (2, "b\r"), (3, "c\n"), (4, "d")]


def test_a_cr_at_the_end_of_a_read_chunk_and_lf_at_the_start_of_the_next_are_one_ending(tmp_path):
    path = tmp_path / "long.txt"
    lines = [f"word{i} O\r\n" for i in range(5000)]
    path.write_bytes("".join(lines).encode())
    assert len(next(read_conll(path, file_scheme=None))["tokens"]) == 5000


def test_undecodable_bytes_are_named_at_their_column_whatever_the_line_ending(tmp_path):
    path = tmp_path / "train.txt"
    path.write_bytes(b"EU B-ORG\rcaf\xe9 O\r")
    with pytest.raises(ReaderError, match=r"train.txt:2: bytes b'\\xe9' at column 4 are not valid UTF-8"):
        list(read_conll(path))


def test_a_bad_utf16_sequence_is_named_as_utf16(tmp_path):
    path = tmp_path / "train.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "EU B-ORG\n".encode("utf-16-le") + b"\x00\xdc" + "x O\n".encode("utf-16-le"))
    with pytest.raises(ReaderError, match=r"are not valid UTF-16-LE"):
        list(read_conll(path))


def test_a_bom_at_the_start_of_the_file_is_no_warning(tmp_path, caplog):
    path = tmp_path / "train.txt"
    path.write_bytes(codecs.BOM_UTF8 + b"EU B-ORG\n")
    with caplog.at_level(logging.WARNING):
        assert [e["tokens"] for e in read_conll(path)] == [["EU"]]
    assert warnings_of(caplog) == []


def test_a_bom_inside_a_token_is_dropped_with_its_place(tmp_path, caplog):
    path = tmp_path / "train.txt"
    path.write_bytes("EU B-ORG\nrej\ufeffects O\n".encode())
    with caplog.at_level(logging.WARNING):
        assert [e["tokens"] for e in read_conll(path)] == [["EU", "rejects"]]
    assert any(m.startswith(f"{path}:2:4: byte-order mark (U+FEFF)") for m in warnings_of(caplog))


def test_a_width_mismatch_on_a_later_line_is_still_blamed_on_that_line(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("EU B-ORG\nrejects O\nGerman B- MISC\ncall O\n")
    with pytest.raises(ReaderError, match=r"train.txt:3: expected 2 columns \(as on line 1\), found 3"):
        list(read_conll(path))
    path.write_text("EU B-ORG\nrejects bad O\ncall O\n")  # line 2 differs from both neighbours
    with pytest.raises(ReaderError, match=r"train.txt:2: expected 2 columns \(as on line 1\), found 3"):
        list(read_conll(path))


def test_a_utf16_classification_folder_finds_its_columns_and_reads(tmp_path):
    """data.dir discovery reads the header in the encoding the byte-order mark names, as the reader does."""
    text = "review\tsentiment\r\ngood film\tpos\r\nbad film\tneg\r\n"
    (tmp_path / "train.tsv").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    (tmp_path / "dev.tsv").write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    dm = TextClassificationDataModule(dir=str(tmp_path), cache_dir=str(tmp_path / "cache"))
    assert (dm.text_field, dm.label_field) == ("review", "sentiment")
    dm.setup("fit")
    assert dm.dataset("train")["label"] == ["pos", "neg"]
