"""The batched prediction path against the per-sentence one it replaces: padded inputs equal the
padded per-sentence arrays, spans from tag ids equal seqeval's, CRF marginals equal float64
log-space forward-backward."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab import featurizers
from seqlab.data.tag_schemes import allowed_transitions, labels_for_types
from seqlab.featurizers import CasingIds, CharIds, WordIds, batch_inputs, pad_arrays
from seqlab.modules.crf import CRF, backward_scores, forward_scores
from seqlab.spans import SpanDecoder, strict_spans
from seqlab.tokenization.vocab import train_char_tokenizer, train_word_tokenizer

VOCABULARY = [["Peter", "Blackburn", "visited", "Zürich", "in", "1996", "."], ["the", "EU", "über", "x\u200by"]]
TOKENS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
SENTENCES = st.lists(st.lists(TOKENS, min_size=1, max_size=8), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(sentences=SENTENCES, lowercase=st.booleans(), fallback=st.booleans(), max_chars=st.integers(1, 6))
def test_padded_batches_equal_the_padded_arrays_of_each_sentence(sentences, lowercase, fallback, max_chars):
    words = WordIds(train_word_tokenizer(VOCABULARY, lowercase=lowercase), lowercase_fallback=fallback)
    chars = CharIds(train_char_tokenizer(VOCABULARY), max_chars=max_chars)
    for featurizer in (words, chars, CasingIds()):
        if isinstance(featurizer, WordIds) and any(any(c.isspace() for c in t) for s in sentences for t in s):
            continue  # the tokenizer splits a token at whitespace; one token keeps one id in a batch
        np.testing.assert_array_equal(featurizer.padded(sentences), pad_arrays(featurizer(sentences)))


@settings(max_examples=60, deadline=None)
@given(batches=st.lists(SENTENCES, min_size=1, max_size=5), limit=st.integers(1, 8))
def test_tokens_remembered_between_batches_give_what_a_fresh_featurizer_gives(batches, limit):
    word_tokenizer, char_tokenizer = train_word_tokenizer(VOCABULARY), train_char_tokenizer(VOCABULARY)
    words, chars = WordIds(word_tokenizer, lowercase_fallback=True), CharIds(char_tokenizer, max_chars=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(featurizers, "REMEMBERED_TOKENS", limit)
        for sentences in batches:
            sentences = [[t for t in s if not any(c.isspace() for c in t)] or ["x"] for s in sentences]
            fresh_words, fresh_chars = WordIds(word_tokenizer, lowercase_fallback=True), CharIds(char_tokenizer, 4)
            np.testing.assert_array_equal(words.padded(sentences), fresh_words.padded(sentences))
            np.testing.assert_array_equal(chars.padded(sentences), fresh_chars.padded(sentences))
            distinct = len({t for s in sentences for t in s})
            assert all(len(f.__dict__["_remembered"]) <= limit + distinct for f in (words, chars))  # bounded


def test_batch_inputs_give_the_mask_and_refuse_an_empty_sentence():
    words = WordIds(train_word_tokenizer(VOCABULARY))
    mask, inputs = batch_inputs({"word_ids": words}, [["Peter"], ["the", "EU", "."]])
    assert mask.tolist() == [[True, False, False], [True, True, True]]
    assert inputs["word_ids"].shape == (2, 3) and inputs["word_ids"][0, 1:].tolist() == [0, 0]
    with pytest.raises(ValueError, match="sentence 2 of the batch has no words"):
        batch_inputs({"word_ids": words}, [["Peter"], []])


@pytest.mark.parametrize("scheme", ["IOB1", "IOB2", "IOBES", "BILOU"])
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_spans_of_tag_ids_are_seqevals(scheme, data):
    labels = labels_for_types(["LOC", "PER"], scheme)
    rows = data.draw(st.lists(st.lists(st.integers(0, len(labels) - 1), min_size=1, max_size=12), max_size=5))
    decoder = SpanDecoder(labels, scheme)
    expected = strict_spans([[labels[i] for i in row] for row in rows], scheme)
    assert [decoder.spans(row) for row in rows] == [sorted(s, key=lambda span: span[1]) for s in expected]


def test_a_label_outside_the_scheme_is_refused_when_it_occurs():
    decoder = SpanDecoder(["O", "B-PER", "X-PER"], "IOB2")
    assert decoder.spans([1, 0]) == [("PER", 0, 1)]
    with pytest.raises(ValueError, match="'X-PER' is not a IOB2 tag"):
        decoder.spans([2, 0])


@pytest.mark.parametrize("scale", [1.0, 10.0, 40.0])
def test_crf_marginals_equal_float64_forward_backward(scale):
    labels = labels_for_types(["LOC", "PER"], "IOB2")
    crf = CRF(len(labels), allowed_transitions("IOB2", labels))
    generator = torch.Generator().manual_seed(int(scale))
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
    emissions = torch.randn(6, 40, len(labels), generator=generator) * scale
    mask = torch.arange(40)[None, :] < torch.tensor([1, 2, 7, 40, 33, 12])[:, None]
    trans, start, end = (x.double() for x in crf.scores())
    alphas = forward_scores(emissions.double(), mask, trans, start)
    betas = backward_scores(emissions.double(), mask, trans, end)
    log_z = torch.logsumexp(alphas[:, -1] + end, dim=1)
    expected = (alphas + betas - log_z.view(-1, 1, 1)).exp().masked_fill(~mask.unsqueeze(2), 0.0)
    found = crf.marginals(emissions, mask)
    assert found.dtype == torch.float32
    torch.testing.assert_close(found.double(), expected, atol=1e-6, rtol=0)
