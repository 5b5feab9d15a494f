"""seqlab-serve under load on loopback: throughput and latency, and a flood of malformed requests.

For each model given (an exported folder runs with ONNX Runtime, a checkpoint with torch), in one
run on one machine:

- in-process: ``Predictor.predict`` over the CoNLL-2003 test lines (batch 256) in a fresh process
  with the server's thread count: sentences/s;
- served: ``seqlab-serve`` in its own process, one test sentence per ``POST /predict``, from a
  closed-loop client (asyncio, raw HTTP/1.1 keep-alive, little CPU of its own) at concurrency 1,
  8 and 32: sentences/s, p50 and p99 latency; every run is bounded in requests and seconds;
- HTTP alone: ``GET /health`` at concurrency 32 from the same client, no model work: what the
  HTTP stack costs a request;
- for each load, the CPU time the server (all its processes) and the client spent per request and
  the server's busy cores (Linux ``/proc``): where a served request's time goes;
- malformed (``--flood``): 10 kinds x 1,000 bad requests at concurrency 8; counts of each status,
  ``/health`` afterwards, and the server's RSS before and after.

    python scripts/bench_serve.py --model "ONNX=models/ner" --model "torch=outputs/.../best.ckpt" \\
        --data ../shared/data/conll2003/test.txt --threads 2 --flood --out results

writes ``<out>/serve.json`` and ``<out>/serve.md``. Client and server share the machine's cores.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conll_text import conll_lines  # scripts/conll_text.py
from omegaconf import OmegaConf
from process_tree import rss_kb, tree_cpu_s  # scripts/process_tree.py

IN_PROCESS = r"""
import json, sys, time
from seqlab.predict.predictor import Predictor
source, threads, texts = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3]))
if source.endswith(".ckpt"):
    import torch
    torch.set_num_threads(threads)
    predictor = Predictor.from_checkpoint(source)
else:
    predictor = Predictor.from_pretrained(source, threads=threads)
from seqlab.predict.collector import set_aside_loaded_objects
set_aside_loaded_objects()  # as the server does once its model is open
predictor.predict(texts[:256])
best = 0.0
for _ in range(2):
    start = time.perf_counter()
    predictor.predict(texts)
    best = max(best, len(texts) / (time.perf_counter() - start))
batch = int(sys.argv[4])  # the server's batch size: file-order chunks, as concurrent requests fill batches
start, cpu = time.perf_counter(), time.process_time()
for i in range(0, len(texts), batch):
    predictor.predict(texts[i : i + batch])
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"sentences_per_s": round(best, 1), "batch": batch,
                  "batch_sentences_per_s": round(len(texts) / wall, 1),
                  "batch_cpu_ms_per_sentence": round(1000 * cpu / len(texts), 3)}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def measured_load(pid: int, *args, **kwargs) -> dict:
    """:func:`load`, with the CPU the server (all its processes) and this client spent per request."""
    server_start, client_start, start = tree_cpu_s(pid), time.process_time(), time.perf_counter()
    result = await load(*args, **kwargs)
    wall = time.perf_counter() - start
    server, client = tree_cpu_s(pid) - server_start, time.process_time() - client_start
    result.update(server_cpu_ms_per_request=round(1000 * server / result["requests"], 3),
                  server_cores_busy=round(server / wall, 2),
                  client_cpu_ms_per_request=round(1000 * client / result["requests"], 3))
    return result


