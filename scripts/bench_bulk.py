"""Bulk prediction: ``seqlab-predict processes=2`` against ``processes=1`` on a large file, and
peak memory as the file grows 10x.

Builds files of N/10 and N sentences by repeating the CoNLL-2003 test sentences (tokens joined by
spaces, ``-DOCSTART-`` skipped), then runs ``seqlab-predict ckpt_path=... input=FILE`` in fresh
processes with ``processes=1`` and ``processes=2`` (one thread each), all in this one run:
sentences/s (whole command: start, model load, prediction, writing), the ratio of 2 processes to 1
at each size, whether the two outputs are byte-identical, and peak RSS: the largest single process
(``getrusage(RUSAGE_CHILDREN)`` in a fresh wrapper) and the peak of the whole process tree's RSS
summed (``/proc``, sampled every 0.1 s).

    python scripts/bench_bulk.py --checkpoint outputs/conll/checkpoints/last.ckpt \\
        --data ../shared/data/conll2003/test.txt --sentences 200000 --out results

writes ``<out>/bench_bulk.json`` and ``<out>/bench_bulk.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conll_text import conll_lines  # scripts/conll_text.py
from process_tree import tree_rss_kb  # scripts/process_tree.py

#: Runs a command and prints the peak RSS (kB) of its largest process, children included.
WRAPPER = r"""
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, flush=True)
sys.exit(code)
"""


def write_repeated(sentences: list[str], count: int, path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(sentences[i % len(sentences)] + "\n")


def run_predict(checkpoint: str, source: Path, output: Path, processes: int, workdir: Path) -> dict:
    command = [
        sys.executable, "-m", "seqlab.cli.predict", f"ckpt_path={checkpoint}", f"input={source}",
        f"output={output}", f"processes={processes}", "threads=1", f"hydra.run.dir={workdir / 'run'}",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", WRAPPER, *command], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak_tree = 0
    while proc.poll() is None:
        peak_tree = max(peak_tree, tree_rss_kb(proc.pid))
        time.sleep(0.1)
    wall = time.perf_counter() - start
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"seqlab-predict processes={processes} failed:\n{stderr[-3000:]}")
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    output.unlink()
    return {
        "processes": processes, "threads_per_process": 1, "wall_s": round(wall, 2),
        "peak_rss_largest_process_mb": round(int(stdout.split()[-1]) / 1024, 1),
        "peak_rss_all_processes_mb": round(peak_tree / 1024, 1), "load_before": round(load, 2), "sha256": digest,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="a trained checkpoint (torch)")
    parser.add_argument("--data", required=True, help="CoNLL file whose sentences are repeated")
    parser.add_argument("--sentences", type=int, default=200_000, help="N: the large file; the small one is N/10")
    parser.add_argument("--out", default="results")
    args = parser.parse_args()
    header = "python " + " ".join(shlex.quote(a) for a in ["scripts/bench_bulk.py", *sys.argv[1:]])
    sentences = conll_lines(Path(args.data))
    sizes = [args.sentences // 10, args.sentences]
    rows = []
    with tempfile.TemporaryDirectory(prefix="seqlab-bench-bulk-") as scratch:
        work = Path(scratch)
        for size in sizes:
            source = work / f"in{size}.txt"
            write_repeated(sentences, size, source)
            runs = {p: run_predict(args.checkpoint, source, work / f"out{p}.jsonl", p, work) for p in (1, 2)}
            for run in runs.values():
                run["sentences_per_s"] = round(size / run["wall_s"], 1)
                print(json.dumps({"sentences": size, **run}), flush=True)
            rows.append({
                "sentences": size,
                "runs": list(runs.values()),
                "speedup_2_over_1": round(runs[1]["wall_s"] / runs[2]["wall_s"], 2),
                "identical_output": runs[1]["sha256"] == runs[2]["sha256"],
            })
            source.unlink()
    report = {
        "command": header,
        "checkpoint": args.checkpoint,
        "data": args.data,
        "machine": f"{platform.machine()}; {os.cpu_count()} CPUs; Python {platform.python_version()}",
        "threads_per_process": 1,
        "note": "2 CPUs shared with other jobs (see load_before: the 1-minute load average before each run)",
        "sizes": rows,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_bulk.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "bench_bulk.md").write_text(markdown(report))


def markdown(report: dict) -> str:
    lines = [
        f"Command: `{report['command']}`",
        "",
        f"Machine: {report['machine']}; one thread per process (`threads=1`, `OMP_NUM_THREADS=1`); "
        f"{report['note']}. Each figure is one run of the whole command in a fresh process (start, model "
        "load, prediction, writing); the ratio compares runs of this same invocation.",
        "",
        "| sentences | processes | wall s | sentences/s | 2 / 1 | peak RSS, largest process (MB) "
        "| peak RSS, all processes (MB) | load before | output identical |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["sizes"]:
        for run in row["runs"]:
            ratio = f"**{row['speedup_2_over_1']:.2f}x**" if run["processes"] == 2 else ""
            same = ("yes" if row["identical_output"] else "**no**") if run["processes"] == 2 else ""
            lines.append(
                f"| {row['sentences']:,} | {run['processes']} | {run['wall_s']} | {run['sentences_per_s']} | {ratio} "
                f"| {run['peak_rss_largest_process_mb']} | {run['peak_rss_all_processes_mb']} "
                f"| {run['load_before']} | {same} |"
            )
    small, large = report["sizes"][0], report["sizes"][-1]
    growth = [
        f"{b['processes']} process{'es' if b['processes'] > 1 else ''}: "
        f"{a['peak_rss_largest_process_mb']} -> {b['peak_rss_largest_process_mb']} MB"
        for a, b in zip(small["runs"], large["runs"])
    ]
    lines += [
        "",
        f"Peak RSS of the largest process as the file grows {large['sentences'] // small['sentences']}x: "
        + "; ".join(growth) + ". \"All processes\" with 2 processes counts the two ranks and the "
        "launching command (Python, Hydra, no model).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
