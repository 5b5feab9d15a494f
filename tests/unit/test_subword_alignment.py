"""Subword alignment of the transformer part: every word keeps its own subwords, in order, across
windows; words with no subword get the unknown one; cached vectors equal computed ones."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("transformers")

from seqlab.data.collate import collate_examples  # noqa: E402
from seqlab.data.encoding import encode_examples  # noqa: E402

TRICKY = [
    ["Peter", "Blackburn", "lives", "in", "Zürich", "."],
    ["", "😀", "e\u0301", "\x07", "\u200b", "ok"],  # empty, emoji, combining mark, control, zero-width
    ["x" * 3 + "".join(chr(0x4E00 + i) for i in range(20))],  # one word of 20+ pieces
    ["word"] * 600,  # far longer than 64 positions
]


@pytest.fixture(scope="module")
def part(tiny_bert):
    from seqlab.modules.transformer import TransformerEmbedding

    return TransformerEmbedding(str(tiny_bert), pooling="mean", max_length=16, window_overlap=4)


def pieces_of(part, word: str) -> list[int]:
    settings_ = part.subwords
    ids = settings_["tokenizer"].encode([word], is_pretokenized=True, add_special_tokens=False).ids
    return ids or [settings_["unk_id"]]


def check_alignment(part, sentence: list[str]) -> None:
    windows, positions = part.featurizers()["subword_windows"].align([sentence])[0]
    flat = windows.reshape(-1)
    settings_ = part.subwords
    assert windows.shape[1] <= settings_["max_length"] and positions.shape[0] == len(sentence)
    for row in windows:
        real = row[row > 0] - 1
        assert tuple(real[: len(settings_["prefix"])]) == settings_["prefix"]
        assert tuple(real[len(real) - len(settings_["suffix"]) :]) == settings_["suffix"]
    for word, where in zip(sentence, positions):
        found = [int(flat[p - 1]) - 1 for p in where if p > 0]
        assert found == pieces_of(part, word), word  # its own subwords, in order: no shift, no loss


@pytest.mark.parametrize("sentence", TRICKY, ids=["plain", "odd-unicode", "twenty-pieces", "600-subwords"])
def test_every_word_keeps_its_subwords(part, sentence):
    check_alignment(part, sentence)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=12), min_size=1, max_size=40))
def test_alignment_holds_for_any_words(part, sentence):
    check_alignment(part, sentence)


def test_long_sentences_read_in_windows_give_a_vector_per_word(part):
    batch = collate_examples(encode_examples(part.featurizers(), TRICKY))
    assert batch.features["subword_windows"].shape[1] > 1  # several windows
    part.eval()
    with torch.no_grad():
        vectors = part(batch.features["subword_windows"], batch.features["word_pieces"])
    assert vectors.shape == (len(TRICKY), 600, part.output_dim) and torch.isfinite(vectors).all()
    for row, sentence in enumerate(TRICKY):
        assert (vectors[row, len(sentence) :] == 0).all()  # padding words are zeros


@pytest.mark.parametrize("scalar_mix", [False, True])
def test_the_cache_gives_what_the_transformer_computes(tiny_bert, scalar_mix):
    from seqlab.modules.transformer import TransformerEmbedding

    cached = TransformerEmbedding(str(tiny_bert), max_length=16, cache=True, scalar_mix=scalar_mix, pooling="mean")
    plain = TransformerEmbedding(str(tiny_bert), max_length=16, cache=False, scalar_mix=scalar_mix, pooling="mean")
    if scalar_mix:  # the same non-uniform mix in both
        for part in (cached, plain):
            part.mix.weights.data = torch.linspace(-1, 1, part.mix.weights.numel())
    batch = collate_examples(encode_examples(cached.featurizers(), TRICKY[:2]))
    inputs = (batch.features["subword_windows"], batch.features["word_pieces"])
    first, again = cached(*inputs), cached(*inputs)
    assert cached.cached_sentences() == 2
    assert torch.allclose(first, plain(*inputs), atol=1e-6) and torch.equal(first, again)


@pytest.mark.parametrize("pooling", ["first", "last", "mean"])
def test_pooling_picks_the_subwords(tiny_bert, pooling):
    from seqlab.modules.transformer import TransformerEmbedding

    part = TransformerEmbedding(str(tiny_bert), pooling=pooling, max_length=32, cache=False)
    batch = collate_examples(encode_examples(part.featurizers(), [TRICKY[2]]))
    windows, positions = batch.features["subword_windows"], batch.features["word_pieces"]
    states = part._layers(windows)[0]
    where = positions[0, 0][positions[0, 0] > 0] - 1
    expected = {"first": states[where[0]], "last": states[where[-1]], "mean": states[where].mean(0)}[pooling]
    assert torch.allclose(part(windows, positions)[0, 0], expected, atol=1e-6)
    assert np.all(positions.numpy()[0, 0, : len(where)] > 0) and len(where) >= 20


def test_frozen_means_no_gradient_and_no_dropout(tiny_bert):
    from seqlab.modules.transformer import TransformerEmbedding

    frozen = TransformerEmbedding(str(tiny_bert), freeze=True).train()
    assert not frozen.model.training and not any(p.requires_grad for p in frozen.model.parameters())
    tuned = TransformerEmbedding(str(tiny_bert), freeze=False, scalar_mix=True).train()
    assert tuned.model.training and all(p.requires_grad for p in tuned.model.parameters())
    batch = collate_examples(encode_examples(tuned.featurizers(), TRICKY[:1]))
    tuned(batch.features["subword_windows"], batch.features["word_pieces"]).sum().backward()
    assert tuned.mix is not None and tuned.mix.weights.grad is not None


def test_a_model_that_cannot_be_loaded_is_one_config_error(tmp_path, monkeypatch):
    from seqlab.errors import ConfigError
    from seqlab.modules.transformer import TransformerEmbedding

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for model in (str(tmp_path / "missing" / "bert"), str(tmp_path)):
        with pytest.raises(ConfigError, match=r"embedding.transformer.model=.*cannot be loaded .* give a hub name"):
            TransformerEmbedding(model)
