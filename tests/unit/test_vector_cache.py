"""The frozen transformer's caches: vectors written to Arrow files come back equal in a later run,
which then never runs the transformer; nothing pending is lost; models and word boundaries keep
their vectors apart."""
from __future__ import annotations

import gc

import pytest
import torch

pytest.importorskip("transformers")

from seqlab.data.collate import collate_examples  # noqa: E402
from seqlab.data.encoding import encode_examples  # noqa: E402
from seqlab.modules.vector_cache import ArrowVectorCache, VectorCache  # noqa: E402

SENTENCES = [["Peter", "Blackburn", "lives", "in", "Zürich", "."], ["EU", "rejects", "German", "call"], ["ok"]]


def embedding(tiny_bert, cache, **settings):
    from seqlab.modules.transformer import TransformerEmbedding

    return TransformerEmbedding(str(tiny_bert), max_length=16, cache=cache, **settings)


def inputs(part, sentences=SENTENCES):
    batch = collate_examples(encode_examples(part.featurizers(), sentences))
    return batch.features["subword_windows"], batch.features["word_pieces"]


def test_arrow_files_round_trip_vectors_of_any_shape(tmp_path):
    cache = ArrowVectorCache(str(tmp_path), shard_size=2)
    cache.open(lambda: "model")
    vectors = {bytes([i]): torch.randn(i + 1, 3, 2) for i in range(5)}
    for key, value in vectors.items():
        cache.put(key, value)
    cache.flush()
    assert len(list((tmp_path / "model").glob("*.arrow"))) == 3 and not list(tmp_path.rglob("*.partial"))
    again = ArrowVectorCache(str(tmp_path))
    again.open(lambda: "model")
    assert len(again) == 5 and again.written == 0
    for key, value in vectors.items():
        assert torch.equal(again.get(key), value)
    assert again.get(b"other") is None


def test_vectors_still_pending_when_the_cache_goes_are_written(tmp_path):
    cache = ArrowVectorCache(str(tmp_path))
    cache.open(lambda: "model")
    cache.put(b"k", torch.ones(2, 4))
    del cache
    gc.collect()
    again = ArrowVectorCache(str(tmp_path))
    again.open(lambda: "model")
    assert torch.equal(again.get(b"k"), torch.ones(2, 4))


def test_opening_twice_writes_pending_vectors_once(tmp_path):
    cache = ArrowVectorCache(str(tmp_path))
    cache.open(lambda: "model")
    cache.open(lambda: "model")
    cache.put(b"k", torch.ones(1, 2))
    del cache
    gc.collect()
    assert len(list((tmp_path / "model").glob("*.arrow"))) == 1


def test_a_folder_that_cannot_be_written_keeps_the_vectors_in_memory(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = ArrowVectorCache(str(blocker))
    with caplog.at_level("WARNING"):
        cache.open(lambda: "model")
    cache.put(b"k", torch.ones(2, 3, dtype=torch.float16))
    cache.flush()
    assert "cannot be created" in caplog.text
    assert cache.get(b"k").dtype == torch.float32 and len(cache) == 1


@pytest.mark.parametrize("scalar_mix", [False, True])
def test_a_later_run_reads_the_vectors_without_the_transformer(tiny_bert, tmp_path, scalar_mix):
    plain = embedding(tiny_bert, None, scalar_mix=scalar_mix, pooling="mean")
    first = embedding(tiny_bert, ArrowVectorCache(str(tmp_path)), scalar_mix=scalar_mix, pooling="mean")
    with torch.no_grad():
        expected = plain(*inputs(plain))
        assert torch.allclose(first(*inputs(first)), expected, atol=1e-6)
    first.train(False)  # between training and evaluation the cache is written
    assert first.cache.written == len(SENTENCES)

    later = embedding(tiny_bert, ArrowVectorCache(str(tmp_path)), scalar_mix=scalar_mix, pooling="mean")

    def no_transformer(*args):
        raise AssertionError("the transformer ran")

    later._layers = no_transformer
    with torch.no_grad():
        assert torch.allclose(later(*inputs(later)), expected, atol=1e-6)
    assert later.cache.written == 0


def test_another_pooling_or_model_gets_its_own_folder(tiny_bert, tmp_path):
    parts = [embedding(tiny_bert, ArrowVectorCache(str(tmp_path)), pooling=p) for p in ("first", "last")]
    changed = embedding(tiny_bert, ArrowVectorCache(str(tmp_path)), pooling="first")
    with torch.no_grad():
        next(changed.model.parameters()).add_(1.0)
    fingerprints = {part.fingerprint() for part in (*parts, changed)}
    assert len(fingerprints) == 3
    for part in (*parts, changed):
        part(*inputs(part))
        part.train(False)
    assert len([d for d in tmp_path.iterdir() if d.is_dir()]) == 3


def test_the_same_subwords_grouped_into_other_words_are_another_sentence(tiny_bert):
    part = embedding(tiny_bert, VectorCache(), pooling="mean")
    sentences = [["ab cd"], ["ab", "cd"]]
    windows, pieces = inputs(part, sentences)
    assert torch.equal(windows[0], windows[1])  # the same subwords
    with torch.no_grad():
        vectors = part(windows, pieces)
    assert part.cached_sentences() == 2 and not torch.equal(vectors[0, 0], vectors[1, 0])


def test_a_fine_tuned_transformer_caches_nothing(tiny_bert, tmp_path):
    part = embedding(tiny_bert, ArrowVectorCache(str(tmp_path)), freeze=False)
    assert part.cache is None
