"""The transformer part end to end (a tiny random BERT, offline): training for tagging and
classification, frozen or fine-tuned, with or without a BiLSTM; the checkpoint's predictor and
the exported ONNX folder predict what the task predicts."""
from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf

pytest.importorskip("transformers")

from seqlab.training.build import build_datamodule, build_task  # noqa: E402
from seqlab.predict.export import export_model  # noqa: E402
from seqlab.training.pipeline import model_entries, train  # noqa: E402
from seqlab.predict.predictor import Predictor  # noqa: E402
from tests.integration.test_export import assert_same_predictions, randomize, sample_texts  # noqa: E402

LONG = " ".join(["Peter", "Blackburn", "visited", "Zürich"] * 40)  # ~200 subwords: windows of 32


def transformer(tiny_bert, *more: str) -> list[str]:
    return ["+embedding/transformer=default", f"embedding.transformer.model={tiny_bert}",
            "embedding.transformer.max_length=32", *more]


@pytest.mark.parametrize(
    "kind, overrides",
    [("ner", ("embedding.transformer.pooling=mean",)),
     ("sentiment", ("task=sentiment", "encoder=none", "~embedding/char", "embedding.transformer.scalar_mix=true"))],
)
def test_checkpoint_and_model_folder_predict_what_the_task_predicts(make_config, tmp_path, tiny_bert, kind, overrides):
    cfg = make_config(*transformer(tiny_bert, *overrides))
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    task = randomize(build_task(cfg, datamodule.spec).eval())
    task.checkpoint_extras = model_entries(cfg, task)  # as training writes it
    checkpoint = {"state_dict": task.state_dict()}
    task.on_save_checkpoint(checkpoint)
    torch.save(checkpoint, tmp_path / "model.ckpt")
    texts = sample_texts(kind)[:20] + [LONG]
    expected = Predictor(task, batch_size=8).predict(texts)
    assert not task.embedder.parts["transformer"].cache  # serving unseen text keeps no cache
    assert Predictor.from_checkpoint(tmp_path / "model.ckpt", batch_size=8).predict(texts) == expected
    folder = export_model(Predictor(task).backend, tmp_path / "folder", card={})
    assert (folder / "subword_windows.tokenizer.json").is_file()
    assert_same_predictions(expected, Predictor.from_pretrained(folder, batch_size=8).predict(texts))


def test_fine_tuning_trains_the_transformer_with_its_own_rate(make_config, tiny_bert):
    cfg = make_config(*transformer(tiny_bert, "embedding.transformer.freeze=false"), "task=sentiment",
                      "encoder=none", "task.lr_scales={embedder.parts.transformer:0.1}", "trainer.max_epochs=1")
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    task = build_task(cfg, datamodule.spec)
    optimizer = task.configure_optimizers()["optimizer"]
    scales = {g["lr_scale"] for g in optimizer.param_groups}
    assert scales == {0.1, 1.0}
    before = {k: v.clone() for k, v in task.embedder.parts["transformer"].model.state_dict().items()}
    results = train(cfg)
    tuned = torch.load(results["best_checkpoint"], weights_only=True)["state_dict"]
    changed = [k for k, v in before.items() if not torch.equal(tuned[f"network.embedder.parts.transformer.model.{k}"], v)]
    assert changed  # the transformer's weights moved


def test_frozen_training_runs_with_the_cache_and_a_bilstm(make_config, tiny_bert):
    results = train(make_config(*transformer(tiny_bert), "trainer.max_epochs=2"))
    assert results["epochs"] == 2 and "test/f1" in results


