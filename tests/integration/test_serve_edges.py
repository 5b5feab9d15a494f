"""seqlab-serve survives what a request or a model does: the real server on 127.0.0.1, an ephemeral
port, every wait bounded. A Rust panic in the model's tokenizer is a 500 for that request only;
a lone surrogate or a number of thousands of digits is a 4xx naming the field; idle, slow and
cut-short connections are closed (408 when a request had begun); a model folder with a panicking
tokenizer, JSON nested too deep or a file over its size limit is one line and exit code 2."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("onnxruntime")
httpx = pytest.importorskip("httpx")

from seqlab.featurizers import MAX_TOKENIZER_BYTES  # noqa: E402
from tests.integration import test_serve  # noqa: E402
from tests.integration.test_serve import Server  # noqa: E402

models = test_serve.models  # the fixture: a random-weight NER checkpoint and its exported model folder

#: What the tests wait for at most, in seconds, on any socket.
WAIT = 15


@pytest.fixture(scope="module")
def server(models):
    """A server with one-second connection timeouts."""
    server = Server(f"model={models / 'folder'}", "connections.keep_alive_s=1", "connections.header_timeout_s=1",
                    "connections.body_timeout_s=1", cwd=models)
    yield server
    assert server.stop() == 0


def panicking_folder(models: Path, into: Path) -> Path:
    """The model folder with a character tokenizer that panics (a Rust ``PanicException``, no
    ``Exception``) on any word holding ``boom`` but not itself ``boom``: such a word is encoded by
    the tokenizer, whose pre-tokenizer splits into chunks of 0 characters."""
    folder = into / "panicking"
    shutil.copytree(models / "folder", folder)
    path = folder / "char_ids.tokenizer.json"
    tokenizer = json.loads(path.read_text())
    tokenizer["pre_tokenizer"] = {"type": "FixedLength", "length": 0}
    tokenizer["added_tokens"].append({"id": 2, "content": "boom", "single_word": False, "lstrip": False,
                                      "rstrip": False, "normalized": False, "special": True})
    path.write_text(json.dumps(tokenizer))
    return folder


def raw_exchange(port: int, data: bytes, pieces: list[bytes] = (), pause: float = 0.0) -> tuple[float, bytes]:
    """Send ``data`` (then ``pieces``, ``pause`` s apart) on a fresh connection and read until the
    server closes it (or :data:`WAIT`); the seconds that took and what came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        start = time.monotonic()
        sock.sendall(data)
        for piece in pieces:
            time.sleep(pause)
            try:
                sock.sendall(piece)
            except OSError:  # closed by the server
                break
        answer = b""
        while time.monotonic() - start < WAIT:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            answer += chunk
        return time.monotonic() - start, answer


