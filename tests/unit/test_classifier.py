"""Text classification: the pooled ClassifierHead, the TSV data module, the sentiment task from config."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from seqlab.data.collate import collate_examples
from seqlab.data.datamodules import TextClassificationDataModule
from seqlab.data.readers import ReaderError
from seqlab.modules.heads import POOLINGS, ClassifierHead
from seqlab.training.build import build_datamodule, build_task
from seqlab.modules.word import WordIds
from seqlab.training.pipeline import count_parameters


# ---------------------------------------------------------------------------- ClassifierHead

LENGTHS = [3, 5, 1, 4]
DIM = 6


def padded_batch(pad_value: float, seed: int = 0) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
    """Per-example features and the right-padded batch (padding filled with ``pad_value``)."""
    generator = torch.Generator().manual_seed(seed)
    examples = [torch.randn(n, DIM, generator=generator) for n in LENGTHS]
    features = torch.full((len(LENGTHS), max(LENGTHS), DIM), pad_value)
    mask = torch.zeros(len(LENGTHS), max(LENGTHS), dtype=torch.bool)
    for i, example in enumerate(examples):
        features[i, : len(example)] = example
        mask[i, : len(example)] = True
    return examples, features, mask


def pooled_alone(head: ClassifierHead, example: torch.Tensor) -> torch.Tensor:
    return head.pool(example.unsqueeze(0), torch.ones(1, len(example), dtype=torch.bool))[0]


@pytest.mark.parametrize("pad_value", [0.0, 1e30, -1e30])
@pytest.mark.parametrize("pooling", POOLINGS)
def test_pooling_ignores_padding(pooling, pad_value):
    torch.manual_seed(0)
    head = ClassifierHead(DIM, 3, pooling=pooling).eval()
    examples, features, mask = padded_batch(pad_value)
    with torch.no_grad():
        pooled = head.pool(features, mask)
        logits = head.logits(features, mask)
        assert pooled.shape == (len(LENGTHS), DIM) and logits.shape == (len(LENGTHS), 3)
        assert torch.isfinite(pooled).all()
        for i, example in enumerate(examples):
            alone = pooled_alone(head, example)
            torch.testing.assert_close(pooled[i], alone, rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(logits[i], head.logits(example[None], torch.ones(1, len(example), dtype=torch.bool))[0],
                                       rtol=1e-5, atol=1e-6)
        assert head.decode(features, mask).shape == (len(LENGTHS),)


def test_pooling_values_by_hand():
    example = torch.tensor([[1.0, -2.0, 3.0, 0.5], [-1.0, 4.0, 5.0, -0.5]])  # 2 tokens, [fwd | bwd] halves of 2
    assert torch.equal(pooled_alone(ClassifierHead(4, 2, pooling="mean"), example), torch.tensor([0.0, 1.0, 4.0, 0.0]))
    assert torch.equal(pooled_alone(ClassifierHead(4, 2, pooling="max"), example), torch.tensor([1.0, 4.0, 5.0, 0.5]))
    # forward half of the last token, backward half of the first token
    assert torch.equal(pooled_alone(ClassifierHead(4, 2, pooling="last"), example), torch.tensor([-1.0, 4.0, 3.0, 0.5]))
    attention = pooled_alone(ClassifierHead(4, 2, pooling="attention"), example)  # a convex combination of tokens
    assert (attention >= example.min(0).values - 1e-6).all() and (attention <= example.max(0).values + 1e-6).all()


def test_unknown_pooling_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"unknown pooling 'sum'; expected one of last, mean, max, attention"):
        ClassifierHead(8, 2, pooling="sum")


def test_last_pooling_needs_even_input_dim():
    with pytest.raises(ValueError, match=r"pooling 'last' needs bidirectional features of even size, got 7"):
        ClassifierHead(7, 2, pooling="last")
    for pooling in ("mean", "max", "attention"):
        ClassifierHead(7, 2, pooling=pooling)  # odd sizes are fine elsewhere


@pytest.mark.parametrize("pooling", POOLINGS)
def test_loss_backward_reaches_every_head_parameter(pooling):
    torch.manual_seed(0)
    head = ClassifierHead(DIM, 3, pooling=pooling, dropout=0.1).train()
    _, features, mask = padded_batch(0.0)
    features.requires_grad_(True)
    loss = head.loss(features, torch.tensor([0, 1, 2, 1]), mask)
    assert loss.dim() == 0 and torch.isfinite(loss)
    loss.backward()
    names = [name for name, _ in head.named_parameters()]
    assert ("attention.0.weight" in names) == (pooling == "attention")
    missing = [name for name, p in head.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, missing
    assert features.grad is not None and features.grad[mask].abs().sum() > 0


# ---------------------------------------------------------------------------- data module

TRAIN = "sentence\tlabel\ndon't stop!\tpos\nbad film .\tneg\nso-so , i guess\tmid\ngood film\tpos\n"


@pytest.fixture
def tsv_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "train.tsv").write_text(TRAIN)
    (folder / "dev.tsv").write_text("sentence\tlabel\ngood stop\tpos\nbad\tneg\n")
    (folder / "test.tsv").write_text("sentence\tlabel\nfilm\tmid\n")
    return folder


def datamodule(folder: Path, tmp_path: Path, **kwargs) -> TextClassificationDataModule:
    dm = TextClassificationDataModule(dir=str(folder), cache_dir=str(tmp_path / "cache"), **kwargs)
    dm.setup("fit")
    dm.use_featurizers({"word_ids": WordIds(dm.spec.word_tokenizer)})
    return dm


def test_datamodule_labels_targets_and_batches(tsv_dir, tmp_path):
    dm = datamodule(tsv_dir, tmp_path, batch_size=3)
    assert dm.spec.labels == ("mid", "neg", "pos")  # sorted
    assert dm.spec.tag_scheme is None
    assert all(dm.has_split(split) for split in ("train", "dev", "test"))
    train = dm.encoded("train")
    assert all(e.target.dim() == 0 and e.target.dtype == torch.long for e in train)
    assert [int(e.target) for e in train] == [2, 1, 0, 2]
    assert [int(e.target) for e in dm.encoded("test")] == [0]
    batch = collate_examples(train)
    assert batch.targets.shape == (4,) and batch.targets.tolist() == [2, 1, 0, 2]
    assert batch.mask.sum(1).tolist() == [e.length for e in train]
    loaded = list(dm.train_dataloader())
    assert sum(len(b) for b in loaded) == 4 and all(b.targets.shape == (len(b),) for b in loaded)


def test_dev_file_with_unseen_label_names_the_file_and_line(tsv_dir, tmp_path):
    (tsv_dir / "dev.tsv").write_text("sentence\tlabel\ngood\tpos\nweird\tsurprised\n")
    with pytest.raises(ReaderError, match="label 'surprised' does not occur in the training data") as info:
        datamodule(tsv_dir, tmp_path)
    assert info.value.path == str(tsv_dir / "dev.tsv") and info.value.line == 3
    assert str(info.value).startswith(f"{tsv_dir / 'dev.tsv'}:3: ")


@pytest.mark.parametrize(
    "splitter, tokens",
    [("words", ["don", "'", "t", "stop", "!"]), ("whitespace", ["don't", "stop!"])],
)
def test_splitter(tsv_dir, tmp_path, splitter, tokens):
    dm = datamodule(tsv_dir, tmp_path, splitter=splitter)
    assert dm.dataset("train")["tokens"][0] == tokens
    assert dm.encoded("train")[0].features["word_ids"].numel() == len(tokens)


def test_unknown_splitter_fails_early(tsv_dir):
    with pytest.raises(ValueError, match="unknown text splitter 'spaces'; expected one of whitespace, words, bert"):
        TextClassificationDataModule(dir=str(tsv_dir), splitter="spaces")


def test_jsonl_files_with_custom_fields(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "train.jsonl").write_text('{"review": "great", "stars": 5}\n{"review": "awful", "stars": 1}\n')
    dm = datamodule(folder, tmp_path, train_file="train.jsonl", dev_file=None, test_file=None,
                    text_field="review", label_field="stars")
    assert dm.spec.labels == ("1", "5") and dm.has_split("train") and not dm.has_split("dev")
    with pytest.raises(ValueError, match="no dev set to pick the checkpoint on"):
        dm.val_dataloader()


# ---------------------------------------------------------------------------- the sentiment task from config


@pytest.fixture(scope="module")
def sentiment(tmp_path_factory):
    """The sentiment sample's data module, from the composed config."""
    from hydra import compose, initialize_config_dir

    from seqlab.config import config_dir

    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("train", overrides=["task=sentiment", f"data.cache_dir={tmp_path_factory.mktemp('cache')}"])
    dm = build_datamodule(cfg)
    dm.setup("fit")
    return dm


