"""The dynamic batcher: concurrent requests share batches, each gets its own answers, one bad
request cannot fail the others, n-best sizes are never mixed."""
from __future__ import annotations

import asyncio
import threading

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


def test_without_waiting_requests_that_arrive_during_a_batch_share_the_next():
    """max_wait_ms=0 (the default): a lone request runs at once, and those arriving while it runs
    are batched together, so batches fill under load without anyone waiting for company."""
    calls: list = []
    model = echo_model(calls)
    started, release = threading.Event(), threading.Event()

    def held(texts: list[str], nbest: int) -> list[dict]:
        started.set()
        release.wait(10)  # the first batch runs until every other request is queued
        return model(texts, nbest)

    async def main():
        batcher = DynamicBatcher(held, max_batch_size=8, max_wait_ms=0)
        batcher.start()
        first = asyncio.ensure_future(batcher.submit(["first"]))
        for _ in range(1000):  # at most 10 s
            if started.is_set():
                break
            await asyncio.sleep(0.01)
        rest = asyncio.gather(*(batcher.submit([f"r{i}"]) for i in range(12)))
        await asyncio.sleep(0.05)  # every request is queued behind the running batch
        release.set()
        answers = await first, await rest
        await batcher.stop()
        return answers

    first, rest = run(main())
    assert first == [{"text": "first", "nbest": 1}]
    assert [answer[0]["text"] for answer in rest] == [f"r{i}" for i in range(12)]
    assert [len(texts) for texts, _ in calls] == [1, 8, 4]


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


class Panic(BaseException):
    """Stands for ``pyo3_runtime.PanicException``: a Rust panic is a ``BaseException``, no ``Exception``."""


def panicking_model(word: str, error: type[BaseException] = Panic):
    def predict(texts: list[str], nbest: int) -> list[dict]:
        if word in texts:
            raise error(f"{word} happened")
        return [{"text": t} for t in texts]

    return predict


@pytest.mark.parametrize("error", [Panic, StopIteration, MemoryError])
def test_a_failure_of_any_kind_fails_its_request_only_and_the_batcher_goes_on(error):
    from seqlab.serving.batcher import PredictionError

    async def main():
        batcher = DynamicBatcher(panicking_model("bad", error), max_batch_size=8, max_wait_ms=20)
        batcher.start()
        first = await asyncio.gather(batcher.submit(["a"]), batcher.submit(["bad"]), batcher.submit(["b"]),
                                     return_exceptions=True)
        later = await asyncio.gather(*(batcher.submit([f"t{i}"]) for i in range(5)))
        lone = await asyncio.gather(batcher.submit(["bad"]), return_exceptions=True)
        running = batcher.running
        await batcher.stop()
        return first, later, lone, running

    first, later, lone, running = run(main())
    assert first[0] == [{"text": "a"}] and first[2] == [{"text": "b"}]
    for failed in (first[1], lone[0]):
        assert isinstance(failed, Exception)  # what an Exception handler catches, as a 500
        if error is MemoryError:
            assert isinstance(failed, MemoryError)
        else:
            assert isinstance(failed, PredictionError) and str(failed) == f"{error.__name__}: bad happened"
    assert [answer[0]["text"] for answer in later] == [f"t{i}" for i in range(5)] and running


def test_a_process_ending_exception_is_not_caught():
    from seqlab.serving.batcher import as_exception

    for error in (KeyboardInterrupt(), SystemExit(3), GeneratorExit()):
        with pytest.raises(type(error)):
            as_exception(error)
    assert isinstance(as_exception(Panic("x")), RuntimeError)


def test_a_batcher_that_is_not_running_refuses_at_once():
    async def main():
        batcher = DynamicBatcher(echo_model([]), max_batch_size=8, max_wait_ms=1)
        with pytest.raises(RuntimeError, match="not running"):
            await batcher.submit(["a"])
        batcher.start()
        assert await batcher.submit(["a"]) == [{"text": "a", "nbest": 1}]
        await batcher.stop()
        with pytest.raises(RuntimeError, match="not running"):
            await batcher.submit(["a"])

    run(main())
