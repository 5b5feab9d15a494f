"""The casing part: a plug-in-shaped embedding part (one module, one config file, these tests)."""
from __future__ import annotations

import pytest
import torch

from seqlab.training.build import build_task
from seqlab.data.collate import collate_examples
from seqlab.data.encoding import encode_examples
from seqlab.featurizers import CASING_CLASSES, casing_class
from seqlab.modules.casing import CasingEmbedding, casing_ids
from seqlab.training.pipeline import count_parameters


@pytest.mark.parametrize("token, name", [
    ("the", "all_lower"), ("The", "initial_upper"), ("McDonald", "initial_upper"), ("EU", "all_upper"),
    ("U.S.", "all_upper"), ("1996", "numeric"), ("12.5", "mainly_numeric"), ("3rd", "contains_digit"),
    ("A1", "contains_digit"), ("iPhone", "other"), (",", "other"),
])
def test_casing_class_of_a_token(token, name):
    assert CASING_CLASSES[casing_class(token)] == name




def test_the_casing_group_adds_the_part_after_the_others(make_config, ner_datamodule):
    plain = build_task(make_config(), ner_datamodule.spec)
    task = build_task(make_config("+embedding/casing=default", "embedding.casing.dim=7"), ner_datamodule.spec)
    assert list(task.embedder.parts) == ["word", "char", "casing"]
    assert task.embedder.output_dim == plain.embedder.output_dim + 7
    assert count_parameters(task) > count_parameters(plain)
    assert set(task.featurizers()) == {"word_ids", "char_ids", "casing"}


def test_casing_embedding_sees_how_a_word_was_written(make_config, ner_datamodule):
    torch.manual_seed(0)
    task = build_task(make_config("+embedding/casing=default", "embedding.casing.dim=10"), ner_datamodule.spec).eval()
    examples = encode_examples(task.featurizers(), [["Peter", "lives", "in", "Paris"], ["peter", "lives", "in", "paris"],
                                                    ["x"]])
    batch = collate_examples(examples)
    assert batch.features["casing"].tolist() == [[6, 4, 4, 6], [4, 4, 4, 4], [4, 0, 0, 0]]  # 0 on padding
    with torch.no_grad():
        casing_vectors = task.embedder(batch.features)[..., -10:]
    assert torch.equal(casing_vectors[0, 1:3], casing_vectors[1, 1:3])  # same shape, same vector
    assert not torch.equal(casing_vectors[0, 0], casing_vectors[1, 0])  # "Peter" vs "peter"
    assert casing_vectors[2, 1:].eq(0).all()
    without = {k: v for k, v in batch.features.items() if k != "casing"}
    with pytest.raises(KeyError, match="embedding.casing reads batch input 'casing'"):
        task.embedder(without)


def test_casing_part_alone():
    part = CasingEmbedding(dim=3)
    ids = casing_ids([["A", "b"], ["42"]])
    assert [t.tolist() for t in ids] == [[5, 4], [2]]
    assert part(torch.tensor([[5, 0]])).shape == (1, 2, 3) and part.output_dim == 3
    with pytest.raises(ValueError, match="embedding.casing.dim must be >= 1"):
        CasingEmbedding(dim=0)


def test_two_parts_computing_one_input_differently_is_an_error(make_config, ner_datamodule):
    from seqlab.errors import ConfigError
    from seqlab.modules.embedder import TokenEmbedder

    class OtherCasing(CasingEmbedding):
        def featurizers(self):
            return {"casing": lambda sentences: casing_ids(sentences)}

    same = TokenEmbedder({"a": CasingEmbedding(dim=2), "b": CasingEmbedding(dim=3)})
    assert set(same.featurizers()) == {"casing"}  # shared, computed alike
    with pytest.raises(ConfigError, match="embedding.a and embedding.b both read the batch input 'casing'"):
        TokenEmbedder({"a": CasingEmbedding(dim=2), "b": OtherCasing(dim=3)}).featurizers()
