"""The HTTP app: ``POST /predict``, ``GET /health``, ``GET /metadata``, on FastAPI.

Every answer is JSON. A bad request gets a 4xx naming what is wrong (400: not UTF-8, not JSON, a
missing, unknown or mistyped field, a lone surrogate in a string; 408: a body slower than
``connections.body_timeout_s``; 413: over a size limit; 422: a value out of range, however many
digits it has), never a 500; a fault of the server's own while predicting (a Rust panic included)
is a 500 for that request only. Each request gets an id (``X-Request-ID``, taken from the client
when it sends a sane one) and one JSON log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seqlab.errors import SeqlabError
from seqlab.predict.predictor import Predictor
from seqlab.serving.batcher import DynamicBatcher
from seqlab.serving.logs import json_bytes
from seqlab.serving.settings import Batching, Connections, Limits
from seqlab.version import __version__

log = logging.getLogger("seqlab.serve")


class PredictRequest(BaseModel):
    """``{"text": "..."}`` or ``{"texts": ["...", ...]}``, optionally ``"nbest": k``."""

    model_config = ConfigDict(extra="forbid")

    text: StrictStr | None = None
    texts: list[StrictStr] | None = None
    nbest: StrictInt = Field(1, ge=1)


class RequestError(Exception):
    """A request refused with ``status`` and a message (and the field or limit it names)."""

    def __init__(self, status: int, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: Request ids: 64 random bits from a generator seeded once per process by the OS (drawing from the
#: OS per request is a system call, which hands the GIL to the prediction threads mid-request).
_ids = random.Random()


def create_app(
    predictor: Predictor,
    limits: Limits | None = None,
    batching: Batching | None = None,
    backend: str = "?",
    connections: Connections | None = None,
    opentelemetry: bool = False,
) -> FastAPI:
    """The app serving a loaded ``predictor`` (loaded before the server binds its port, so a
    model that cannot load ends the command in one line and never takes a request).

    ``opentelemetry``: FastAPI's own spans, metrics and logs for a provider set up outside (for
    example by ``opentelemetry-instrument``); off, the app does not look for one on every request."""
    limits = limits or Limits()
    batching = batching or Batching()
    connections = connections or Connections()
    state: dict[str, Any] = {"status": "starting", "predictor": predictor, "batcher": None}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        batcher = DynamicBatcher(
            lambda texts, nbest: predictor.predict(texts, nbest), batching.max_batch_size, batching.max_wait_ms
        )
        batcher.start()
        state.update(status="ready", batcher=batcher)
        log.info("ready", extra={"fields": {"backend": backend}})
        yield
        state["status"] = "stopping"
        await batcher.stop()

    # FastAPI's native OpenTelemetry (FastAPI versions before it keep the option as unused extra)
    telemetry: dict[str, Any] = {"telemetry": dict.fromkeys(("tracing", "metrics", "logs"), opentelemetry)}
    app = FastAPI(title="seqlab", version=__version__, lifespan=lifespan, **telemetry)

    app.add_middleware(RequestLog, max_body_bytes=limits.max_body_bytes, body_timeout_s=connections.body_timeout_s)

    @app.exception_handler(RequestError)
    async def refused(request: Request, err: RequestError) -> JSONResponse:
        # a body cut off part-way leaves the connection mid-request: it is closed after the answer
        headers = {"connection": "close"} if err.status == 408 else None
        return JSONResponse({"error": str(err), **err.detail}, status_code=err.status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(err.detail)}, status_code=err.status_code, headers=err.headers)

    @app.exception_handler(Exception)
    async def bug(request: Request, err: Exception) -> JSONResponse:  # (the connection is closed after)
        fault = server_fault(request, err)
        return JSONResponse({"error": str(fault), **fault.detail}, status_code=500)

    @app.get("/health")
    async def health() -> JSONResponse:
        """``ready`` (200) while the server takes requests; ``starting``, ``stopping`` or ``failed``
        (its batcher ended, which only a process-ending error does) (503) otherwise."""
        if state["status"] == "ready" and not state["batcher"].running:
            state["status"] = "failed"
        return JSONResponse({"status": state["status"]}, status_code=200 if state["status"] == "ready" else 503)

    @app.get("/metadata")
    async def metadata() -> JSONResponse:
        """The model card (task, labels, versions, metrics) and how this server runs it."""
        predictor = _ready(state)
        serving = {"backend": backend, "limits": vars(limits), "batching": batching.as_dict()}
        return JSONResponse({**predictor.card, "seqlab_version": __version__, "serving": serving})

    @app.post("/predict")
    async def predict(request: Request) -> Response:
        """The same JSON as :meth:`Predictor.predict`: one object for ``text``, a list for ``texts``."""
        parsed = _parse(await request.body(), limits)
        batcher: DynamicBatcher = _ready(state, batcher=True)
        texts = [parsed.text] if parsed.text is not None else list(parsed.texts or [])
        request.state.texts = len(texts)
        try:
            outputs = await asyncio.wait_for(batcher.submit(texts, parsed.nbest), limits.timeout_s)
        except TimeoutError:
            message = f"no prediction within limits.timeout_s = {limits.timeout_s} s"
            raise RequestError(504, message, limit="timeout_s") from None
        except Exception as err:
            if parsed.nbest > 1 and isinstance(err, (ValueError, SeqlabError)):  # e.g. a graph that decodes the best
                raise RequestError(422, f"nbest: {err}", field="nbest") from None
            raise server_fault(request, err) from None
        return Response(json_bytes(outputs[0] if parsed.text is not None else outputs), media_type="application/json")

    return app


def server_fault(request: Request, err: Exception) -> RequestError:
    """The 500 a request gets for a fault of the server's own (a prediction that failed, a Rust
    panic included), logged with its traceback; raised in the route, it leaves the connection open."""
    request_id = request.scope.get("state", {}).get("request_id")
    log.error("error", exc_info=err, extra={"fields": {"request_id": request_id, "error": ascii(err)[:200]}})
    message = f"internal error ({type(err).__name__}); the server log names it under this request_id"
    return RequestError(500, message, request_id=request_id)


def _ready(state: dict[str, Any], batcher: bool = False) -> Any:
    if state["status"] != "ready":
        raise RequestError(503, f"the model is {state['status']}", model=state["status"])
    return state["batcher"] if batcher else state["predictor"]


class RequestLog:
    """ASGI middleware: a request id for every request (the client's ``X-Request-ID`` when it is
    sane), one JSON log line per request, and the body limits: a body over ``max_body_bytes`` is
    refused (413) by its declared length, or while it streams in, before it is all read; a body
    not all there ``body_timeout_s`` after its headers (slow, or shorter than its declared
    length) is refused with 408."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, body_timeout_s: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        sent_id = headers.get("x-request-id", "")
        request_id = sent_id if _REQUEST_ID.fullmatch(sent_id) else f"{_ids.getrandbits(64):016x}"
        state = scope.setdefault("state", {})
        state.update(request_id=request_id, texts=0)
        start, status = time.perf_counter(), 0
        limit = self.max_body_bytes

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        received, body_done = 0, False
        body_deadline = start + self.body_timeout_s

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # later calls wait for a disconnect: no deadline on those
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, body_deadline - time.perf_counter()))
            except TimeoutError:
                raise BodySlow(self.body_timeout_s, received) from None
            if message["type"] == "http.request":
                body_done = not message.get("more_body", False)
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await JSONResponse(BodyTooLarge(limit).body(), status_code=413)(scope, receive, send_with_id)
        else:
            await self.app(scope, limited_receive, send_with_id)
        log.info(
            "request",
            extra={
                "fields": {
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "texts": state.get("texts", 0),
                    "ms": round((time.perf_counter() - start) * 1000, 2),
                }
            },
        )


