"""The dynamic batcher: concurrent requests share batches, each gets its own answers, one bad
request cannot fail the others, n-best sizes are never mixed."""
from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("fastapi")

from seqlab.serving.batcher import DynamicBatcher  # noqa: E402


def echo_model(calls: list):
    def predict(texts: list[str], nbest: int) -> list[dict]:
        calls.append((list(texts), nbest))
        if "boom" in texts:
            raise ValueError("boom")
        return [{"text": t, "nbest": nbest} for t in texts]

    return predict


def run(coroutine):
    return asyncio.run(coroutine)


def test_concurrent_requests_share_batches_and_get_their_own_answers():
    calls: list = []

    async def main():
        batcher = DynamicBatcher(echo_model(calls), max_batch_size=8, max_wait_ms=20)
        batcher.start()
        requests = [[f"r{i}-a", f"r{i}-b"] if i % 3 == 0 else [f"r{i}"] for i in range(30)]
        answers = await asyncio.gather(*(batcher.submit(texts) for texts in requests))
        await batcher.stop()
        return requests, answers, batcher

    requests, answers, batcher = run(main())
    for texts, answer in zip(requests, answers):
        assert [a["text"] for a in answer] == texts
    assert all(len(texts) <= 8 + 1 for texts, _ in calls)  # a batch closes once it reaches the size
    assert len(calls) < 30 and batcher.batches == len(calls) and batcher.texts == 40


def test_a_failing_request_fails_alone():
    calls: list = []

    async def main():
        batcher = DynamicBatcher(echo_model(calls), max_batch_size=16, max_wait_ms=20)
        batcher.start()
        results = await asyncio.gather(batcher.submit(["a"]), batcher.submit(["boom"]), batcher.submit(["c"]),
                                       return_exceptions=True)
        await batcher.stop()
        return results

    good, bad, other = run(main())
    assert good == [{"text": "a", "nbest": 1}] and other == [{"text": "c", "nbest": 1}]
    assert isinstance(bad, ValueError)


def test_nbest_sizes_are_predicted_separately():
    calls: list = []

    async def main():
        batcher = DynamicBatcher(echo_model(calls), max_batch_size=16, max_wait_ms=20)
        batcher.start()
        answers = await asyncio.gather(batcher.submit(["a"], 1), batcher.submit(["b"], 3), batcher.submit(["c"], 1))
        await batcher.stop()
        return answers

    answers = run(main())
    assert [a[0]["nbest"] for a in answers] == [1, 3, 1]
    assert sorted(calls) == [(["a", "c"], 1), (["b"], 3)]


def test_a_request_larger_than_the_batch_size_is_a_batch_of_its_own():
    calls: list = []

    async def main():
        batcher = DynamicBatcher(echo_model(calls), max_batch_size=4, max_wait_ms=0)
        batcher.start()
        answer = await batcher.submit([str(i) for i in range(10)])
        await batcher.stop()
        return answer

    assert len(run(main())) == 10 and calls == [([str(i) for i in range(10)], 1)]
