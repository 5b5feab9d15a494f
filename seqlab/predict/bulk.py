"""Bulk prediction over several processes: each rank predicts every ``size``-th chunk of the input,
and rank 0 writes every chunk's output in input order.

Ranks form a ``torch.distributed`` process group from the standard ``env://`` variables
(``MASTER_ADDR``, ``MASTER_PORT``, ``RANK``, ``WORLD_SIZE``), so the same code runs under
``torchrun``, SLURM's ``srun`` or :func:`spawn_local` on one machine. Only text crosses between
processes, so the group is always gloo (the model may still run on a GPU). Every rank reads the
whole input and keeps its own chunks of ``batch_size * SORT_WINDOW`` texts: the sharding is
fixed by the input, with no scheduler. A rank other than 0 sends each chunk's rendered output to
rank 0, at most :data:`IN_FLIGHT` chunks ahead; rank 0 writes the chunks round-robin as they
come. Output equals one process's, byte for byte, and memory stays bounded by a few chunks.
"""

from __future__ import annotations

import os
import socket
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from typing import IO, Any

from seqlab.predict.predictor import Predictor

#: Chunks a rank other than 0 may have sent and rank 0 not yet received (memory: this many chunks).
IN_FLIGHT = 2

#: Seconds any rank waits for another (to join, or for its next chunk) before failing.
TIMEOUT_S = 600.0


@dataclass(frozen=True)
class World:
    """This process's place among the ranks: global and on its machine."""

    rank: int
    size: int
    local_rank: int = 0
    local_size: int = 1


def own_chunks(texts: Iterable[str], chunk_size: int, world: World) -> Iterator[tuple[list[str], list[int]]]:
    """Per round of ``world.size`` consecutive chunks of ``chunk_size`` texts: this rank's chunk
    (empty at the end of the input) and the sizes of the round's non-empty chunks."""
    iterator = iter(texts)
    while True:
        mine: list[str] = []
        sizes: list[int] = []
        for position in range(world.size):
            if position == world.rank:
                mine = list(islice(iterator, chunk_size))
                size = len(mine)
            else:
                size = sum(1 for _ in islice(iterator, chunk_size))
            if size:
                sizes.append(size)
            if size < chunk_size:
                break
        if not sizes:
            return
        yield mine, sizes
        if sizes[-1] < chunk_size or len(sizes) < world.size:
            return


class _Sender:
    """Sends byte blocks to rank 0, waiting for the oldest once :data:`IN_FLIGHT` are unreceived."""

    def __init__(self, in_flight: int = IN_FLIGHT) -> None:
        self.in_flight = in_flight
        self.pending: deque[tuple[list[Any], Any, Any]] = deque()

    def send(self, block: bytes) -> None:
        import torch
        import torch.distributed as dist

        size = torch.tensor([len(block)], dtype=torch.int64)
        payload = torch.frombuffer(bytearray(block), dtype=torch.uint8)
        self.pending.append(([dist.isend(size, 0), dist.isend(payload, 0)], size, payload))
        while len(self.pending) > self.in_flight:
            self._wait_oldest()

    def flush(self) -> None:
        while self.pending:
            self._wait_oldest()

    def _wait_oldest(self) -> None:
        works, _, _ = self.pending.popleft()
        for work in works:
            work.wait(timedelta(seconds=TIMEOUT_S))


def _receive(source: int) -> bytes:
    import torch
    import torch.distributed as dist

    size = torch.empty(1, dtype=torch.int64)
    dist.recv(size, source)
    payload = torch.empty(int(size.item()), dtype=torch.uint8)
    dist.recv(payload, source)
    return payload.numpy().tobytes()


def predict_ranked(
    predictor: Predictor,
    texts: Iterable[str],
    render: Callable[[dict[str, Any]], str],
    sink: IO[str] | None,
    world: World,
) -> int:
    """Predict this rank's chunks of ``texts``; rank 0 writes every rank's rendered output to
    ``sink`` in input order. Returns the texts predicted by all ranks (rank 0) or by this rank."""
    chunk_size = predictor.batch_size * predictor.SORT_WINDOW
    sender = _Sender() if world.rank else None
    count = 0
    for mine, sizes in own_chunks(texts, chunk_size, world):
        block = "".join(render(prediction) for prediction in predictor.predict_stream(mine))
        if sender is not None:
            count += len(mine)
            if mine:
                sender.send(block.encode("utf-8"))
            continue
        assert sink is not None, "rank 0 writes the output"
        count += sum(sizes)
        sink.write(block)
        for source in range(1, len(sizes)):
            sink.write(_receive(source).decode("utf-8"))
    if sender is not None:
        sender.flush()
    return count


@contextmanager
def process_group(world: World) -> Iterator[None]:
    """This process in a gloo group of ``world.size`` ranks (``env://``), destroyed on leaving; on
    success the ranks leave together."""
    import torch.distributed as dist

    dist.init_process_group(
        "gloo", init_method="env://", rank=world.rank, world_size=world.size, timeout=timedelta(seconds=TIMEOUT_S)
    )
    try:
        yield
        dist.barrier()
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    """A TCP port free on this machine now (for ``MASTER_PORT``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def spawn_local(function: Callable[..., None], processes: int, args: tuple[Any, ...] = ()) -> None:
    """Run ``function(world, *args)`` in ``processes`` fresh processes, the ranks of one group on
    this machine. If one fails, the others are stopped and its error is raised
    (``torch.multiprocessing``'s ``ProcessRaisedException`` / ``ProcessExitedException``); if this
    process is interrupted (SIGINT, SIGTERM), the ranks are stopped before the exception goes on."""
    import torch.multiprocessing as mp

    port = free_port()
    context = mp.start_processes(
        _local_rank, args=(function, processes, port, args), nprocs=processes, join=False, start_method="spawn"
    )
    try:
        while not context.join(grace_period=5.0):
            pass
    except BaseException:  # a rank failed (the others are stopped already), or this process was interrupted
        for process in context.processes:
            if process.is_alive():
                process.terminate()
        for process in context.processes:
            process.join(10.0)
        raise


def _local_rank(index: int, function: Callable[..., None], processes: int, port: int, args: tuple[Any, ...]) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(index),
        LOCAL_RANK=str(index),
        WORLD_SIZE=str(processes),
        LOCAL_WORLD_SIZE=str(processes),
    )
    function(World(index, processes, index, processes), *args)