class BodySlow(RequestError):
    def __init__(self, timeout_s: float, received: int) -> None:
        super().__init__(
            408,
            f"the request body did not arrive within connections.body_timeout_s = {timeout_s} s "
            f"({received} bytes came; is it shorter than its Content-Length?)",
            limit="body_timeout_s",
        )


class BodyTooLarge(RequestError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over limits.max_body_bytes = {limit}", limit="max_body_bytes")

    def body(self) -> dict[str, Any]:
        return {"error": str(self), **self.detail}


def _parse(body: bytes, limits: Limits) -> PredictRequest:
    """The request, or a :class:`RequestError` naming what is wrong with it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        bad = body[err.start : err.start + 1]
        raise RequestError(400, f"the body is not UTF-8 (byte {err.start}: {bad!r})") from None
    try:
        data = json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as err:
        raise RequestError(400, f"the body is not JSON ({err.msg} at line {err.lineno}, column {err.colno})") from None
    except RecursionError:
        raise RequestError(400, "the body is not JSON this server reads (nested too deeply)") from None
    if not isinstance(data, dict):
        raise RequestError(
            400, f'the body must be a JSON object ({{"text": ...}} or {{"texts": [...]}}), got {type(data).__name__}'
        )
    if "\\u" in text:  # only a \u escape can make a lone surrogate (the bytes were checked to be UTF-8)
        _check_unicode(data)
    if isinstance(data.get("nbest"), LongNumber):
        raise RequestError(
            422,
            f"nbest: a number of {data['nbest'].digits} digits is out of range (limits.max_nbest = {limits.max_nbest})",
            limit="max_nbest",
            field="nbest",
        )
    try:
        parsed = PredictRequest.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise RequestError(400, f"{field}: {first['msg']}", field=field) from None
    if (parsed.text is None) == (parsed.texts is None):
        raise RequestError(400, 'give exactly one of "text" or "texts"', field="text")
    texts = [parsed.text] if parsed.text is not None else parsed.texts or []
    if len(texts) > limits.max_texts:
        raise RequestError(413, f"{len(texts)} texts is over limits.max_texts = {limits.max_texts}", limit="max_texts")
    for i, one in enumerate(texts):
        if len(one) > limits.max_chars:
            field = "text" if parsed.text is not None else f"texts.{i}"
            raise RequestError(
                413,
                f"{field} has {len(one)} characters, over limits.max_chars = {limits.max_chars}",
                limit="max_chars",
                field=field,
            )
    if parsed.nbest > limits.max_nbest:
        raise RequestError(
            422,
            f"nbest = {parsed.nbest} is over limits.max_nbest = {limits.max_nbest}",
            limit="max_nbest",
            field="nbest",
        )
    return parsed


#: The most digits an integer in a request body may have: a longer one (Python converts at most
#: 4,300) is left unconverted, as a :class:`LongNumber`, and refused as out of range by its field.
MAX_INT_DIGITS = 20


class LongNumber:
    """An integer of more than :data:`MAX_INT_DIGITS` digits, as the parser leaves it."""

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<a number of {self.digits} digits>"


def _integer(literal: str) -> int | LongNumber:
    """A JSON integer literal, converted when it has at most :data:`MAX_INT_DIGITS` digits."""
    digits = len(literal) - literal.startswith("-")
    return int(literal) if digits <= MAX_INT_DIGITS else LongNumber(digits)


def _check_unicode(data: Any) -> None:
    """Refuse (400, naming the field) a string or key of the body holding a lone surrogate (a
    ``\\ud800`` escape with no pair): JSON allows the escape, but it is no character to predict on."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, field = stack.pop()
        if isinstance(node, str):
            _check_text(node, field or "body")
        elif isinstance(node, dict):
            for key, value in node.items():
                _check_text(key, f"a key of {field or 'the body'}")
                stack.append((value, f"{field}.{key}" if field else key))
        elif isinstance(node, list):
            stack.extend((item, f"{field}.{i}") for i, item in enumerate(node))


def _check_text(text: str, field: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        message = f"{field}: character {err.start} is a lone surrogate ({ascii(text[err.start])}), not valid Unicode"
        raise RequestError(400, message, field=field) from None
