"""The assembled tagger: config overrides change the model, gradients, batching invariance."""
from __future__ import annotations

import pytest
import torch

from seqlab.training.build import build_datamodule, build_task
from seqlab.data.collate import collate_examples
from seqlab.training.pipeline import count_parameters


def task_for(make_config, ner_datamodule, *overrides):
    torch.manual_seed(0)
    return build_task(make_config(*overrides), ner_datamodule.spec)


def encoded(task, ner_datamodule, split):
    """The split encoded with the inputs ``task``'s embedding parts read."""
    ner_datamodule.use_featurizers(task.featurizers())
    return ner_datamodule.encoded(split)


@pytest.mark.parametrize(
    "override",
    [
        "encoder.hidden_size=256",
        "encoder.num_layers=2",
        "head=softmax",
        "embedding.char=null",
        "embedding/char=lstm",
        "encoder=bigru",
        "embedding.word.dim=50",
        "~embedding/word",
        "data.tag_scheme=IOBES",
    ],
)
def test_override_changes_the_model(make_config, ner_datamodule, override):
    base = task_for(make_config, ner_datamodule)
    if override.startswith("data."):
        cfg = make_config(override)
        dm = build_datamodule(cfg)
        dm.setup("fit")
        changed = build_task(cfg, dm.spec)
        assert changed.spec.labels != base.spec.labels
        assert any(label.startswith("E-") for label in changed.spec.labels)
    else:
        changed = task_for(make_config, ner_datamodule, override)
    assert count_parameters(changed) != count_parameters(base), override


def test_composed_model_matches_the_config(make_config, ner_datamodule):
    task = task_for(make_config, ner_datamodule, "encoder.hidden_size=64", "encoder.num_layers=2", "head=softmax")
    assert task.encoder.rnn.hidden_size == 64 and task.encoder.rnn.num_layers == 2
    assert type(task.head).__name__ == "SoftmaxTagHead"
    assert list(task_for(make_config, ner_datamodule).embedder.parts) == ["word", "char"]
    assert list(task_for(make_config, ner_datamodule, "embedding.char=null").embedder.parts) == ["word"]
    only_chars = task_for(make_config, ner_datamodule, "~embedding/word", "embedding/char=lstm")
    assert list(only_chars.embedder.parts) == ["char"] and set(only_chars.featurizers()) == {"char_ids"}
    assert type(task_for(make_config, ner_datamodule, "optimizer=sgd", "optimizer.lr=0.015").configure_optimizers()["optimizer"]).__name__ == "SGD"


@pytest.mark.parametrize("overrides", [(), ("head=softmax",), ("embedding/char=lstm", "encoder=bigru", "encoder.num_layers=2")])
def test_every_trainable_parameter_gets_a_gradient(make_config, ner_datamodule, overrides):
    task = task_for(make_config, ner_datamodule, *overrides)
    batch = collate_examples(encoded(task, ner_datamodule, "train")[:16])
    task.train()
    task.head.loss(task.features(batch), batch.targets, batch.mask).backward()
    missing = [n for n, p in task.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.abs().sum() > 0)]
    assert not missing


@pytest.mark.parametrize("overrides", [(), ("head=softmax",), ("embedding/char=lstm",)])
def test_batched_predictions_equal_one_sentence_at_a_time(make_config, ner_datamodule, overrides):
    task = task_for(make_config, ner_datamodule, *overrides).eval()
    sentences = encoded(task, ner_datamodule, "dev")[:24]
    with torch.no_grad():
        batch = collate_examples(sentences)
        batched = task.labels_of(task(batch), batch.mask)
        single = [task.labels_of(task(collate_examples([s])), collate_examples([s]).mask)[0] for s in sentences]
        assert batched == single
        emissions = task.head.projection(task.features(batch))
        for i, s in enumerate(sentences):
            one = collate_examples([s])
            n = s.length
            assert torch.allclose(emissions[i, :n], task.head.projection(task.features(one))[0], atol=1e-5)


def test_dimension_mismatch_names_both_sides(make_config, ner_datamodule):
    from seqlab.modules.embedder import TokenEmbedder
    from seqlab.modules.encoder import BiLSTMEncoder
    from seqlab.modules.heads import CRFTagHead
    from seqlab.model.network import Network
    from seqlab.modules.word import WordEmbedding

    embedder = TokenEmbedder({"word": WordEmbedding(ner_datamodule.spec, dim=100)})
    with pytest.raises(ValueError, match="encoder input_dim 99 does not match embedder output_dim 100"):
        Network(embedder, BiLSTMEncoder(99), CRFTagHead(200, 9))


def char_spec(size: int):
    """A spec whose character vocabulary has ``size`` ids."""
    from tokenizers import Tokenizer, models

    from seqlab.spec import DataSpec

    chars = Tokenizer(models.WordLevel({str(i): i for i in range(size)}, unk_token="1"))
    return DataSpec(labels=("O",), tag_scheme=None, word_tokenizer=chars, char_tokenizer=chars)


def test_char_cnn_ignores_padding_and_needs_an_odd_window():
    from seqlab.modules.chars import CharCNNEmbedding

    with pytest.raises(ValueError, match="kernel_size must be a positive odd number, got 4"):
        CharCNNEmbedding(char_spec(10), kernel_size=4)
    cnn = CharCNNEmbedding(char_spec(10), kernel_size=5).eval()
    word = torch.tensor([[[3, 4, 5]]])
    padded = torch.tensor([[[3, 4, 5, 0, 0, 0], [0, 0, 0, 0, 0, 0]]])  # longer char padding, a padding token
    out = cnn(padded)
    assert torch.allclose(out[0, 0], cnn(word)[0, 0], atol=1e-6) and out[0, 1].eq(0).all()


