"""Where a frozen embedding part keeps the vectors it computed, by sentence: in memory, or on disk.

A frozen transformer gives a sentence the same vectors every epoch, so computing them once is
enough. :class:`VectorCache` keeps them for the run; :class:`ArrowVectorCache` writes them to Arrow
files under a folder named by the model's fingerprint, memory-maps them back, and so serves every
later run of that model (other seeds, sweeps, resumed runs) without computing them again.
"""

from __future__ import annotations

import logging
import os
import uuid
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

log = logging.getLogger(__name__)


def cache_root() -> Path:
    """seqlab's cache folder: ``$SEQLAB_CACHE``, by default ``~/.cache/seqlab``."""
    return Path(os.environ.get("SEQLAB_CACHE", Path.home() / ".cache" / "seqlab"))


class VectorCache:
    """Each sentence's vectors in memory, for one run."""

    def __init__(self) -> None:
        self._vectors: dict[bytes, Tensor] = {}

    def open(self, fingerprint: Callable[[], str]) -> None:
        """Called once before first use with what gives the fingerprint of whatever computes the
        vectors (only caches that outlive the run call it: hashing the weights takes a moment)."""

    def get(self, key: bytes) -> Tensor | None:
        return self._vectors.get(key)

    def put(self, key: bytes, vectors: Tensor) -> None:
        # float32 whatever the precision computed them in; a copy, as a view would keep its whole batch
        self._vectors[key] = vectors.detach().to("cpu", torch.float32, copy=True)

    def flush(self) -> None:
        """Write what is pending (nothing to do in memory)."""

    def clear(self) -> None:
        self._vectors.clear()

    def __len__(self) -> int:
        return len(self._vectors)


class ArrowVectorCache(VectorCache):
    """Each sentence's vectors in Arrow files under ``directory/<fingerprint>/``, shared by runs.

    New vectors are held in memory and written as a shard of ``shard_size`` sentences (and when the
    run ends); shards are memory-mapped, so what earlier runs wrote costs page cache, not process
    memory (the index of keys, 16 bytes a sentence, stays in memory). Runs of the same model, in
    sequence or in parallel, read and add to the same folder: each writes its own shards under unique
    names, renamed into place only when complete, and picks up the others' shards when it writes.
    Runs started together each compute what neither has written yet. A folder that cannot be written
    is warned about once; the vectors then stay in memory for the run. What is still pending is
    written when the process ends normally (a killed run loses only that).

    Args:
        directory: the cache's root (default: ``$SEQLAB_CACHE/vectors``); one folder per model.
        shard_size: sentences per written file.
    """

    def __init__(self, directory: str | None = None, shard_size: int = 4096) -> None:
        super().__init__()
        self.directory = Path(directory) if directory else cache_root() / "vectors"
        self.shard_size = shard_size
        self.folder: Path | None = None
        self._index: dict[bytes, tuple[np.ndarray, np.ndarray, int]] = {}  # key -> (values, offsets, row)
        self._mapped: set[str] = set()
        self._trailing: tuple[int, ...] | None = None
        self._written = 0
        self._finalizer: Any = None

    def open(self, fingerprint: Callable[[], str]) -> None:
        if self._finalizer is not None:
            return
        folder = self.directory / fingerprint()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            log.warning("%s: cannot be created (%s); the vectors are kept in memory for this run", folder, err)
            return
        self.folder = folder
        self._map_new_shards()
        self._finalizer = weakref.finalize(self, _write_pending, folder, self._vectors)

    def get(self, key: bytes) -> Tensor | None:
        pending = self._vectors.get(key)
        if pending is not None:
            return pending
        found = self._index.get(key)
        if found is None:
            return None
        values, offsets, row = found
        flat = values[offsets[row] : offsets[row + 1]]
        assert self._trailing is not None
        return torch.from_numpy(flat.reshape(-1, *self._trailing).copy())

    def put(self, key: bytes, vectors: Tensor) -> None:
        super().put(key, vectors)
        if len(self._vectors) >= self.shard_size:
            self.flush()

    def flush(self) -> None:
        if self.folder is None or not self._vectors:
            return
        try:
            _write_shard(self.folder, self._vectors)
        except OSError as err:
            log.warning("%s: cannot be written (%s); the vectors are kept in memory for this run", self.folder, err)
            self.folder = None
            if self._finalizer is not None:
                self._finalizer.detach()
            return
        self._written += len(self._vectors)
        self._vectors.clear()
        self._map_new_shards()  # this one, and any a parallel run wrote

    def clear(self) -> None:
        self._vectors.clear()
        self._index.clear()
        self._mapped.clear()

    def __len__(self) -> int:
        return len(self._index) + len(self._vectors)

    @property
    def written(self) -> int:
        """Sentences this run added to the folder."""
        return self._written

    def _map_new_shards(self) -> None:
        assert self.folder is not None
        for shard in sorted(self.folder.glob("*.arrow")):
            if shard.name not in self._mapped:
                self._map(shard)
                self._mapped.add(shard.name)

    def _map(self, shard: Path) -> None:
        """Index a shard's rows by key, its values memory-mapped (a key already known keeps its row)."""
        import pyarrow as pa

        table = pa.ipc.open_file(pa.memory_map(str(shard))).read_all().combine_chunks()
        trailing = tuple(int(d) for d in table.schema.metadata[b"trailing"].decode().split(",") if d)
        if self._trailing is None:
            self._trailing = trailing
        elif trailing != self._trailing:
            raise ValueError(f"{shard}: vectors of shape {trailing}, the folder's others {self._trailing}")
        column = table.column("vectors").chunk(0) if table.num_rows else None
        if column is None:
            return
        values = column.values.to_numpy(zero_copy_only=True)
        offsets = column.offsets.to_numpy()
        for row, key in enumerate(table.column("key").to_pylist()):
            self._index.setdefault(key, (values, offsets, row))


def _write_pending(folder: Path, vectors: dict[bytes, Tensor]) -> None:
    """At exit: what is still pending, if anything (a failure is only warned about)."""
    if vectors:
        try:
            _write_shard(folder, vectors)
        except OSError as err:
            log.warning("%s: the last vectors cannot be written (%s)", folder, err)


def _write_shard(folder: Path, vectors: dict[bytes, Tensor]) -> Path:
    """``vectors`` as one Arrow file in ``folder`` (key, flattened float32 vectors; the shape after
    the first dimension in the schema), written under a temporary name and renamed when complete."""
    import pyarrow as pa

    shard = folder / f"{uuid.uuid4().hex}.arrow"
    trailing = ",".join(str(d) for d in next(iter(vectors.values())).shape[1:])
    keys = pa.array(list(vectors), type=pa.binary())
    flat = [v.to(torch.float32).reshape(-1).numpy() for v in vectors.values()]
    offsets = np.concatenate([[0], np.cumsum([len(f) for f in flat])]).astype(np.int64)
    column = pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(np.concatenate(flat)))
    table = pa.table({"key": keys, "vectors": column}).replace_schema_metadata({"trailing": trailing})
    partial = shard.with_suffix(".partial")
    try:
        with pa.OSFile(str(partial), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        partial.replace(shard)
    finally:
        partial.unlink(missing_ok=True)
    return shard
