"""Checking an output location before any work: a folder that cannot be written, or a disk
without room, is told in one line naming the setting, before a model loads or an epoch runs."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from seqlab.errors import OutputError

#: Below this much free space a disk counts as full (a checkpoint or a report would not fit).
MIN_FREE_BYTES = 1 << 20


def check_writable_folder(folder: str | os.PathLike, setting: str) -> Path:
    """Create ``folder`` if needed and write a probe file in it; returns the folder.

    Raises :class:`~seqlab.errors.OutputError` (``<setting>=<folder>: cannot write there (reason)``)
    when it cannot be created or written, or when its disk has less than :data:`MIN_FREE_BYTES` free.
    ``setting`` names where the folder comes from (``hydra.run.dir``, ``paths.output_dir``).
    """
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".seqlab-write-check-{os.getpid()}"
        try:
            with open(probe, "wb") as handle:
                handle.write(b"\0" * 4096)
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            probe.unlink(missing_ok=True)
        free = shutil.disk_usage(path).free
    except OSError as err:
        raise OutputError(f"{setting}={folder}: cannot write there ({_reason(err)})") from None
    if free < MIN_FREE_BYTES:
        raise OutputError(f"{setting}={folder}: cannot write there (its disk is full: {free} bytes free)")
    return path


def _reason(err: OSError) -> str:
    """The cause of a failed write in words (``a part of the path is a file``, ``read-only``...)."""
    if isinstance(err, (NotADirectoryError, FileExistsError)):
        return "a part of the path is a file, not a folder"
    if isinstance(err, PermissionError) or err.errno == errno.EROFS:
        return "permission denied or read-only"
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return "no space left on the disk"
    return err.strerror or type(err).__name__