def rss_mb(pid: int) -> float:
    return rss_kb(pid) / 1024


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"", content_type: str = "application/json"):
        for attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            try:
                self.writer.write(head + body)
                await self.writer.drain()
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionError("closed")
                length, close = 0, False
                while True:
                    line = await self.reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                    elif name.lower() == "connection" and "close" in value.lower():
                        close = True
                payload = await self.reader.readexactly(length)
                if close:
                    self.close()
                return int(status_line.split()[1]), payload
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def load(port: int, texts: list[str], concurrency: int, max_requests: int, max_seconds: float,
               http_only: bool = False) -> dict:
    """Closed loop: ``concurrency`` connections each send one sentence, wait, send the next.

    ``http_only`` sends ``GET /health`` instead: the same connections, parsing and middleware
    (request id, log line) with no model work: what the HTTP stack alone costs a request."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    next_index = 0
    deadline = time.perf_counter() + max_seconds

    async def worker() -> None:
        nonlocal next_index
        client = Client(port)
        while next_index < max_requests and time.perf_counter() < deadline:
            text = texts[next_index % len(texts)]
            next_index += 1
            start = time.perf_counter()
            if http_only:
                status, _ = await client.request("GET", "/health")
            else:
                status, _ = await client.request("POST", "/predict", json.dumps({"text": text}).encode())
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
        client.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies),
        "sentences_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 2),
        "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def malformed() -> dict[str, tuple[bytes, str]]:
    """Ten kinds of bad request: body and content type."""
    return {
        "bad JSON": (b'{"text": "unterminated', "application/json"),
        "wrong types": (b'{"texts": [1, 2, {"a": null}]}', "application/json"),
        "empty": (b"", "application/json"),
        "deeply nested": (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        "binary": (bytes(range(256)) * 4, "application/octet-stream"),
        "missing fields": (b'{"nbest": 1}', "application/json"),
        "unknown fields": (b'{"text": "a", "language": "en"}', "application/json"),
        "invalid UTF-8": (b'{"text": "caf\xe9 \xff"}', "application/json"),
        "a text of 1 MB": (json.dumps({"text": "word " * 200_000}).encode(), "application/json"),
        "10,000 texts": (json.dumps({"texts": ["EU rejects German call ."] * 10_000}).encode(), "application/json"),
    }


async def flood(port: int, per_kind: int, concurrency: int) -> dict:
    kinds = malformed()
    jobs = [name for name in kinds for _ in range(per_kind)]
    counts: dict[str, dict[str, int]] = {name: {} for name in kinds}
    position = 0

    async def worker() -> None:
        nonlocal position
        client = Client(port)
        while position < len(jobs):
            name = jobs[position]
            position += 1
            body, content_type = kinds[name]
            status, _ = await client.request("POST", "/predict", body, content_type)
            counts[name][str(status)] = counts[name].get(str(status), 0) + 1
        client.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"seconds": round(time.perf_counter() - start, 1), "statuses": counts}


def start_server(source: str, threads: int, workdir: Path, extra: list[str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    key = "ckpt_path" if source.endswith(".ckpt") else "model"
    log = open(workdir / f"server-{port}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "seqlab.cli.serve", f"{key}={Path(source).resolve()}", f"port={port}",
         f"threads={threads}", *extra],  # the server runs in a scratch folder: the model by its full path
        stdout=log, stderr=log, cwd=workdir, env={**os.environ, "OMP_NUM_THREADS": str(threads)},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped; see {log.name}")
        try:
            status, _ = asyncio.run(Client(port).request("GET", "/health"))
            if status == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not become ready in 120 s")


def server_batch(args: argparse.Namespace) -> int:
    """``batching.max_batch_size`` as the server runs it: an override given, or conf/serve.yaml's."""
    for override in args.server_arg:
        key, _, value = override.partition("=")
        if key == "batching.max_batch_size":
            return int(value)
    return int(OmegaConf.load(Path(__file__).resolve().parents[1] / "conf" / "serve.yaml").batching.max_batch_size)


