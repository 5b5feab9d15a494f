"""The CRF against brute-force enumeration of every tag sequence."""
import itertools

import pytest
import torch

from seqlab.data.tag_schemes import allowed_transitions, labels_for_types
from seqlab.modules.crf import CRF


def random_case(seed: int, batch: int = 3, length: int = 4, tags: int = 3):
    generator = torch.Generator().manual_seed(seed)
    emissions = torch.randn(batch, length, tags, generator=generator)
    gold = torch.randint(tags, (batch, length), generator=generator)
    lengths = torch.randint(1, length + 1, (batch,), generator=generator)
    lengths[0] = length  # at least one full-length sequence
    mask = torch.arange(length).unsqueeze(0) < lengths.unsqueeze(1)
    return emissions, gold, mask


def path_score(crf: CRF, emissions: torch.Tensor, path: tuple[int, ...]) -> torch.Tensor:
    trans, start, end = crf._scores()
    score = start[path[0]] + emissions[0, path[0]]
    for t in range(1, len(path)):
        score = score + trans[path[t - 1], path[t]] + emissions[t, path[t]]
    return score + end[path[-1]]


def brute_force(crf: CRF, emissions: torch.Tensor, length: int):
    """All paths of one sentence: (log partition, best path)."""
    paths = list(itertools.product(range(crf.num_tags), repeat=length))
    scores = torch.stack([path_score(crf, emissions[:length], p) for p in paths])
    return torch.logsumexp(scores, 0), list(paths[int(scores.argmax())])


def randomise(crf: CRF, seed: int) -> CRF:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
    return crf


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("constrained", [False, True])
def test_log_likelihood_and_decode_match_brute_force(seed: int, constrained: bool) -> None:
    labels = labels_for_types(["X"], "IOB2")  # O, B-X, I-X
    allowed = allowed_transitions("IOB2", labels) if constrained else None
    crf = randomise(CRF(len(labels), allowed), seed)
    emissions, gold, mask = random_case(seed, tags=len(labels))
    if constrained:  # gold paths must be valid: take the best path under other random scores
        gold = crf.decode(torch.randn(emissions.shape, generator=torch.Generator().manual_seed(seed + 99)), mask)
    llh = crf.log_likelihood(emissions, gold, mask, reduction="none")
    decoded = crf.decode(emissions, mask)
    for b in range(emissions.size(0)):
        n = int(mask[b].sum())
        log_z, best = brute_force(crf, emissions[b], n)
        expected = path_score(crf, emissions[b, :n], tuple(gold[b, :n].tolist())) - log_z
        assert torch.allclose(llh[b], expected, atol=1e-4), (b, llh[b], expected)
        assert decoded[b, :n].tolist() == best
        assert decoded[b, n:].eq(0).all()


@pytest.mark.parametrize("reduction", ["sum", "mean", "token_mean"])
def test_reductions(reduction: str) -> None:
    crf = randomise(CRF(4), 0)
    emissions, gold, mask = random_case(1, batch=4, length=5, tags=4)
    per_sentence = crf.log_likelihood(emissions, gold, mask, reduction="none")
    expected = {"sum": per_sentence.sum(), "mean": per_sentence.mean(), "token_mean": per_sentence.sum() / mask.sum()}
    assert torch.allclose(crf.log_likelihood(emissions, gold, mask, reduction=reduction), expected[reduction])


@pytest.mark.parametrize("scheme", ["IOB1", "IOB2", "IOBES", "BILOU"])
def test_constrained_decode_never_yields_a_forbidden_transition(scheme: str) -> None:
    labels = labels_for_types(["PER", "LOC"], scheme)
    allowed = set(allowed_transitions(scheme, labels))
    crf = randomise(CRF(len(labels), allowed), 3)
    start, end = len(labels), len(labels) + 1
    emissions, _, mask = random_case(7, batch=64, length=12, tags=len(labels))
    emissions = emissions * 5  # strong, conflicting evidence
    for row, m in zip(crf.decode(emissions, mask).tolist(), mask):
        path = row[: int(m.sum())]
        pairs = [(start, path[0])] + list(zip(path, path[1:])) + [(path[-1], end)]
        assert all(pair in allowed for pair in pairs), (scheme, [labels[i] for i in path])


def test_padding_tags_are_ignored() -> None:
    crf = randomise(CRF(3), 2)
    emissions, gold, mask = random_case(2, tags=3)
    noisy = gold.masked_fill(~mask, 2)
    assert torch.equal(crf.log_likelihood(emissions, gold, mask, "none"), crf.log_likelihood(emissions, noisy, mask, "none"))


