"""Long texts: truncation for classifiers, overlapping windows for taggers, token-bounded batches."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqlab.data.collate import BucketBatchSampler
from seqlab.data.datamodules import ConllDataModule, TextClassificationDataModule
from seqlab.data.long_documents import truncate
from seqlab.data.tag_schemes import to_spans
from seqlab.errors import ConfigError
from seqlab.windowing import windows


@given(st.integers(1, 300), st.integers(1, 40), st.data())
def test_windows_cover_every_word_within_the_size(length, size, data):
    overlap = data.draw(st.integers(0, size - 1))
    spans = windows(length, size, overlap)
    covered = set()
    for start, end in spans:
        assert 0 <= start < end <= length and end - start == min(size, length)
        covered.update(range(start, end))
    assert covered == set(range(length))
    assert spans[-1][1] == length
    for (a, b), (c, _) in zip(spans, spans[1:]):
        assert a < c and b - c >= overlap  # neighbours share at least `overlap` words


@pytest.mark.parametrize(
    "how, kept",
    [
        ("head", [0, 1, 2, 3, 4, 5, 6, 7]),
        ("tail", [12, 13, 14, 15, 16, 17, 18, 19]),
        ("head+tail", [0, 1, 14, 15, 16, 17, 18, 19]),
    ],
)
def test_truncation_keeps_the_chosen_part(how, kept):
    assert truncate(list(range(20)), 8, how) == kept
    assert truncate([1, 2], 8, how) == [1, 2]


def test_sampler_bounds_the_padded_tokens_of_a_batch():
    lengths = [5] * 10 + [50] * 10 + [400]
    sampler = BucketBatchSampler(lengths, batch_size=8, shuffle=True, max_tokens=100)
    batches = list(sampler)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= 8
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 100
    assert len(sampler) == len(batches)
    assert [20] in batches  # longer than the budget alone: a batch of its own


def test_training_windows_keep_every_word_and_whole_spans(tmp_path):
    whole = ConllDataModule(cache_dir=str(tmp_path), tag_scheme="IOBES")
    whole.setup("fit")
    data = ConllDataModule(cache_dir=str(tmp_path), tag_scheme="IOBES", max_tokens=6, window_overlap=2)
    data.setup("fit")
    train = data.dataset("train")
    assert len(train) > len(whole.dataset("train"))
    assert max(len(tokens) for tokens in train["tokens"]) == 6
    for tags in train["tags"]:
        to_spans(tags, "IOBES")  # a span cut at a window edge is re-tagged whole: valid IOBES
    assert data.dataset("test")["tokens"] == whole.dataset("test")["tokens"]  # evaluation reads whole sentences
    assert {w for s in train["tokens"] for w in s} == {w for s in whole.dataset("train")["tokens"] for w in s}


def test_classification_truncates_every_split_and_records_it(tmp_path):
    data = TextClassificationDataModule(cache_dir=str(tmp_path), max_tokens=4, truncation="tail")
    data.setup("fit")
    for split in ("train", "dev", "test"):
        assert max(len(tokens) for tokens in data.dataset(split)["tokens"]) == 4
    assert data.spec is not None and (data.spec.max_tokens, data.spec.truncation) == (4, "tail")


@pytest.mark.parametrize(
    "module, arguments, key",
    [
        (TextClassificationDataModule, {"max_tokens": 0}, "data.max_tokens"),
        (TextClassificationDataModule, {"max_tokens": 10, "truncation": "middle"}, "data.truncation"),
        (ConllDataModule, {"max_tokens": 10, "window_overlap": 10}, "data.window_overlap"),
        (ConllDataModule, {"window_overlap": 3}, "data.window_overlap"),
        (ConllDataModule, {"max_batch_tokens": 0}, "data.max_batch_tokens"),
    ],
)
def test_bad_lengths_are_config_errors_naming_the_key(module, arguments, key):
    with pytest.raises(ConfigError, match=key):
        module(**arguments)
