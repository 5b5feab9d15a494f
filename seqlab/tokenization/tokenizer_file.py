"""Reading a ``tokenizer.json`` that may be hostile: any failure is one ``ValueError`` line.

``tokenizers`` raises a bare ``Exception`` for a malformed file, and for some crafted ones panics
in Rust: a ``pyo3_runtime.PanicException``, which is no ``Exception``, after the panic hook has
written its message (and, with ``RUST_BACKTRACE``, a backtrace) to standard error. Here the panic
is caught, and what the hook wrote is kept off standard error, its message being in the error.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from tokenizers import Tokenizer

from seqlab.errors import PROCESS_ENDING


def read_tokenizer(path: str | Path) -> Tokenizer:
    """The tokenizer in ``path``, or a ``ValueError`` naming the file and the first line of what
    ``tokenizers`` said (``not a tokenizer file (PanicException: ...)``)."""
    with tempfile.TemporaryFile() as captured:
        saved = _redirect_stderr(captured.fileno())
        panicked = False
        try:
            return Tokenizer.from_file(str(path))
        except BaseException as err:
            if isinstance(err, PROCESS_ENDING):
                raise
            panicked = not isinstance(err, Exception)
            lines = str(err).strip().splitlines()
            reason = f"{type(err).__name__}: {lines[0] if lines else ''}"
            raise ValueError(f"{path}: not a tokenizer file ({reason})") from None
        finally:
            if saved is not None:
                os.dup2(saved, 2)
                os.close(saved)
                if not panicked:  # anything else written meanwhile is passed on
                    captured.seek(0)
                    os.write(2, captured.read())


def _redirect_stderr(fd: int) -> int | None:
    """Point file descriptor 2 at ``fd``; a copy of the old one (``None`` where there is no stderr)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        return None
    os.dup2(fd, 2)
    return saved
