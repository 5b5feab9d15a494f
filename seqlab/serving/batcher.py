"""Dynamic batching: texts of concurrent requests are predicted together, one batch at a time.

Nothing a prediction raises stops the batcher: a failure is that request's answer only (a Rust
panic, which is no ``Exception``, included); only the process-ending exceptions
(:data:`~seqlab.errors.PROCESS_ENDING`) go through.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from seqlab.errors import PROCESS_ENDING

#: Predicts texts with an n-best size: the :meth:`seqlab.predict.predictor.Predictor.predict` signature.
PredictFunction = Callable[[list[str], int], list[dict[str, Any]]]


class PredictionError(RuntimeError):
    """A prediction that failed with what an ``Exception`` handler would not catch (a Rust panic:
    ``PanicException: ...``), carried to its request as an ``Exception``."""


def as_exception(err: BaseException) -> Exception:
    """``err`` as a request's future can hold it and an ``Exception`` handler catches it (a
    ``StopIteration`` cannot be set on a future either); a process-ending one is raised again."""
    if isinstance(err, PROCESS_ENDING):
        raise err
    if isinstance(err, Exception) and not isinstance(err, StopIteration):
        return err
    return PredictionError(f"{type(err).__name__}: {err}")


@dataclass
class _Request:
    texts: list[str]
    nbest: int
    future: asyncio.Future = field(repr=False)


class DynamicBatcher:
    """Collects requests until ``max_batch_size`` texts or ``max_wait_ms`` after the first, then
    predicts them in one call on a worker thread (the event loop keeps accepting meanwhile).

    Requests that arrive while a batch runs wait for the next one, so under load batches fill
    without waiting: with ``max_wait_ms=0`` a lone request runs at once, and a batch holds what
    came in during the one before. A request larger than ``max_batch_size`` is one batch of its
    own. Requests asking for different ``nbest`` are predicted in separate calls.
    """

    def __init__(self, predict: PredictFunction, max_batch_size: int = 16, max_wait_ms: float = 0.0) -> None:
        if max_batch_size < 1 or max_wait_ms < 0:
            raise ValueError("max_batch_size must be >= 1 and max_wait_ms >= 0")
        self.predict = predict
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000
        self._queue: asyncio.Queue[_Request] = asyncio.Queue()
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="seqlab-predict")
        self._task: asyncio.Task | None = None
        #: Batches run and texts predicted so far.
        self.batches = 0
        self.texts = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Finish the batch that runs, fail requests still queued, release the thread."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        while not self._queue.empty():
            request = self._queue.get_nowait()
            if not request.future.done():
                request.future.set_exception(RuntimeError("the server is shutting down"))
        self._executor.shutdown(wait=True)

    @property
    def running(self) -> bool:
        """Whether batches are being run (started, and neither stopped nor ended by a process-ending error)."""
        return self._task is not None and not self._task.done()

    async def submit(self, texts: list[str], nbest: int = 1) -> list[dict[str, Any]]:
        """The predictions of ``texts``, once their batch has run."""
        if not self.running:
            raise RuntimeError("the batcher is not running")
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(_Request(texts, nbest, future))
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            if self._queue.qsize() + 1 < self.max_batch_size and self.max_wait > 0:
                await asyncio.sleep(self.max_wait)  # let concurrent requests join
            size = len(batch[0].texts)
            while size < self.max_batch_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
                size += len(batch[-1].texts)
            live = [r for r in batch if not r.future.done()]  # a request that timed out needs no work
            if not live:
                continue
            try:
                results = await loop.run_in_executor(self._executor, self._predict, live)
            except asyncio.CancelledError:
                _fail(live, RuntimeError("the server is shutting down"))
                raise
            except BaseException as err:  # a fault of the batcher's own: these requests fail, the next batch runs
                if isinstance(err, PROCESS_ENDING):
                    _fail(live, RuntimeError("the server is stopping"))
                    raise
                _fail(live, as_exception(err))
                continue
            for request, result in zip(live, results):
                if request.future.done():
                    continue
                if isinstance(result, BaseException):
                    request.future.set_exception(result)
                else:
                    request.future.set_result(result)
            self.batches += 1
            self.texts += sum(len(r.texts) for r in live)

    def _predict(self, requests: list[_Request]) -> list[list[dict[str, Any]] | BaseException]:
        """Each request's predictions (or error), with one call per n-best size; a failing call is
        retried request by request, so one bad request cannot fail the others."""
        results: list[list[dict[str, Any]] | BaseException] = [[] for _ in requests]
        groups: dict[int, list[int]] = {}
        for i, request in enumerate(requests):
            groups.setdefault(request.nbest, []).append(i)
        for nbest, members in groups.items():
            try:
                outputs = self.predict([text for i in members for text in requests[i].texts], nbest)
            except BaseException as err:  # anything but a process-ending one stays with its requests
                if len(members) == 1:
                    results[members[0]] = as_exception(err)
                else:
                    for i in members:
                        results[i] = self._predict([requests[i]])[0]
                continue
            start = 0
            for i in members:
                results[i] = outputs[start : start + len(requests[i].texts)]
                start += len(requests[i].texts)
        return results


def _fail(requests: list[_Request], err: BaseException) -> None:
    """Answer each request still waiting with ``err``."""
    for request in requests:
        if not request.future.done():
            request.future.set_exception(err)
