"""seqlab-serve: the real server on 127.0.0.1, called over HTTP; answers equal the Predictor's,
bad requests get 4xx naming the problem (never a 5xx), SIGTERM drains and exits 0."""
from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("onnxruntime")
httpx = pytest.importorskip("httpx")

from seqlab.predict.export import export_checkpoint  # noqa: E402
from seqlab.predict.predictor import Predictor  # noqa: E402
from tests.integration.test_export import sample_texts  # noqa: E402
from tests.integration.test_torch_predictor import random_checkpoint  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``seqlab-serve`` in a subprocess on a free port, waited for until ``/health`` is ready."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "seqlab.cli.serve", f"port={self.port}", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped: {self.process.stderr.read()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.process.kill()
        raise RuntimeError("the server did not become ready in 90 s")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A random-weight NER checkpoint and its exported model folder."""
    from tests.conftest import compose_config

    out = tmp_path_factory.mktemp("serve")
    random_checkpoint(lambda *o: compose_config(out, *o), out / "model.ckpt")
    export_checkpoint(out / "model.ckpt", out / "folder")
    return out


@pytest.fixture(scope="module")
def onnx_server(models):
    server = Server(f"model={models / 'folder'}", "batching.max_wait_ms=5", "limits.max_texts=50",
                    "limits.max_chars=2000", "limits.max_body_bytes=100000", cwd=models)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def torch_server(models):
    server = Server(f"ckpt_path={models / 'model.ckpt'}", cwd=models)
    yield server
    server.stop()


TEXTS = sample_texts("ner")[:40]


def test_answers_equal_the_predictors(models, onnx_server, torch_server):
    onnx = Predictor.from_pretrained(models / "folder").predict(TEXTS)
    torch_predictions = Predictor.from_checkpoint(models / "model.ckpt").predict(TEXTS)
    assert httpx.post(f"{onnx_server.url}/predict", json={"texts": TEXTS}).json() == onnx
    assert httpx.post(f"{torch_server.url}/predict", json={"texts": TEXTS}).json() == torch_predictions
    one = httpx.post(f"{onnx_server.url}/predict", json={"text": TEXTS[0]})
    assert one.status_code == 200 and one.json() == onnx[0] and one.headers["x-request-id"]
    ids = {httpx.post(f"{onnx_server.url}/predict", json={"text": "a"}).headers["x-request-id"] for _ in range(20)}
    assert len(ids) == 20 and all(len(i) == 16 for i in ids)  # a new id per request
    nbest = Predictor.from_checkpoint(models / "model.ckpt", nbest=3).predict(TEXTS[:3])
    assert httpx.post(f"{torch_server.url}/predict", json={"texts": TEXTS[:3], "nbest": 3}).json() == nbest


def test_concurrent_requests_are_batched_and_each_gets_its_own_answer(models, onnx_server):
    expected = Predictor.from_pretrained(models / "folder").predict(TEXTS)
    with httpx.Client() as client, concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda t: client.post(f"{onnx_server.url}/predict", json={"text": t}).json(), TEXTS))
    for got, want in zip(answers, expected):  # batch composition changes float rounding in the scores only
        assert got["tokens"] == want["tokens"] and got["tags"] == want["tags"]
        assert [(s["type"], s["start"], s["end"]) for s in got["spans"]] == \
               [(s["type"], s["start"], s["end"]) for s in want["spans"]]


def test_health_and_metadata(onnx_server, torch_server):
    assert httpx.get(f"{onnx_server.url}/health").json() == {"status": "ready"}
    for server, backend in ((onnx_server, "onnx"), (torch_server, "torch")):
        card = httpx.get(f"{server.url}/metadata").json()
        assert card["task"].endswith("SequenceLabelingTask") and "B-PER" in card["labels"]
        assert card["seqlab_version"] and card["serving"]["backend"] == backend
        assert card["serving"]["batching"]["max_batch_size"] == 16


BAD = [  # (body bytes, content type, status, what the answer names)
    (b'{"text": ', "application/json", 400, "not JSON"),
    (b'{"texts": "one"}', "application/json", 400, "texts"),
    (b'{"text": 5}', "application/json", 400, "text"),
    (b'{"texts": ["a", null]}', "application/json", 400, "texts.1"),
    (b"{}", "application/json", 400, "exactly one"),
    (b"[]", "application/json", 400, "JSON object"),
    (b"", "application/json", 400, "not JSON"),
    (b'{"text": "a", "texts": ["b"]}', "application/json", 400, "exactly one"),
    (b'{"text": "a", "colour": "red"}', "application/json", 400, "colour"),
    (b'{"text": "a", "nbest": "2"}', "application/json", 400, "nbest"),
    (b'{"text": "a", "nbest": 0}', "application/json", 400, "nbest"),
    (b'{"text": "a", "nbest": 11}', "application/json", 422, "max_nbest"),
    (b'{"text": "a", "nbest": 2}', "application/json", 422, "nbest"),  # the ONNX graph decodes the best only
    (b'{"text": "\xff\xfe"}', "application/json", 400, "not UTF-8"),
    (bytes(range(256)), "application/octet-stream", 400, "not UTF-8"),
    (json.dumps({"text": "x" * 2001}).encode(), "application/json", 413, "max_chars"),
    (json.dumps({"texts": ["a"] * 51}).encode(), "application/json", 413, "max_texts"),
    (json.dumps({"text": "x" * 200_000}).encode(), "application/json", 413, "max_body_bytes"),
    (b'{"text": "' + b"9" * 10 + b'"' * 3, "application/json", 400, "not JSON"),
]


@pytest.mark.parametrize("body, content_type, status, named", BAD)
def test_bad_requests_get_a_4xx_naming_the_problem(onnx_server, body, content_type, status, named):
    answer = httpx.post(f"{onnx_server.url}/predict", content=body, headers={"content-type": content_type})
    assert answer.status_code == status, answer.text
    assert named in json.dumps(answer.json()), answer.json()
    assert httpx.get(f"{onnx_server.url}/health").status_code == 200


def test_a_body_streamed_without_a_length_is_cut_off_at_the_limit(onnx_server):
    def chunks():
        for _ in range(100):
            yield b"x" * 10_000

    answer = httpx.post(f"{onnx_server.url}/predict", content=chunks())
    assert answer.status_code == 413 and answer.json()["limit"] == "max_body_bytes"


def test_sigterm_drains_requests_in_flight_then_exits_0(models):
    server = Server(f"model={models / 'folder'}", "batching.max_wait_ms=1500", cwd=models)
    answers: list = []
    thread = threading.Thread(target=lambda: answers.append(httpx.post(f"{server.url}/predict",
                                                                         json={"text": TEXTS[0]}, timeout=30)))
    thread.start()
    time.sleep(0.5)  # the request waits in the batcher for 1.5 s
    assert server.stop() == 0
    thread.join()
    assert answers[0].status_code == 200 and answers[0].json()["tokens"]


def test_a_request_waiting_past_its_timeout_gets_504(models):
    server = Server(f"model={models / 'folder'}", "batching.max_wait_ms=2000", "limits.timeout_s=0.3", cwd=models)
    try:
        answer = httpx.post(f"{server.url}/predict", json={"text": TEXTS[0]}, timeout=30)
        assert answer.status_code == 504 and answer.json()["limit"] == "timeout_s"
        assert httpx.get(f"{server.url}/health").status_code == 200
    finally:
        assert server.stop() == 0


@pytest.mark.slow
def test_workers_each_serve_the_model(models):
    server = Server(f"model={models / 'folder'}", "workers=2", cwd=models)
    try:
        expected = Predictor.from_pretrained(models / "folder").predict(TEXTS[:8])
        with httpx.Client() as client:
            answers = [client.post(f"{server.url}/predict", json={"texts": TEXTS[:8]}).json() for _ in range(6)]
        assert all(answer == expected for answer in answers)
    finally:
        assert server.stop() == 0


@pytest.mark.slow
def test_bad_arguments_are_one_line_errors(models, tmp_path):
    for args, message in [
        ([], "give either model=FOLDER"),
        ([f"model={tmp_path / 'none'}"], "no such model folder"),
        ([f"model={models / 'folder'}", "backend=torch"], "backend=torch needs ckpt_path"),
        ([f"model={models / 'folder'}", "limits.max_texts=0"], "limits.max_texts: expected a positive number"),
        ([f"model={models / 'folder'}", "opentelemetry=maybe"], "opentelemetry: expected true or false"),
        ([f"model={tmp_path}"], "seqlab-model.json"),  # exists, but is no model folder: fails while loading
    ]:
        result = subprocess.run([sys.executable, "-m", "seqlab.cli.serve", *args], capture_output=True, text=True,
                                cwd=tmp_path, timeout=60)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("seqlab-serve: error: ") and message in result.stderr
