"""Feature columns: extra CoNLL columns (POS, chunk) as an embedding part, saved in the checkpoint
and required by prediction."""
from __future__ import annotations

import pytest
import torch

from seqlab.training.build import build_datamodule, build_task
from seqlab.data.collate import collate_examples
from seqlab.data.encoding import encode_examples
from seqlab.data.readers import ReaderError, read_conll
from seqlab.errors import ConfigError
from seqlab.training.pipeline import train
from seqlab.predict.predictor import Predictor
from seqlab.resources import sample_path

FEATURES = ["data.feature_columns=[1,2]", "+embedding/features=default", "embedding.features.dim=7"]


def test_feature_columns_change_the_model_and_travel_with_the_checkpoint(make_config, tmp_path):
    cfg = make_config(*FEATURES, "trainer.max_epochs=1")
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    task = build_task(cfg, datamodule.spec)
    plain = make_config("trainer.max_epochs=1")
    plain_data = build_datamodule(plain)
    plain_data.setup("fit")
    assert task.embedder.output_dim == build_task(plain, plain_data.spec).embedder.output_dim + 2 * 7

    results = train(cfg)
    predictor = Predictor.from_checkpoint(results["best_checkpoint"])
    assert predictor.backend.spec.feature_columns == (1, 2)
    rows = list(read_conll(sample_path("conll") / "test.txt", feature_columns=(1, 2), file_scheme="IOB1"))[:5]
    sentences, features = [r["tokens"] for r in rows], [r["features"] for r in rows]
    tagged = predictor.predict_tokens(sentences, features)
    assert [p["tokens"] for p in tagged] == sentences
    # The features reach the network: other values give other encoder outputs.
    model = predictor.backend

    def encoded(values):
        batch = collate_examples(encode_examples(model.featurizers, sentences, given={"features": values}))
        return model.network.features(batch.features, batch.mask)

    assert not torch.equal(encoded(features), encoded([[["NN", "O"] for _ in s] for s in sentences]))
    with pytest.raises(ConfigError, match="reads the sentences' 'features'"):
        predictor.predict(["Peter lives in Berlin ."])
    from seqlab.predict.export import export_checkpoint

    with pytest.raises(ConfigError, match="reads features from the data .* predict with the checkpoint"):
        export_checkpoint(results["best_checkpoint"], tmp_path / "folder")
    assert not (tmp_path / "folder").exists()


def test_feature_column_mistakes_are_one_line_errors(make_config, tmp_path):
    with pytest.raises(ConfigError, match=r"data.feature_columns=\[1\] reads feature columns, but no embedding part"):
        cfg = make_config("data.feature_columns=[1]")
        datamodule = build_datamodule(cfg)
        datamodule.setup("fit")
        build_task(cfg, datamodule.spec)
    with pytest.raises(ConfigError, match="give data.feature_columns"):
        cfg = make_config("+embedding/features=default")
        datamodule = build_datamodule(cfg)
        datamodule.setup("fit")
        build_task(cfg, datamodule.spec)
    bad = tmp_path / "two.txt"
    bad.write_text("Peter B-PER\n")
    with pytest.raises(ReaderError, match=r"two.txt:1: expected at least 3 whitespace-separated columns \(token, label"):
        list(read_conll(bad, feature_columns=(1,)))


def test_an_unseen_feature_value_gets_the_unknown_id():
    from seqlab.featurizers import FeatureIds

    ids = FeatureIds((("DT", "NN"),))([[["NN"], ["VB"]]])[0]
    assert torch.as_tensor(ids).tolist() == [[3], [1]]
