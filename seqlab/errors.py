"""seqlab's own errors that name where the input went wrong (shared by every layer that reads files)."""

from __future__ import annotations

import os


class ReaderError(ValueError):
    """Malformed input: ``path:line: message``."""

    def __init__(self, path: str | os.PathLike, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = str(path)
        self.line = line