def status_and_json(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_a_panicking_tokenizer_fails_that_request_only_and_the_batcher_goes_on(models, tmp_path):
    server = Server(f"model={panicking_folder(models, tmp_path)}", "batching.max_wait_ms=50", cwd=models)
    try:
        url = f"{server.url}/predict"
        with httpx.Client(timeout=WAIT) as client:
            bad = client.post(url, json={"text": "a xboom b"})
            assert bad.status_code == 500, bad.text
            assert bad.json()["error"].startswith("internal error (PredictionError)") and bad.json()["request_id"]
            assert "\n" not in bad.text
            # in one batch with good requests, the bad one fails alone (the batch is retried request by request)
            import concurrent.futures

            texts = ["Peter visited Paris .", "a xboom b", "EU rejects German call ."]
            with concurrent.futures.ThreadPoolExecutor(3) as pool:
                answers = list(pool.map(lambda t: client.post(url, json={"text": t}), texts))
            assert [a.status_code for a in answers] == [200, 500, 200]
            assert answers[0].json()["tokens"] == ["Peter", "visited", "Paris", "."]
            for _ in range(3):  # the batcher still runs: prompt answers, never a 504
                assert client.post(url, json={"texts": ["fine", "words"]}).status_code == 200
            assert client.get(f"{server.url}/health").json() == {"status": "ready"}
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("body, field", [
    (b'{"text": "\\ud800 x"}', "text"),
    (b'{"texts": ["fine", "x \\udfff"]}', "texts.1"),
    (b'{"text": "a", "\\ud800": 1}', "a key of the body"),
], ids=["text", "texts", "key"])
def test_a_lone_surrogate_is_a_400_naming_the_field(server, body, field):
    answer = httpx.post(f"{server.url}/predict", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == field and "lone surrogate" in answer.json()["error"]


def test_a_surrogate_pair_is_a_character():
    from seqlab.serving.app import _check_unicode

    _check_unicode(json.loads('{"text": "\\ud83d\\ude00 ok"}'))  # an emoji, escaped as JSON does


@pytest.mark.parametrize("body, status, field", [
    (b'{"text": "a", "nbest": ' + b"9" * 5000 + b"}", 422, "nbest"),
    (b'{"text": "a", "nbest": -' + b"9" * 5000 + b"}", 422, "nbest"),
    (b'{"text": "a", "nbest": 100000000000000000000}', 422, "nbest"),
    (b'{"text": ' + b"1" * 5000 + b"}", 400, "text"),
    (b'{"texts": ["a", ' + b"1" * 5000 + b"]}", 400, "texts.1"),
    (b'{"text": "a", "nbest": 1e999}', 400, "nbest"),
], ids=["nbest-5000-digits", "nbest-minus-5000-digits", "nbest-21-digits", "text-5000-digits", "texts-5000-digits",
        "nbest-1e999"])
def test_a_number_of_any_size_is_a_4xx_naming_the_field(server, body, status, field):
    answer = httpx.post(f"{server.url}/predict", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == status, answer.text
    assert answer.json()["field"] == field


def test_idle_connections_are_closed(server):
    connections = [socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) for _ in range(200)]
    start = time.monotonic()
    try:
        assert all(sock.recv(1) == b"" for sock in connections)  # closed, with nothing sent
        assert 0.8 < time.monotonic() - start < 5
    finally:
        for sock in connections:
            sock.close()
    assert httpx.get(f"{server.url}/health").status_code == 200


def test_a_connection_idle_after_an_answer_is_closed(server):
    request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    took, answer = raw_exchange(server.port, request)
    assert answer.startswith(b"HTTP/1.1 200") and 0.8 < took < 5  # keep-alive ran out, then closed


def test_slow_headers_get_a_408(server):
    took, answer = raw_exchange(server.port, b"GET /health HTTP/1.1\r\n", [b"X-Slow: a\r\n"] * 20, pause=0.3)
    status, body = status_and_json(answer)
    assert status == 408 and body["limit"] == "header_timeout_s" and took < 5


@pytest.mark.parametrize("declared, sent", [(100, b'{"text": "'), (40, b"")])
def test_a_body_shorter_than_its_length_gets_a_408(server, declared, sent):
    head = f"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
    took, answer = raw_exchange(server.port, head.encode() + sent)
    status, body = status_and_json(answer)
    assert status == 408 and body["limit"] == "body_timeout_s" and f"{len(sent)} bytes came" in body["error"]
    assert took < 5 and b"connection: close" in answer.lower()
    assert httpx.get(f"{server.url}/health").status_code == 200


def test_the_connection_settings_are_checked(tmp_path):
    from seqlab.serving.settings import Connections

    with pytest.raises(ValueError, match="connections.body_timeout_s: expected a positive number of seconds"):
        Connections(body_timeout_s=0)


def serve_error(args: list[str], cwd: Path) -> str:
    """The one line seqlab-serve ends with (asserting exit code 2 and a single line)."""
    result = subprocess.run([sys.executable, "-m", "seqlab.cli.serve", *args], capture_output=True, text=True,
                            cwd=cwd, timeout=120)
    assert result.returncode == 2, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith("seqlab-serve: error: ")
    return lines[0]


def broken_copy(models: Path, into: Path) -> tuple[Path, Path, str]:
    """A copy of the model folder, its word tokenizer file and that file's text."""
    folder = into / "bad"
    shutil.copytree(models / "folder", folder)
    tokenizer = folder / "word_ids.tokenizer.json"
    return folder, tokenizer, tokenizer.read_text()


def test_a_model_folder_whose_tokenizer_panics_while_loading_is_one_line(models, tmp_path):
    folder, tokenizer, original = broken_copy(models, tmp_path)
    # an invalid precompiled character map makes tokenizers panic (its hook writes to stderr too)
    tokenizer.write_text(json.dumps({**json.loads(original),
                                     "normalizer": {"type": "Precompiled", "precompiled_charsmap": "!!invalid"}}))
    line = serve_error([f"model={folder}"], tmp_path)
    assert "word_ids.tokenizer.json: not a tokenizer file (PanicException: Precompiled" in line


@pytest.mark.slow
def test_a_model_folder_over_a_size_limit_or_nested_too_deep_is_one_line(models, tmp_path):
    folder, tokenizer, original = broken_copy(models, tmp_path)
    with open(tokenizer, "r+b") as handle:  # a sparse file: refused by its size, before it is parsed
        handle.truncate(MAX_TOKENIZER_BYTES + 1)
    line = serve_error([f"model={folder}"], tmp_path)
    assert f"word_ids.tokenizer.json: {MAX_TOKENIZER_BYTES + 1} bytes, more than the {MAX_TOKENIZER_BYTES}" in line
    tokenizer.write_text("[" * 100_000 + "]" * 100_000)
    assert "word_ids.tokenizer.json: not a tokenizer file" in serve_error([f"model={folder}"], tmp_path)
    tokenizer.write_text(original)
    (folder / "seqlab-model.json").write_text("[" * 100_000 + "]" * 100_000)
    assert "seqlab-model.json: JSON nested too deep to parse" in serve_error([f"model={folder}"], tmp_path)
