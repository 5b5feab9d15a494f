"""One place per setting: the word vocabulary's lowercasing and vectors and the characters kept per
token are their embedding part's settings, handed to the data side by the builder; the old data keys
are one-line errors naming the new key, and checkpoints written with them still load."""
from __future__ import annotations

import pytest
import torch

from seqlab.training.build import build_datamodule, build_task
from seqlab.cli.train import check_moved_overrides
from seqlab.training.config_check import check_config
from seqlab.data.vocabulary import PartSettings, WordVocabulary
from seqlab.errors import ConfigError


@pytest.mark.parametrize("override, message", [
    ("+data.max_chars=30", "max_chars is a setting of the character part: embedding.char.max_chars=30"),
    ("+data.lowercase=true", "lowercase is a setting of the word part: embedding.word.lowercase=true"),
    ("+data.pretrained=glove.txt", "pretrained is a setting of the word part: embedding.word.pretrained=glove.txt"),
    ("+data.keep_vectors=all", "keep_vectors is a setting of the word part: embedding.word.keep=all"),
])
def test_moved_data_keys_are_one_line_errors_naming_the_new_key(make_config, override, message):
    cfg = make_config(override)
    for check in (check_config, build_datamodule):
        with pytest.raises(ConfigError) as info:
            check(cfg)
        assert str(info.value) == message
    with pytest.raises(ConfigError, match=message):
        check_moved_overrides(["trainer.max_epochs=1", override.lstrip("+")])
    check_moved_overrides(["data.batch_size=8", "embedding.char.max_chars=30"])  # today's keys pass


def test_the_parts_settings_reach_the_spec_and_the_featurizers(make_config):
    cfg = make_config("embedding.char.max_chars=3", "embedding.word.lowercase=true")
    check_config(cfg)
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    spec = datamodule.spec
    assert spec.max_chars == 3
    words = spec.word_tokenizer.get_vocab()
    assert words and all(word == word.lower() for word in words if not word.startswith("<"))
    task = build_task(cfg, spec, datamodule.pretrained_vectors)
    featurizers = task.featurizers()
    assert featurizers["char_ids"]([["Washington"]])[0].shape == (1, 3)
    assert featurizers["word_ids"]([["EU"]])[0].tolist() == featurizers["word_ids"]([["eu"]])[0].tolist()


def test_the_part_declaring_pretrained_sets_the_word_vocabulary_whatever_its_name():
    parts = {
        "casing": {"_target_": "seqlab.modules.casing.CasingEmbedding", "dim": 4},
        "words": {"_target_": "x.Words", "pretrained": "v.txt", "keep": 10, "lowercase": True},
        "letters": {"_target_": "x.Chars", "max_chars": 7},
    }
    assert PartSettings.from_parts(parts) == PartSettings(WordVocabulary(True, "v.txt", 10), max_chars=7)
    assert PartSettings.from_parts({}) == PartSettings()
    with pytest.raises(ConfigError, match="embedding.letters.max_chars must be a positive integer, got 0"):
        PartSettings.from_parts({"letters": {"max_chars": 0}})


def test_a_checkpoint_with_the_old_data_keys_evaluates(make_config, tmp_path):
    from seqlab.training.checkpoint import read_checkpoint, restore
    from seqlab.training.pipeline import evaluate, train

    results = train(make_config("trainer.max_epochs=1", "embedding.char.max_chars=4"))
    path = results["best_checkpoint"]
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    config = checkpoint["seqlab"]["config"]  # as the code before the move wrote it
    del config["embedding"]["char"]["max_chars"], config["embedding"]["word"]["lowercase"]
    config["data"].update(max_chars=4, lowercase=False, pretrained=None, keep_vectors="dataset")
    checkpoint["seqlab"]["format"] = 2
    torch.save(checkpoint, path)
    restored = restore(read_checkpoint(path))
    assert set(restored.config.data) == set(config["data"]) - {"max_chars", "lowercase", "pretrained", "keep_vectors"}
    assert restored.task.featurizers()["char_ids"].max_chars == 4  # from the spec
    tested = evaluate(path, tmp_path / "eval")
    assert tested["test/f1"] == pytest.approx(results["test/f1"])
