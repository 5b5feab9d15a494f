"""Unseen-word drift: dev/test words outside train take the fine-tuning drift of their nearest
training words, written into the word table by a callback so checkpoints carry it."""
from __future__ import annotations

import pytest
import torch

from seqlab.modules.drift import UnseenWordDrift

# ids 0 <pad>, 1 <unk>, 2-4 training words, 5-6 words only dev/test hold
INITIAL = torch.tensor([
    [0.0, 0.0], [0.3, 0.3],
    [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0],
    [2.0, 0.1], [0.6, 0.8],
])
DRIFT = torch.tensor([[0.5, 0.0], [0.0, -0.5], [9.0, 9.0]])  # of training words 2, 3, 4


def trained() -> torch.Tensor:
    weight = INITIAL.clone()
    weight[1] += 0.7  # the unknown row trains too, but has no pretrained vector to drift from
    weight[2:5] += DRIFT
    return weight


def test_an_unseen_word_takes_the_drift_of_its_nearest_training_word():
    weight = trained()
    UnseenWordDrift(INITIAL, train_word_vocab_size=5, neighbours=1).apply(weight)
    assert weight[:5].tolist() == trained()[:5].tolist()  # training rows, padding and unknown as trained
    assert weight[5].tolist() == pytest.approx([2.5, 0.1])  # nearest to word 2 by cosine
    assert weight[6].tolist() == pytest.approx([0.6, 0.3])  # nearest to word 3 (cos 0.8 against 0.6)


def test_several_neighbours_are_weighted_by_cosine_and_opposite_words_count_nothing():
    moved = UnseenWordDrift(INITIAL, train_word_vocab_size=5, neighbours=3).moved(trained())
    # word 6 = (0.6, 0.8): cosines 0.6 (word 2), 0.8 (word 3), -0.6 (word 4, weight 0)
    expected = torch.tensor([0.6, 0.8]) + (0.6 * DRIFT[0] + 0.8 * DRIFT[1]) / 1.4
    assert moved[1].tolist() == pytest.approx(expected.tolist())
    assert UnseenWordDrift(INITIAL, 5, neighbours=50).neighbours == 3  # no more than the training words


def test_the_scale_multiplies_the_mean_drift():
    moved = UnseenWordDrift(INITIAL, train_word_vocab_size=5, neighbours=1, scale=2.0).moved(trained())
    assert moved[0].tolist() == pytest.approx([3.0, 0.1])  # 2 x word 2's drift (0.5, 0)


def test_moved_rows_start_from_their_initial_vectors_whatever_happened_to_them():
    """Rows that weight decay (or an earlier application) changed are moved from where they began."""
    drift = UnseenWordDrift(INITIAL, train_word_vocab_size=5, neighbours=1)
    weight = trained()
    weight[5:] *= 0.5  # e.g. decayed
    drift.apply(weight)
    drift.apply(weight)  # idempotent
    assert weight[5].tolist() == pytest.approx([2.5, 0.1])


def test_bad_settings_are_errors():
    with pytest.raises(ValueError, match="neighbours must be >= 1"):
        UnseenWordDrift(INITIAL, 5, neighbours=0)
    with pytest.raises(ValueError, match="scale must be > 0"):
        UnseenWordDrift(INITIAL, 5, neighbours=1, scale=0.0)
    from seqlab.training.callbacks import UnseenWordDrift as Callback

    with pytest.raises(ValueError, match="callbacks.unseen_word_drift"):
        Callback(neighbours=0)


def test_a_trained_checkpoint_holds_the_moved_rows_and_the_predictor_reads_them(make_config, tmp_path):
    """Train on the sample with vectors for every word: the checkpoint's word table has the dev/test-only
    rows moved from the file's vectors by the drift of the trained rows, and the Predictor uses that table."""
    from seqlab.training.checkpoint import read_checkpoint, restore
    from seqlab.training.pipeline import train
    from seqlab.predict.predictor import Predictor
    from seqlab.resources import sample_path

    words = {line.split()[0] for split in ("train", "dev", "test")
             for line in (sample_path("conll") / f"{split}.txt").read_text().splitlines() if line.strip()}
    generator = torch.Generator().manual_seed(0)
    vectors = {w: torch.randn(4, generator=generator) for w in sorted(words)}
    path = tmp_path / "vectors.txt"
    path.write_text("".join(f"{w} {' '.join(f'{x:.6f}' for x in v.tolist())}\n" for w, v in vectors.items()))
    train(make_config(f"embedding.word.pretrained={path}", "embedding.word.dim=4", "callbacks=drift",
                      "callbacks.unseen_word_drift.neighbours=3", "trainer.max_epochs=2"))
    checkpoint = read_checkpoint(tmp_path / "checkpoints" / "last.ckpt")
    model = restore(checkpoint)
    spec, weight = model.task.spec, model.task.embedder.parts["word"].weight.detach()
    vocab, n = spec.word_tokenizer.get_vocab(), spec.train_word_vocab_size
    assert n < len(vocab)  # the sample's dev/test hold words train does not
    initial = next(state["initial"] for name, state in checkpoint["callbacks"].items() if "UnseenWordDrift" in name)
    by_id = {i: w for w, i in vocab.items()}
    covered = [i for i in range(n, len(vocab)) if by_id[i] in vectors]
    assert covered and torch.allclose(initial[covered], torch.stack([vectors[by_id[i]] for i in covered]), atol=1e-5)
    expected = UnseenWordDrift(initial, n, neighbours=3).moved(weight)
    assert torch.allclose(weight[n:], expected, atol=1e-6)
    assert not torch.allclose(weight[n:], initial[n:])  # moved by the drift of trained words
    predictor = Predictor.from_checkpoint(tmp_path / "checkpoints" / "last.ckpt")
    assert torch.equal(predictor.backend.network.embedder.parts["word"].weight, model.task.embedder.parts["word"].weight)
