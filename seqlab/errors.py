"""seqlab's own errors: mistakes in the user's input, files or settings, as opposed to bugs.

The commands print a :class:`SeqlabError` as one line (``seqlab-train: error: ...``) and exit
with code 2; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import os

#: The exceptions a failure that must stay local (one request, one file) is never caught as: they
#: end the process or unwind a generator. Everything else is caught there, ``BaseException``s
#: included: a Rust panic in ``tokenizers`` is a ``pyo3_runtime.PanicException``, not an ``Exception``.
PROCESS_ENDING: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit, GeneratorExit)


class SeqlabError(Exception):
    """A problem with the user's input, files or settings, told in one line."""


class ReaderError(SeqlabError, ValueError):
    """Malformed input: ``path:line: message``."""

    def __init__(self, path: str | os.PathLike, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = str(path)
        self.line = line


class ConfigError(SeqlabError, ValueError):
    """A config value that does not fit the argument it is for (named by its key)."""


class OutputError(SeqlabError, OSError):
    """An output location that cannot be written (read-only, not a folder, or a full disk)."""