@pytest.mark.parametrize("kernel_size", [1, 3, 5])
def test_char_cnn_equals_convolution_and_max_over_each_padded_word(kernel_size):
    """The character-stream computation gives what ``conv`` + max over each word's characters gives."""
    from seqlab.modules.chars import CharCNNEmbedding

    torch.manual_seed(kernel_size)
    cnn = CharCNNEmbedding(char_spec(20), embedding_dim=6, num_filters=7, kernel_size=kernel_size)
    lengths = torch.tensor([[1, 4, 9, 2], [3, 0, 0, 0]])  # word lengths; 0 = padding token
    char_ids = torch.zeros(2, 4, 9, dtype=torch.long)
    for b, t in lengths.nonzero().tolist():
        char_ids[b, t, : lengths[b, t]] = torch.randint(1, 20, (int(lengths[b, t]),))
    got = cnn(char_ids)

    conv = cnn.conv(cnn.embedding(char_ids.view(8, 9)).transpose(1, 2))  # (8, F, 9), zero padding
    conv = conv.masked_fill((char_ids.view(8, 1, 9) == 0), float("-inf")).max(2).values.view(2, 4, 7)
    expected = torch.where((lengths > 0).unsqueeze(2), conv, torch.zeros(()))
    assert torch.allclose(got, expected, atol=1e-5)
    got.sum().backward()
    assert cnn.conv.weight.grad is not None and cnn.embedding.weight.grad[0].eq(0).all()


def test_char_cnn_dropout_acts_in_training_only():
    from seqlab.modules.chars import CharCNNEmbedding

    torch.manual_seed(0)
    cnn = CharCNNEmbedding(char_spec(20), dropout=0.5)
    char_ids = torch.tensor([[[3, 4, 5, 6], [0, 0, 0, 0]]])
    assert not torch.equal(cnn(char_ids), cnn(char_ids))  # other characters dropped each call
    assert cnn(char_ids)[0, 1].eq(0).all()  # a padding token stays zero
    cnn.eval()
    assert torch.equal(cnn(char_ids), cnn(char_ids))
    plain = CharCNNEmbedding(char_spec(20))
    plain.load_state_dict(cnn.state_dict())
    assert torch.equal(cnn(char_ids), plain(char_ids))  # evaluation: no dropout at all


def test_dropout_keeps_the_expectation_and_drops_p_of_the_values():
    from seqlab.modules.dropout import Dropout

    torch.manual_seed(0)
    x = torch.ones(200, 500)
    dropout = Dropout(0.3)
    y = dropout(x)
    assert abs(float((y == 0).float().mean()) - 0.3) < 0.01
    assert torch.allclose(y[y != 0], torch.full_like(y[y != 0], 1 / 0.7))
    assert abs(float(y.mean()) - 1.0) < 0.02
    assert torch.equal(dropout.eval()(x), x)
    assert torch.equal(Dropout(1.0)(x), torch.zeros_like(x)) and torch.equal(Dropout(0.0)(x), x)
    z = torch.randn(3, 4, requires_grad=True)
    Dropout(0.5)(z).sum().backward()
    assert set(z.grad.unique().tolist()) <= {0.0, 2.0}


def test_variational_dropout_shares_one_mask_over_the_time_steps():
    from seqlab.modules.dropout import Dropout

    torch.manual_seed(0)
    x = torch.ones(64, 30, 50)
    y = Dropout(0.4, variational=True)(x)
    assert torch.equal(y, y[:, :1].expand_as(y))  # every step of a sentence drops the same features
    assert not torch.equal(y[0], y[1])  # each sentence draws its own mask
    assert abs(float((y == 0).float().mean()) - 0.4) < 0.03 and abs(float(y.mean()) - 1.0) < 0.05
    assert torch.equal(Dropout(0.4, variational=True).eval()(x), x)


def test_variational_dropout_stacks_single_layers_with_one_mask_between_them(make_config, ner_datamodule):
    from seqlab.modules.encoder import BiLSTMEncoder

    task = task_for(make_config, ner_datamodule, "encoder.num_layers=2", "encoder.variational_dropout=true",
                    "embedding.variational_dropout=true")
    assert [rnn.num_layers for rnn in task.encoder.rnn] == [1, 1] and task.encoder.dropout.variational
    assert task.embedder.dropout.variational
    assert count_parameters(task) == count_parameters(task_for(make_config, ner_datamodule, "encoder.num_layers=2"))

    torch.manual_seed(0)
    stacked = BiLSTMEncoder(6, hidden_size=4, num_layers=2, dropout=0.5, variational_dropout=True)
    plain = BiLSTMEncoder(6, hidden_size=4, num_layers=2, dropout=0.5)
    with torch.no_grad():  # the same weights: layer i of the stack is layer i of the 2-layer LSTM
        for i, rnn in enumerate(stacked.rnn):
            for name, value in rnn.named_parameters():
                getattr(plain.rnn, name.replace("_l0", f"_l{i}")).copy_(value)
    x, mask = torch.randn(3, 5, 6), torch.tensor([[1] * 5, [1] * 3 + [0] * 2, [1] + [0] * 4]).bool()
    out = stacked.eval()(x, mask)
    assert torch.allclose(out, plain.eval()(x, mask), atol=1e-6)  # without dropout they are one model
    assert out[~mask].eq(0).all()
    stacked.train()(x, mask).sum().backward()
    assert all(p.grad is not None for p in stacked.parameters())