def sentiment_task(make_config, dm, *overrides):
    torch.manual_seed(0)
    return build_task(make_config("task=sentiment", *overrides), dm.spec)


def test_sentiment_config_builds_a_classifier(make_config, sentiment):
    cfg = make_config("task=sentiment")
    assert cfg.data._target_.endswith("TextClassificationDataModule")
    assert sentiment.spec.labels == ("0", "1")
    task = sentiment_task(make_config, sentiment)
    assert type(task).__name__ == "TextClassificationTask"
    assert isinstance(task.head, ClassifierHead) and task.head.pooling == cfg.head.pooling
    assert task.head.projection.out_features == 2 and task.head.projection.in_features == task.encoder.output_dim


def test_head_overrides_change_the_model(make_config, sentiment):
    base = sentiment_task(make_config, sentiment, "head.pooling=max")
    attention = sentiment_task(make_config, sentiment, "head.pooling=attention")
    assert attention.head.pooling == "attention"
    dim = attention.encoder.output_dim
    assert count_parameters(attention) - count_parameters(base) == dim * dim + dim + dim  # Linear(d, d) + Linear(d, 1)
    for pooling in ("mean", "last"):
        same = sentiment_task(make_config, sentiment, f"head.pooling={pooling}")
        assert same.head.pooling == pooling and count_parameters(same) == count_parameters(base)
    bigger = sentiment_task(make_config, sentiment, "encoder.hidden_size=32")
    assert count_parameters(bigger) != count_parameters(base)
    assert sentiment_task(make_config, sentiment, "head.dropout=0.3").head.dropout.p == 0.3


