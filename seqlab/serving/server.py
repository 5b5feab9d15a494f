"""Running the app on uvicorn: one process, or ``workers`` processes each with its own model.

SIGTERM (or Ctrl-C) stops accepting connections, lets requests in flight finish (up to
``drain_s``), then exits 0. Idle and slow connections are closed (``connections.*``: uvicorn's
keep-alive timeout, and :mod:`seqlab.serving.protocol`'s header timeout).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import signal
from typing import Any

import uvicorn

from seqlab.serving.app import create_app
from seqlab.serving.logs import configure
from seqlab.serving.protocol import HeaderTimeoutProtocol
from seqlab.serving.settings import Batching, Connections, Limits
from seqlab.serving.source import ModelSource

#: Carries a multi-worker server's settings to the worker processes uvicorn starts.
SETTINGS_VARIABLE = "SEQLAB_SERVE_SETTINGS"

#: Exit code of a worker process whose model failed to load.
LOAD_FAILED = 2


def serve(
    source: ModelSource,
    limits: Limits,
    batching: Batching,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int = 1,
    drain_s: float = 30.0,
    log_level: str = "info",
    connections: Connections | None = None,
    opentelemetry: bool = False,
) -> None:
    """Serve until SIGTERM. The model is read once per serving process, before the port is bound:
    one server loads it here (its error is raised: one line from the command); each worker of a
    multi-worker server loads its own, after this process has checked the files once, so a refused
    model is one line here rather than the death of every worker."""
    configure(log_level)
    connections = connections or Connections()
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,  # uvicorn's own lines stay plain; requests are logged as JSON by the app
        "access_log": False,
        "timeout_graceful_shutdown": drain_s,
        "log_level": "warning",
        "timeout_keep_alive": connections.keep_alive_s,
        # uvicorn takes a protocol class, or what is called like one (and pickles it for workers)
        "http": functools.partial(HeaderTimeoutProtocol, header_timeout_s=connections.header_timeout_s),
    }
    # uvicorn drains on SIGTERM / SIGINT, then raises the signal again for the handler it found:
    # make that handler a no-op, so a drained server exits 0 rather than dying of the signal.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _after_drain)
    if workers > 1:
        source.check()
        settings = {
            "source": dataclasses.asdict(source),
            "limits": dataclasses.asdict(limits),
            "batching": dataclasses.asdict(batching),
            "connections": dataclasses.asdict(connections),
            "log_level": log_level,
            "opentelemetry": opentelemetry,
        }
        os.environ[SETTINGS_VARIABLE] = json.dumps(settings)
        uvicorn.run("seqlab.serving.server:app_from_environment", factory=True, workers=workers, **common)
        return
    app = create_app(source.load(), limits, batching, _backend(source), connections, opentelemetry)
    uvicorn.Server(uvicorn.Config(app, **common)).run()


def app_from_environment() -> Any:
    """The app of one worker process of a multi-worker server (settings from the environment).

    The worker loads its model before it accepts connections: workers share one socket, so a
    worker still loading would otherwise take requests while the others are ready."""
    settings = json.loads(os.environ[SETTINGS_VARIABLE])
    log = configure(settings["log_level"])
    source = ModelSource(**settings["source"])
    try:
        predictor = source.load()
    except BaseException as err:  # a Rust panic included; a process-ending one ends the worker anyway
        log.error("load_failed", extra={"fields": {"error": f"{type(err).__name__}: {err}"}})
        os._exit(LOAD_FAILED)  # the worker cannot serve
    limits, batching = Limits(**settings["limits"]), Batching(**settings["batching"])
    connections = Connections(**settings["connections"])
    return create_app(predictor, limits, batching, _backend(source), connections, settings["opentelemetry"])


def _after_drain(signum: int, frame: Any) -> None:
    """The signal handler uvicorn calls once it has drained (it handles the signal itself before)."""


def _backend(source: ModelSource) -> str:
    return "onnx" if source.runs_onnx else "torch"
