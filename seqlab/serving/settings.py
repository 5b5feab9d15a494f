"""What a server is configured with: request limits and batching (plain data, from ``conf/serve.yaml``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Per-request limits; a request over one is refused with the limit's name.

    Args:
        max_body_bytes: request body size (413 above it).
        max_texts: texts in one request (413 above it).
        max_chars: characters in one text (413 above it).
        max_nbest: the largest ``nbest`` a request may ask for (422 above it).
        timeout_s: seconds a request may wait for its prediction (504 after).
    """

    max_body_bytes: int = 1_000_000
    max_texts: int = 256
    max_chars: int = 10_000
    max_nbest: int = 10
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"limits.{name}: expected a positive number, got {value!r}")


@dataclass(frozen=True)
class Batching:
    """Dynamic batching across concurrent requests (see :class:`~seqlab.serving.batcher.DynamicBatcher`)."""

    max_batch_size: int = 16
    max_wait_ms: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.max_batch_size, int) or self.max_batch_size < 1:
            raise ValueError(f"batching.max_batch_size: expected a positive integer, got {self.max_batch_size!r}")
        if not isinstance(self.max_wait_ms, (int, float)) or self.max_wait_ms < 0:
            raise ValueError(f"batching.max_wait_ms: expected a non-negative number, got {self.max_wait_ms!r}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Connections:
    """How long a connection may keep the server waiting; each closes the connection after.

    Args:
        keep_alive_s: an idle connection, after an answer (uvicorn's ``timeout_keep_alive``).
        header_timeout_s: from a connection's opening, or its last answer, until a request's
            headers are all in (a connection that sent part of a request gets a 408 first).
        body_timeout_s: from a request's headers until its whole body is in (408: slow, or
            shorter than its ``Content-Length``).
    """

    keep_alive_s: float = 5.0
    header_timeout_s: float = 10.0
    body_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"connections.{name}: expected a positive number of seconds, got {value!r}")
