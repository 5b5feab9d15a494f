"""The HTTP app: ``POST /predict``, ``GET /health``, ``GET /metadata``, on FastAPI.

Every answer is JSON. A bad request gets a 4xx naming what is wrong (400: not UTF-8, not JSON, a
missing, unknown or mistyped field; 413: over a size limit; 422: a value out of range), never a
500; each request gets an id (``X-Request-ID``, taken from the client when it sends a sane one)
and one JSON log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seqlab.errors import SeqlabError
from seqlab.predict.predictor import Predictor
from seqlab.serving.batcher import DynamicBatcher
from seqlab.serving.settings import Batching, Limits
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


def create_app(
    predictor: Predictor,
    limits: Limits | None = None,
    batching: Batching | None = None,
    backend: str = "?",
) -> FastAPI:
    """The app serving a loaded ``predictor`` (loaded before the server binds its port, so a
    model that cannot load ends the command in one line and never takes a request)."""
    limits = limits or Limits()
    batching = batching or Batching()
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

    app = FastAPI(title="seqlab", version=__version__, lifespan=lifespan)

    app.add_middleware(RequestLog, max_body_bytes=limits.max_body_bytes)

    @app.exception_handler(RequestError)
    async def refused(request: Request, err: RequestError) -> JSONResponse:
        return JSONResponse({"error": str(err), **err.detail}, status_code=err.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(err.detail)}, status_code=err.status_code, headers=err.headers)

    @app.exception_handler(Exception)
    async def bug(request: Request, err: Exception) -> JSONResponse:
        request_id = request.scope.get("state", {}).get("request_id")
        log.exception("error", extra={"fields": {"request_id": request_id, "error": repr(err)[:200]}})
        return JSONResponse({"error": "internal error", "request_id": request_id}, status_code=500)

    @app.get("/health")
    async def health() -> JSONResponse:
        """``ready`` (200) while the server takes requests; ``starting`` or ``stopping`` (503) otherwise."""
        return JSONResponse({"status": state["status"]}, status_code=200 if state["status"] == "ready" else 503)

    @app.get("/metadata")
    async def metadata() -> JSONResponse:
        """The model card (task, labels, versions, metrics) and how this server runs it."""
        predictor = _ready(state)
        serving = {"backend": backend, "limits": vars(limits), "batching": batching.as_dict()}
        return JSONResponse({**predictor.card, "seqlab_version": __version__, "serving": serving})

    @app.post("/predict")
    async def predict(request: Request) -> JSONResponse:
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
        except (ValueError, SeqlabError) as err:
            if parsed.nbest == 1:
                raise
            raise RequestError(422, f"nbest: {err}", field="nbest") from None  # e.g. a graph that decodes the best
        return JSONResponse(outputs[0] if parsed.text is not None else outputs)

    return app


def _ready(state: dict[str, Any], batcher: bool = False) -> Any:
    if state["status"] != "ready":
        raise RequestError(503, f"the model is {state['status']}", model=state["status"])
    return state["batcher"] if batcher else state["predictor"]


class RequestLog:
    """ASGI middleware: a request id for every request (the client's ``X-Request-ID`` when it is
    sane), one JSON log line per request, and the body limit: a body over ``max_body_bytes`` is
    refused (413) by its declared length, or while it streams in, before it is all read."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        sent_id = headers.get("x-request-id", "")
        request_id = sent_id if _REQUEST_ID.fullmatch(sent_id) else uuid.uuid4().hex[:16]
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

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
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
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise RequestError(400, f"the body is not JSON ({err.msg} at line {err.lineno}, column {err.colno})") from None
    except RecursionError:
        raise RequestError(400, "the body is not JSON this server reads (nested too deeply)") from None
    if not isinstance(data, dict):
        raise RequestError(
            400, f'the body must be a JSON object ({{"text": ...}} or {{"texts": [...]}}), got {type(data).__name__}'
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
