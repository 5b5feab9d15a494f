"""embedding.word.keep: pretrained rows kept for text the data never showed, looked up exactly then
in lowercase; data.vector_splits keeps chosen splits' words out of the vocabulary."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from seqlab.training.build import build_datamodule, build_task
from seqlab.errors import ConfigError
from seqlab.resources import sample_path

EXTRA = ["zanzibar", "kathmandu", "ulaanbaatar"]  # in the vectors file, in no sample split


def sample_words(*splits: str) -> set[str]:
    return {line.split()[0] for split in splits
            for line in (sample_path("conll") / f"{split}.txt").read_text().splitlines() if line.strip()}


@pytest.fixture
def vectors_file(tmp_path: Path) -> tuple[Path, dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(0)
    words = EXTRA + sorted(sample_words("train", "dev", "test"))  # the extra words are "most frequent"
    vectors = {w: torch.randn(4, generator=generator) for w in words}
    path = tmp_path / "vectors.txt"
    path.write_text("".join(f"{w} {' '.join(f'{x:.6f}' for x in v.tolist())}\n" for w, v in vectors.items()))
    return path, vectors


def built(make_config, path: Path, *overrides: str):
    cfg = make_config(f"embedding.word.pretrained={path}", "embedding.word.dim=4", *overrides)
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    return datamodule, build_task(cfg, datamodule.spec, datamodule.pretrained_vectors)


def test_keep_all_serves_words_no_split_holds_exactly_then_lowercase(make_config, vectors_file):
    path, vectors = vectors_file
    datamodule, task = built(make_config, path, "embedding.word.keep=all")
    spec = datamodule.spec
    start = spec.kept_vectors_start
    assert start is not None and spec.lowercase_fallback
    part = task.embedder.parts["word"]
    assert part.weight.shape[0] == start  # trained rows: the data's words only
    assert part.kept_vectors.dtype == torch.float16 and not part.kept_vectors.requires_grad
    ids = task.featurizers()["word_ids"]([["Zanzibar", "KATHMANDU", "zanzibar", "Qwxz"]])[0].tolist()
    vocab = spec.word_tokenizer.get_vocab()
    assert ids[:3] == [vocab["zanzibar"], vocab["kathmandu"], vocab["zanzibar"]] and ids[3] == 1  # unknown
    assert min(ids[:3]) >= start
    out = part.eval()(torch.tensor([ids]))[0]
    assert torch.allclose(out[0], vectors["zanzibar"], atol=1e-3)  # float16 storage
    assert torch.allclose(out[1], vectors["kathmandu"], atol=1e-3)
    assert torch.equal(out[3], part.weight[1])


def test_keep_a_count_keeps_the_most_frequent(make_config, vectors_file):
    path, _ = vectors_file
    datamodule, _ = built(make_config, path, "embedding.word.keep=2")
    vocab = datamodule.spec.word_tokenizer.get_vocab()
    assert "zanzibar" in vocab and "kathmandu" in vocab and "ulaanbaatar" not in vocab


def test_dataset_default_keeps_no_rows_and_vector_splits_keep_test_words_out(make_config, vectors_file):
    path, _ = vectors_file
    datamodule, task = built(make_config, path)
    assert datamodule.spec.kept_vectors_start is None and task.embedder.parts["word"].kept_vectors is None
    everything = set(datamodule.spec.word_tokenizer.get_vocab())
    datamodule, _ = built(make_config, path, "data.vector_splits=[train,dev]")
    without_test = set(datamodule.spec.word_tokenizer.get_vocab())
    test_only = sample_words("test") - sample_words("train", "dev")
    assert test_only & everything and not test_only & without_test


@pytest.mark.parametrize("override, key", [("embedding.word.keep=some", "embedding.word.keep"),
                                           ("embedding.word.keep=0", "embedding.word.keep"),
                                           ("data.vector_splits=[train,tset]", "data.vector_splits")])
def test_bad_keep_settings_are_config_errors(make_config, vectors_file, override, key):
    with pytest.raises(ConfigError, match=key):
        built(make_config, vectors_file[0], override)


def test_keep_without_vectors_is_a_config_error(make_config):
    with pytest.raises(ConfigError, match="embedding.word.keep=all keeps rows of pretrained vectors, but none"):
        build_datamodule(make_config("embedding.word.keep=all"))


def test_drift_moves_the_kept_rows_and_the_checkpoint_holds_them(make_config, vectors_file, tmp_path):
    from seqlab.training.checkpoint import read_checkpoint, restore
    from seqlab.modules.drift import UnseenWordDrift
    from seqlab.training.pipeline import train

    path, vectors = vectors_file
    train(make_config(f"embedding.word.pretrained={path}", "embedding.word.dim=4", "embedding.word.keep=all",
                      "callbacks=drift", "callbacks.unseen_word_drift.neighbours=3"))
    checkpoint = read_checkpoint(tmp_path / "checkpoints" / "last.ckpt")
    part = restore(checkpoint).task.embedder.parts["word"]
    spec = restore(checkpoint).task.spec
    table = torch.cat([part.weight.detach(), part.kept_vectors.float()])
    initial = next(state["initial"] for name, state in checkpoint["callbacks"].items() if "UnseenWordDrift" in name)
    expected = UnseenWordDrift(initial, spec.train_word_vocab_size, neighbours=3).moved(table)
    kept = spec.kept_vectors_start
    assert torch.allclose(part.kept_vectors.float(), expected[kept - spec.train_word_vocab_size:], atol=1e-2)
    zanzibar = spec.word_tokenizer.get_vocab()["zanzibar"] - kept
    assert not torch.allclose(part.kept_vectors[zanzibar].float(), vectors["zanzibar"], atol=1e-4)  # moved