@pytest.mark.parametrize("pooling", POOLINGS)
def test_batched_predictions_equal_one_at_a_time(make_config, sentiment, pooling):
    task = sentiment_task(make_config, sentiment, f"head.pooling={pooling}").eval()
    sentiment.use_featurizers(task.featurizers())
    examples = sentiment.encoded("dev")[:16]
    assert len({e.length for e in examples}) > 1  # the batch really is padded
    with torch.no_grad():
        batch = collate_examples(examples)
        predicted = task(batch)
        logits = task.head.logits(task.features(batch), batch.mask)
        for i, example in enumerate(examples):
            one = collate_examples([example])
            assert task(one).tolist() == [int(predicted[i])]
            torch.testing.assert_close(logits[i], task.head.logits(task.features(one), one.mask)[0], rtol=1e-4, atol=1e-5)
    assert predicted.shape == (16,) and set(predicted.tolist()) <= {0, 1}


def test_declared_labels_make_any_other_label_an_error_at_its_line(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "train.tsv").write_text("sentence\tlabel\ngood\t1\nbad\t0\nodd\t7\nfine\t1\n")
    with pytest.raises(ReaderError, match=r"train.tsv:4: label '7' does not occur in data.labels; known labels: 0, 1"):
        datamodule(folder, tmp_path, dev_file=None, test_file=None, labels=[0, 1])


def test_a_label_with_one_training_example_is_warned_about_with_its_line(tmp_path, caplog):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "train.tsv").write_text("sentence\tlabel\ngood\t1\nbad\t0\nodd\t7\nfine\t1\nmeh\t0\n")
    with caplog.at_level("WARNING"):
        dm = datamodule(folder, tmp_path, dev_file=None, test_file=None)
    assert dm.spec.labels == ("0", "1", "7")
    assert f"{folder / 'train.tsv'}:4: label '7' has a single training example" in caplog.text


def test_jsonl_labels_of_mixed_types_are_warned_about_naming_a_line_of_each(tmp_path, caplog):
    path = tmp_path / "train.jsonl"
    path.write_text('{"sentence": "good", "label": 1}\n{"sentence": "bad", "label": 0}\n{"sentence": "ok", "label": "1"}\n')
    from seqlab.data.readers import read_text_classification

    with caplog.at_level("WARNING"):
        assert [e["label"] for e in read_text_classification(path)] == ["1", "0", "1"]
    assert ("labels of 2 JSON types, read as strings: 1 (int, line 1) as '1', \"1\" (str, line 3) as '1'; "
            "labels read from values of different types alike: '1'") in caplog.text


def test_empty_declared_labels_and_a_folder_as_a_file_are_named(tsv_dir, tmp_path):
    from seqlab.errors import ConfigError

    with pytest.raises(ConfigError, match="data.labels is empty"):
        TextClassificationDataModule(dir=str(tsv_dir), labels=[])
    (tsv_dir / "folder.tsv").mkdir()
    with pytest.raises(IsADirectoryError, match="folder.tsv: is a directory, expected a file"):
        datamodule(tsv_dir, tmp_path, train_file="folder.tsv")
