"""The ONNX backend's NumPy CRF against the torch CRF: the same Viterbi tags, marginals within 1e-5."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab.data.tag_schemes import allowed_transitions
from seqlab.modules.crf import CRF
from seqlab.predict import crf_numpy

LABELS = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC"]


def random_case(seed: int, constrained: bool, batch: int = 37, length: int = 23, scale: float = 1.0):
    generator = torch.Generator().manual_seed(seed)
    crf = CRF(len(LABELS), allowed_transitions("IOBES", LABELS) if constrained else None)
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * scale)
    emissions = torch.randn(batch, length, len(LABELS), generator=generator) * 2.0 * scale
    lengths = torch.randint(1, length + 1, (batch,), generator=generator)
    lengths[0], lengths[-1] = 1, length  # a one-word sentence and a full one
    mask = torch.arange(length)[None, :] < lengths[:, None]
    trans, start, end = crf.scores()
    scores = crf_numpy.CrfScores(trans.detach().numpy(), start.detach().numpy(), end.detach().numpy())
    return crf, emissions, mask, scores


@pytest.mark.parametrize("constrained", [True, False])
@pytest.mark.parametrize("seed", range(5))
def test_numpy_crf_decodes_and_marginalises_as_the_torch_crf(seed, constrained):
    crf, emissions, mask, scores = random_case(seed, constrained, scale=0.5)
    lengths = mask.sum(1).numpy()
    tags = crf_numpy.viterbi(emissions.numpy(), lengths, scores)
    np.testing.assert_array_equal(tags, crf.decode(emissions, mask).numpy())
    expected = crf.marginals(emissions, mask).detach().numpy()
    got = crf_numpy.marginals(emissions.numpy(), lengths, scores)
    assert np.abs(got - expected).max() < 1e-5
    np.testing.assert_array_equal(got[~mask.numpy()], 0.0)


@pytest.mark.parametrize("scale", [1.0, 3.0])
@pytest.mark.parametrize("seed", range(3))
def test_with_large_scores_the_marginals_follow_torch_in_float64(seed, scale):
    """Torch's float32 log-space recursion drifts with large scores (1e-5 to 3e-5 here); the NumPy one
    stays on the float64 values."""
    crf, emissions, mask, scores = random_case(seed, True, scale=scale)
    lengths = mask.sum(1).numpy()
    np.testing.assert_array_equal(crf_numpy.viterbi(emissions.numpy(), lengths, scores), crf.decode(emissions, mask))
    expected = crf.double().marginals(emissions.double(), mask).detach().numpy()
    assert np.abs(crf_numpy.marginals(emissions.numpy(), lengths, scores) - expected).max() < 1e-6


def test_one_sentence_of_one_word():
    crf, emissions, mask, scores = random_case(7, True, batch=1, length=1)
    lengths = np.array([1])
    np.testing.assert_array_equal(crf_numpy.viterbi(emissions.numpy(), lengths, scores), crf.decode(emissions, mask))
    expected = crf.marginals(emissions, mask).detach().numpy()
    assert np.abs(crf_numpy.marginals(emissions.numpy(), lengths, scores) - expected).max() < 1e-5


def test_scores_round_trip_through_json_lists_and_are_checked():
    _, _, _, scores = random_case(0, True)
    back = crf_numpy.CrfScores.from_lists(scores.to_lists(), len(LABELS))
    np.testing.assert_array_equal(back.transitions, scores.transitions)
    with pytest.raises(ValueError, match="do not fit 3 labels"):
        crf_numpy.CrfScores.from_lists(scores.to_lists(), 3)
    with pytest.raises(ValueError, match="need 'transitions'"):
        crf_numpy.CrfScores.from_lists({"start": []}, 3)