def test_shape_errors_name_the_shapes() -> None:
    crf = CRF(3)
    with pytest.raises(ValueError, match=r"emissions must have shape \(batch, seq_len, 3\), got \(2, 4, 5\)"):
        crf.decode(torch.zeros(2, 4, 5), torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="mask shape"):
        crf.decode(torch.zeros(2, 4, 3), torch.ones(2, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"mask\[:, 0\] must be all True"):
        crf.decode(torch.zeros(1, 2, 3), torch.tensor([[False, False]]))


def test_gradients_reach_every_parameter() -> None:
    crf = randomise(CRF(3), 4)
    emissions, gold, mask = random_case(4, tags=3)
    emissions.requires_grad_(True)
    crf.log_likelihood(emissions, gold, mask).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in crf.parameters())
    assert emissions.grad[~mask].abs().sum() == 0


def all_paths(crf: CRF, emissions: torch.Tensor, length: int):
    paths = list(itertools.product(range(crf.num_tags), repeat=length))
    return paths, torch.stack([path_score(crf, emissions[:length], p) for p in paths])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("constrained", [False, True])
def test_nbest_matches_brute_force(seed: int, constrained: bool) -> None:
    labels = labels_for_types(["X"], "IOB2")
    crf = randomise(CRF(len(labels), allowed_transitions("IOB2", labels) if constrained else None), seed)
    emissions, _, mask = random_case(seed, batch=4, length=4, tags=len(labels))
    nbest = 5
    paths, scores = crf.decode_nbest(emissions, mask, nbest)
    assert paths.shape == (4, nbest, 4) and scores.shape == (4, nbest)
    assert torch.equal(paths[:, 0], crf.decode(emissions, mask))
    for b in range(4):
        n = int(mask[b].sum())
        candidates, brute = all_paths(crf, emissions[b], n)
        order = brute.argsort(descending=True)[:nbest]
        assert torch.allclose(scores[b, : len(order)], brute[order], atol=1e-4)
        for r in range(len(order)):  # the path found has the score claimed
            found = tuple(paths[b, r, :n].tolist())
            assert torch.allclose(path_score(crf, emissions[b], found), scores[b, r], atol=1e-4)
        assert len({tuple(paths[b, r, :n].tolist()) for r in range(len(order))}) == len(order)  # distinct
        if len(order) < nbest:
            assert torch.isinf(scores[b, len(order):]).all()


@pytest.mark.parametrize("seed", range(4))
def test_marginals_match_brute_force(seed: int) -> None:
    crf = randomise(CRF(3), seed)
    emissions, _, mask = random_case(seed, batch=3, length=4, tags=3)
    marginals = crf.marginals(emissions, mask)
    log_z = crf.log_partition(emissions, mask)
    for b in range(3):
        n = int(mask[b].sum())
        paths, scores = all_paths(crf, emissions[b], n)
        assert torch.allclose(log_z[b], torch.logsumexp(scores, 0), atol=1e-4)
        probabilities = (scores - torch.logsumexp(scores, 0)).exp()
        expected = torch.zeros(n, 3)
        for path, p in zip(paths, probabilities):
            for t, tag in enumerate(path):
                expected[t, tag] += p
        assert torch.allclose(marginals[b, :n], expected, atol=1e-5)
        assert marginals[b, n:].eq(0).all()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("constrained", [False, True])
def test_log_partition_gradients_match_autograd_on_brute_force(seed: int, constrained: bool) -> None:
    """The hand-written backward of log Z equals autograd through enumeration of every path."""
    labels = labels_for_types(["X"], "IOB2")
    allowed = allowed_transitions("IOB2", labels) if constrained else None
    crf = randomise(CRF(len(labels), allowed), seed)
    emissions, _, mask = random_case(seed, tags=len(labels))
    weights = torch.randn(emissions.size(0), generator=torch.Generator().manual_seed(seed))

    def gradients(log_z_of_batch):
        leaf = emissions.clone().requires_grad_(True)
        crf.zero_grad()
        (log_z_of_batch(leaf) * weights).sum().backward()
        return [leaf.grad] + [p.grad.clone() for p in (crf.transitions, crf.start_transitions, crf.end_transitions)]

    ours = gradients(lambda e: crf.log_partition(e, mask))
    expected = gradients(lambda e: torch.stack(
        [brute_force(crf, e[b], int(mask[b].sum()))[0] for b in range(e.size(0))]))
    for got, want in zip(ours, expected):
        assert torch.allclose(got, want, atol=1e-4), (got, want)
