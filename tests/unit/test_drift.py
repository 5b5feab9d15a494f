"""Unseen-word drift: dev/test words outside train take the fine-tuning drift of their nearest training words."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from seqlab.modules.drift import UnseenWordDrift
from seqlab.modules.embedding import TokenEmbedder

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
    table = UnseenWordDrift(INITIAL, train_word_vocab_size=5, neighbours=1).table(trained())
    assert table[:5].tolist() == trained()[:5].tolist()  # training rows, padding and unknown as trained
    assert table[5].tolist() == pytest.approx([2.5, 0.1])  # nearest to word 2 by cosine
    assert table[6].tolist() == pytest.approx([0.6, 0.3])  # nearest to word 3 (cos 0.8 against 0.6)


def test_several_neighbours_are_weighted_by_cosine_and_opposite_words_count_nothing():
    table = UnseenWordDrift(INITIAL, train_word_vocab_size=5, neighbours=3).table(trained())
    # word 6 = (0.6, 0.8): cosines 0.6 (word 2), 0.8 (word 3), -0.6 (word 4, weight 0)
    expected = torch.tensor([0.6, 0.8]) + (0.6 * DRIFT[0] + 0.8 * DRIFT[1]) / 1.4
    assert table[6].tolist() == pytest.approx(expected.tolist())


def test_changing_the_neighbour_count_rebuilds_the_table():
    drift = UnseenWordDrift(INITIAL, train_word_vocab_size=5, neighbours=1)
    assert drift.table(trained())[6].tolist() == pytest.approx([0.6, 0.3])
    drift.neighbours = 3  # e.g. chosen on dev after training
    expected = torch.tensor([0.6, 0.8]) + (0.6 * DRIFT[0] + 0.8 * DRIFT[1]) / 1.4
    assert drift.table(trained())[6].tolist() == pytest.approx(expected.tolist())
    lists = drift._unseen_neighbours
    drift.neighbours = 50
    assert drift.neighbours == 3  # no more than the training words
    assert drift._unseen_neighbours is lists  # the same K keeps its neighbour lists
    with pytest.raises(ValueError, match="neighbours must be >= 1"):
        drift.neighbours = 0


def test_the_scale_multiplies_the_mean_drift_for_unseen_words_and_estimates():
    drift = UnseenWordDrift(INITIAL, train_word_vocab_size=5, neighbours=1, scale=2.0)
    assert drift.table(trained())[5].tolist() == pytest.approx([3.0, 0.1])  # 2 x word 2's drift (0.5, 0)
    initial = INITIAL.clone()
    initial[3] = torch.tensor([1.0, 1.0])  # word 2's nearest other training word, drift (0, -0.5)
    estimate = UnseenWordDrift(initial, train_word_vocab_size=5, neighbours=1, scale=2.0).estimate(
        torch.tensor([2]), initial + torch.cat([torch.zeros(2, 2), DRIFT, torch.zeros(2, 2)]))
    assert estimate.flatten().tolist() == pytest.approx([1.0, -1.0])
    drift.scale = 3.0  # e.g. chosen on dev after training
    assert drift.table(trained())[5].tolist() == pytest.approx([3.5, 0.1])
    with pytest.raises(ValueError, match="scale must be > 0"):
        drift.scale = 0.0


def test_the_reference_is_the_initial_table_not_a_view_of_the_trained_one():
    weight = INITIAL.clone()
    drift = UnseenWordDrift(weight, train_word_vocab_size=5, neighbours=1)
    weight[2:5] += DRIFT  # the optimiser updates the embedding in place
    assert drift.table(weight)[5].tolist() == pytest.approx([2.5, 0.1])
    assert set(drift.state_dict()) == {"initial"} and drift.initial.shape == (3, 2)


def test_a_training_word_estimate_uses_its_neighbours_not_itself():
    initial = INITIAL.clone()
    initial[3] = torch.tensor([1.0, 1.0])
    drift = UnseenWordDrift(initial, train_word_vocab_size=5, neighbours=1)
    weight = initial.clone()
    weight[2:5] += DRIFT
    estimate = drift.estimate(torch.tensor([2, 3, 4]), weight)
    # word 2 = (1, 0) and word 3 = (1, 1) are each other's nearest; word 4 = (-1, 0) has no
    # training word at a positive cosine, so it drifts by nothing
    assert estimate.flatten().tolist() == pytest.approx([1.0, -0.5, 1.5, 1.0, -1.0, 0.0])
    assert not estimate.requires_grad


def embedder(**kwargs) -> TokenEmbedder:
    return TokenEmbedder(7, 4, word_dim=2, dropout=0.0, pretrained=INITIAL, train_word_vocab_size=5, **kwargs)


def test_the_embedder_reads_moved_rows_at_evaluation_only_and_refreshes_after_training():
    module = embedder(drift_neighbours=1)
    ids = torch.tensor([[2, 5, 0]])
    assert module.train()(ids)[0, 1].tolist() == pytest.approx([2.0, 0.1])  # training: its own vector
    assert module.eval()(ids)[0, 1].tolist() == pytest.approx([2.0, 0.1])  # nothing has drifted yet
    with torch.no_grad():
        module.word.weight[2] += torch.tensor([0.5, 0.0])
    module.train()
    assert module.eval()(ids)[0].flatten().tolist() == pytest.approx([1.5, 0.0, 2.5, 0.1, 0.0, 0.0])
    plain = embedder()
    plain.load_state_dict(module.state_dict(), strict=False)
    assert plain.eval()(ids)[0, 1].tolist() == pytest.approx([2.0, 0.1])  # off: the pretrained vector as it is


def test_loading_weights_into_an_evaluating_embedder_refreshes_the_moved_rows():
    source = embedder(drift_neighbours=1)
    with torch.no_grad():
        source.word.weight[2] += torch.tensor([0.5, 0.0])
    target = embedder(drift_neighbours=1).eval()
    ids = torch.tensor([[5]])
    assert target(ids)[0, 0].tolist() == pytest.approx([2.0, 0.1])
    target.load_state_dict(source.state_dict())
    assert target(ids)[0, 0].tolist() == pytest.approx([2.5, 0.1])


def test_drift_dropout_replaces_training_words_by_their_estimate_in_training_only():
    module = embedder(drift_neighbours=1, drift_dropout=0.999)
    with torch.no_grad():
        module.word.weight[2:5] += DRIFT
    ids = torch.tensor([[2, 3, 1, 5, 0]])
    torch.manual_seed(0)
    out = module.train()(ids)[0]
    estimate = module.drift.estimate(torch.tensor([2, 3]), module.word.weight)
    assert out[:2].flatten().tolist() == pytest.approx(estimate.flatten().tolist())
    rest = module.word.weight[torch.tensor([1, 5, 0])]  # unknown, unseen and padding keep their rows
    assert out[2:].flatten().tolist() == pytest.approx(rest.flatten().tolist())
    out.sum().backward()
    assert module.word.weight.grad[2:5].abs().sum() == 0 and module.word.weight.grad[1].abs().sum() > 0
    assert module.eval()(ids)[0, 0].tolist() == pytest.approx(module.word.weight[2].tolist())


def test_bad_settings_are_errors():
    with pytest.raises(ValueError, match="drift_neighbours must be >= 0"):
        embedder(drift_neighbours=-1)
    with pytest.raises(ValueError, match="use one or the other"):
        embedder(drift_neighbours=5, static_pretrained=True)
    with pytest.raises(ValueError, match="which word ids are training words"):
        TokenEmbedder(7, 4, word_dim=2, drift_neighbours=5)
    with pytest.raises(ValueError, match="set embedding.drift_neighbours"):
        embedder(drift_dropout=0.1)
    with pytest.raises(ValueError, match=r"drift_dropout must be in \[0, 1\)"):
        embedder(drift_neighbours=1, drift_dropout=1.0)
    with pytest.raises(ValueError, match="drift_scale=2.0 scales the unseen-word drift"):
        embedder(drift_scale=2.0)


def test_a_trained_checkpoint_keeps_the_reference_and_moves_the_unseen_words(make_config, tmp_path):
    """Train on the sample with vectors for every word, restore the checkpoint: the reference rows
    are the file's vectors (not a fresh initialisation) and the dev/test-only words are moved."""
    from seqlab.checkpoint import read_checkpoint, restore
    from seqlab.pipeline import train
    from seqlab.resources import sample_path

    words = {line.split()[0] for split in ("train", "dev", "test")
             for line in (sample_path("conll") / f"{split}.txt").read_text().splitlines() if line.strip()}
    generator = torch.Generator().manual_seed(0)
    vectors = {w: torch.randn(4, generator=generator) for w in sorted(words)}
    path = tmp_path / "vectors.txt"
    path.write_text("".join(f"{w} {' '.join(f'{x:.6f}' for x in v.tolist())}\n" for w, v in vectors.items()))
    train(make_config(f"embedding.pretrained={path}", "embedding.word_dim=4", "embedding.drift_neighbours=3",
                      "trainer.max_epochs=2"))
    model = restore(read_checkpoint(tmp_path / "checkpoints" / "last.ckpt"))
    embedder, vocab = model.task.embedder, model.word_tokenizer.get_vocab()
    first, n = 2, model.spec.train_word_vocab_size
    assert n < len(vocab)  # the sample's dev/test hold words train does not
    by_id = {i: w for w, i in vocab.items()}
    covered = [i for i in range(first, n) if by_id[i] in vectors]  # digits are read as 0: "1996" -> "0000"
    assert len(covered) > (n - first) // 2
    expected = torch.stack([vectors[by_id[i]] for i in covered])
    assert torch.allclose(embedder.drift.initial[torch.tensor(covered) - first], expected, atol=1e-5)
    table = embedder.drift.table(embedder.word.weight)
    assert torch.equal(table[:n], embedder.word.weight[:n])
    assert not torch.allclose(table[n:], embedder.word.weight[n:])  # moved by the drift of trained words

    # scripts/sweep_drift_neighbours.py scores the checkpoint at other K and scales without retraining
    script = Path(__file__).parents[2] / "scripts" / "sweep_drift_neighbours.py"
    subprocess.run([sys.executable, str(script), str(tmp_path / "checkpoints" / "last.ckpt"), "--neighbours", "1", "3",
                    "--scales", "1", "2", "--out", str(tmp_path / "sweep")], check=True, capture_output=True)
    scores = next(iter(json.loads((tmp_path / "sweep" / "drift_neighbours.json").read_text()).values()))
    assert set(scores) == {"K=1 scale=1", "K=1 scale=2", "K=3 scale=1", "K=3 scale=2"}
    assert all(0 <= scores[k][split] <= 100 for k in scores for split in ("dev", "test"))
    assert "| **mean** |" in (tmp_path / "sweep" / "drift_neighbours.md").read_text()