def test_a_second_run_reads_the_first_runs_vectors_from_disk(make_config, tiny_bert, tmp_path):
    from seqlab.predict.checkpoint_file import read_checkpoint

    disk = ("embedding/transformer/cache=disk", f"embedding.transformer.cache.directory={tmp_path / 'vectors'}")
    first = train(make_config(*transformer(tiny_bert), *disk, "trainer.max_epochs=1"))
    shards = sorted((tmp_path / "vectors").rglob("*.arrow"))
    assert shards and not list((tmp_path / "vectors").rglob("*.partial"))
    second = train(make_config(*transformer(tiny_bert), *disk, "trainer.max_epochs=1"))
    assert sorted((tmp_path / "vectors").rglob("*.arrow")) == shards  # nothing new to compute
    assert second["test/f1"] == first["test/f1"]
    config = read_checkpoint(second["best_checkpoint"])["seqlab"]["config"]
    assert config["embedding"]["transformer"]["cache"]["_target_"].endswith("ArrowVectorCache")  # as composed
    predictor = Predictor.from_checkpoint(second["best_checkpoint"])
    assert predictor.backend.network.embedder.parts["transformer"].cache is None  # a checkpoint predicts: no cache


def test_a_trained_checkpoint_rebuilds_without_the_model_it_came_from(make_config, tiny_bert, tmp_path):
    import shutil

    from seqlab.training.checkpoint import restore
    from seqlab.predict.checkpoint_file import read_checkpoint

    source = shutil.copytree(tiny_bert, tmp_path / "bert")
    cfg = make_config(*transformer(source), "trainer.max_epochs=1")
    results = train(cfg)
    saved = read_checkpoint(results["best_checkpoint"])["seqlab"]
    assert saved["config"] == OmegaConf.to_container(cfg, resolve=True)  # as composed: the model added nothing
    assert set(saved["part_records"]) == {"transformer"}
    texts = sample_texts("ner")[:10] + [LONG]
    before = Predictor.from_checkpoint(results["best_checkpoint"]).predict(texts)
    shutil.rmtree(source)  # handed to someone without the model folder (or the hub)
    assert Predictor.from_checkpoint(results["best_checkpoint"]).predict(texts) == before
    task = restore(read_checkpoint(results["best_checkpoint"])).task
    assert Predictor(task).predict(texts) == before


def test_a_0_2_checkpoint_with_the_record_in_its_config_predicts_the_same(make_config, tmp_path, tiny_bert):
    """seqlab 0.2 wrote the architecture and tokenizer into the part's config as `recorded`."""
    cfg = make_config(*transformer(tiny_bert))
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    task = randomize(build_task(cfg, datamodule.spec).eval())
    task.checkpoint_extras = model_entries(cfg, task)
    checkpoint = {"state_dict": task.state_dict()}
    task.on_save_checkpoint(checkpoint)
    torch.save(checkpoint, tmp_path / "new.ckpt")
    meta = checkpoint["seqlab"]
    meta["config"]["embedding"]["transformer"].update(recorded=meta.pop("part_records")["transformer"], cache=None)
    meta["format"], meta["prediction_kind"] = 2, meta.pop("output")
    checkpoint["state_dict"] = {k.removeprefix("network."): v for k, v in checkpoint["state_dict"].items()}
    torch.save(checkpoint, tmp_path / "old.ckpt")
    texts = sample_texts("ner")[:10] + [LONG]
    expected = Predictor.from_checkpoint(tmp_path / "new.ckpt").predict(texts)
    assert Predictor.from_checkpoint(tmp_path / "old.ckpt").predict(texts) == expected


def test_a_checkpoint_whose_transformer_records_nothing_is_refused_before_it_reads_elsewhere(make_config, tmp_path,
                                                                                              tiny_bert):
    """Without its recorded architecture and tokenizer the part would load model= from the disk or the hub."""
    from seqlab.predict.checkpoint_file import CheckpointError

    cfg = make_config(*transformer(tiny_bert))
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    task = build_task(cfg, datamodule.spec).eval()
    task.checkpoint_extras = model_entries(cfg, task)
    checkpoint = {"state_dict": task.state_dict()}
    task.on_save_checkpoint(checkpoint)
    del checkpoint["seqlab"]["part_records"]["transformer"]
    torch.save(checkpoint, tmp_path / "model.ckpt")
    with pytest.raises(CheckpointError, match=r"model.ckpt: .*embedding.transformer records no architecture and "
                                              r"tokenizer, so it would be read from outside the checkpoint"):
        Predictor.from_checkpoint(tmp_path / "model.ckpt")