def bench(name: str, source: str, texts: list[str], args: argparse.Namespace, workdir: Path) -> dict:
    texts_file = workdir / "texts.json"
    texts_file.write_text(json.dumps(texts))
    in_process = json.loads(subprocess.run(
        [sys.executable, "-c", IN_PROCESS, source, str(args.threads), str(texts_file), str(server_batch(args))],
        capture_output=True,
        text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": str(args.threads)}).stdout.splitlines()[-1])
    process, port = start_server(source, args.threads, workdir, args.server_arg)
    try:
        asyncio.run(load(port, texts, 8, 500, 30))  # warm-up
        served = {}
        for concurrency in (1, 8, 32):
            served[str(concurrency)] = asyncio.run(
                measured_load(process.pid, port, texts, concurrency, args.requests, args.max_seconds))
        http_only = asyncio.run(
            measured_load(process.pid, port, texts, 32, args.requests, args.max_seconds, http_only=True))
        result = {"source": source, "in_process_sentences_per_s": in_process["sentences_per_s"],
                  "in_process_at_server_batch": {k: v for k, v in in_process.items() if k != "sentences_per_s"},
                  "served": served, "http_only_c32": http_only}
        if args.flood:
            rss_before = rss_mb(process.pid)
            result["flood"] = asyncio.run(flood(port, args.flood_per_kind, 8))
            status, _ = asyncio.run(Client(port).request("GET", "/health"))
            rss_after = rss_mb(process.pid)
            result["flood"].update(health_after=status, rss_before_mb=round(rss_before, 1),
                                   rss_after_mb=round(rss_after, 1))
        result["ratio_c32"] = round(served["32"]["sentences_per_s"] / in_process["sentences_per_s"], 2)
    finally:
        process.terminate()
        result_code = process.wait(timeout=60)
    result["exit_code_after_sigterm"] = result_code
    print(name, json.dumps(result), flush=True)
    return result


def table(results: dict) -> str:
    lines = [f"Machine: {results['machine']}; {results['cpus']} CPUs; server threads {results['threads']}; "
             f"server overrides {results['server_args'] or 'none'}; "
             f"client and server share the cores. Command: `{results['command']}`", ""]
    lines += ["| model | in-process sentences/s | concurrency | served sentences/s | ratio | p50 ms | p99 ms "
              "| server CPU ms / request | server cores busy | client CPU ms / request |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in results["models"].items():
        for c, s in r["served"].items():
            ratio = s["sentences_per_s"] / r["in_process_sentences_per_s"]
            lines.append(f"| {name} | {r['in_process_sentences_per_s']} | {c} | {s['sentences_per_s']} | "
                         f"{ratio:.2f}x | {s['p50_ms']} | {s['p99_ms']} | {s['server_cpu_ms_per_request']} "
                         f"| {s['server_cores_busy']} | {s['client_cpu_ms_per_request']} |")
    for name, r in results["models"].items():
        b = r["in_process_at_server_batch"]
        lines += ["", f"In-process at the server's batch size, {name} (file-order batches of {b['batch']}): "
                      f"{b['batch_sentences_per_s']} sentences/s, CPU {b['batch_cpu_ms_per_sentence']} ms / sentence"]
    for name, r in results["models"].items():
        h = r["http_only_c32"]
        ratio = h["sentences_per_s"] / r["in_process_sentences_per_s"]
        lines += ["", f"HTTP stack alone, {name} (`GET /health`, same client, concurrency 32, no model work): "
                      f"{h['sentences_per_s']} requests/s = {ratio:.2f}x "
                      f"in-process, p50 {h['p50_ms']} ms, server CPU {h['server_cpu_ms_per_request']} ms / request "
                      f"({h['server_cores_busy']} cores busy): the HTTP part of a request's cost"]
    for name, r in results["models"].items():
        if "flood" not in r:
            continue
        f = r["flood"]
        lines += ["", f"Malformed requests, {name}: {f['seconds']} s; /health after: {f['health_after']}; "
                      f"RSS {f['rss_before_mb']} -> {f['rss_after_mb']} MB", "",
                  "| kind | answers |", "|---|---|"]
        lines += [f"| {kind} | {', '.join(f'{n} x {s}' for s, n in sorted(c.items()))} |"
                  for kind, c in f["statuses"].items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", required=True, help="NAME=FOLDER or NAME=CHECKPOINT.ckpt")
    parser.add_argument("--data", type=Path, required=True, help="CoNLL test file (one token per line)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=3453, help="requests per concurrency level")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="cap per concurrency level")
    parser.add_argument("--server-arg", action="append", default=[], help="a seqlab-serve override, e.g. workers=2")
    parser.add_argument("--flood", action="store_true")
    parser.add_argument("--flood-per-kind", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args()
    texts = conll_lines(args.data)
    results = {"machine": platform.machine(), "cpus": os.cpu_count(), "threads": args.threads,
               "command": " ".join(["python", *sys.argv]), "server_args": args.server_arg, "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.model:
            name, _, source = spec.partition("=")
            results["models"][name] = bench(name, source, texts, args, Path(tmp))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "serve.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.out / "serve.md").write_text(table(results))
    print(table(results))


if __name__ == "__main__":
    main()
