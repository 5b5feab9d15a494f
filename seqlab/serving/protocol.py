"""uvicorn's HTTP protocol with a header timeout, which uvicorn lacks.

uvicorn closes a connection idle after an answer (``timeout_keep_alive``), but a connection that
never sends a request, or sends its headers a byte at a time, stays open for good. Here a
connection must complete a request's headers within ``header_timeout_s`` of opening, or of its
last answer; otherwise it is closed, with a one-line JSON 408 when it had begun a request. A
request in flight is never cut: its body and prediction have their own limits (see :mod:`seqlab.serving.app`).
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from uvicorn.protocols.http.h11_impl import H11Protocol as HTTPProtocol
else:  # the protocol uvicorn's ``http="auto"`` picks: httptools when installed, else h11
    from uvicorn.protocols.http.auto import AutoHTTPProtocol as HTTPProtocol


class HeaderTimeoutProtocol(HTTPProtocol):
    """uvicorn's own HTTP protocol, closing a connection whose next request's headers are not
    in within ``header_timeout_s`` (uvicorn is given ``partial(HeaderTimeoutProtocol, header_timeout_s=...)``)."""

    def __init__(self, *args: Any, header_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout_s = header_timeout_s
        self._header_timer: asyncio.TimerHandle | None = None
        self._seen_cycle: Any = None
        self._begun = False  # bytes of the next request came while the timer ran

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not self._seen_cycle:  # a request's headers are all in
            self._seen_cycle = self.cycle
            self._disarm()
        elif self._header_timer is not None:
            self._begun = True

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.cycle is not self._seen_cycle:  # a pipelined request started at once
            self._seen_cycle = self.cycle
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _idle(self) -> bool:
        """No request in flight on this connection (one in flight has its own limits)."""
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        if self._idle() and not self.transport.is_closing():
            self._begun = False
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expired(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or not self._idle():
            return
        if self._begun:
            self.transport.write(timeout_answer(self.header_timeout_s))
        self.transport.close()


def timeout_answer(header_timeout_s: float) -> bytes:
    """The raw 408 a connection gets when its request's headers come too slowly (the request was
    never parsed, so no app answers it)."""
    error = f"the request headers did not arrive within connections.header_timeout_s = {header_timeout_s} s"
    body = json.dumps({"error": error, "limit": "header_timeout_s"}).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body
