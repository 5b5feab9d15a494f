"""Time from ``seqlab-train`` start to its first training step on a user's corpus, by phase.

Each run is ``seqlab-train task=sentiment data.dir=DIR trainer.fast_dev_run=true`` (one training
batch, one dev and one test batch) in a fresh process with a fresh ``datasets`` cache (cold), then
again on the same cache (warm). The phases come from the run's log timestamps: start to the
``data:`` line (imports, reading, vocabularies), to the ``model:`` line (the model built, every
text encoded), to the first epoch line (the step itself, one dev and test batch). ``--baseline
DIR`` runs the same commands with another checkout first on ``PYTHONPATH`` (e.g. a ``git
worktree`` of an earlier commit), so both versions are timed in one session.

    python scripts/make_review_corpus.py ../shared/data/sst2/train.tsv /tmp/reviews25k
    OMP_NUM_THREADS=1 python scripts/bench_first_step.py sst2=../shared/data/sst2 \\
        reviews25k=/tmp/reviews25k --baseline /tmp/seqlab-before --out results
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

STAMP = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\]")
PHASES = (("read", "] - data: "), ("encode", "] - model: "), ("first step", "] - epoch 1/"))


def run(data_dir: str, checkout: str | None, cache: Path, out: Path) -> dict:
    """One fast_dev_run: wall seconds, seconds per phase, peak RSS (MB)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if checkout:
        env["PYTHONPATH"] = checkout
    command = [
        sys.executable,
        "-m",
        "seqlab.cli.train",
        "task=sentiment",
        f"data.dir={data_dir}",
        "threads=1",
        "trainer.fast_dev_run=true",
        f"data.cache_dir={cache}",
        f"hydra.run.dir={out}",
    ]
    started = time.time()
    # From a neutral folder: ``python -m`` puts the working folder on sys.path ahead of PYTHONPATH.
    result = subprocess.run(
        ["/usr/bin/time", "-f", "maxrss_kb=%M", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=3600,
        cwd=out.parent,
    )
    wall = time.time() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    stamps: dict[str, float] = {}
    for line in result.stderr.splitlines() + result.stdout.splitlines():
        found = STAMP.match(line)
        for phase, marker in PHASES:
            if found and marker in line and phase not in stamps:
                stamps[phase] = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
    phases, previous = {}, started
    for phase, _ in PHASES:
        if phase in stamps:
            phases[phase] = round(stamps[phase] - previous, 1)
            previous = stamps[phase]
    rss = re.search(r"maxrss_kb=(\d+)", result.stderr)
    return {
        "wall_s": round(wall, 1),
        "phases_s": phases,
        "peak_rss_mb": round(int(rss.group(1)) / 1024) if rss else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="+", help="NAME=DIR (a folder seqlab-train task=sentiment reads)")
    parser.add_argument("--baseline", help="another checkout to time first (put on PYTHONPATH)")
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument("--repeats", type=int, default=1, help="runs of each version, interleaved")
    parser.add_argument(
        "--describe",
        action="append",
        default=[],
        help="NAME=TEXT: how a corpus was made, written in the results instead of its path",
    )
    args = parser.parse_args()
    versions = ([("baseline", args.baseline)] if args.baseline else []) + [("this checkout", None)]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for spec in args.corpora:
            name, _, folder = spec.partition("=")
            folder = str(Path(folder).resolve())
            for repeat in range(args.repeats):  # versions interleaved, so load drifts hit both alike
                for version, checkout in versions:
                    cache = Path(scratch) / f"{name}-{version.replace(' ', '_')}-{repeat}-cache"
                    for state in ("cold", "warm"):
                        timing = run(folder, checkout, cache, Path(scratch) / f"run-{len(rows)}")
                        rows.append({"corpus": name, "version": version, "cache": state, **timing})
                        print(json.dumps(rows[-1]), flush=True)
    described = dict(d.partition("=")[::2] for d in args.describe)
    shown = [f"{c.partition('=')[0]}={described.get(c.partition('=')[0], c.partition('=')[2])}" for c in args.corpora]
    command = "OMP_NUM_THREADS=1 python scripts/bench_first_step.py " + " ".join(shown)
    command += f" --repeats {args.repeats}"
    command += " --baseline <checkout of the earlier commit>" if args.baseline else ""
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "first_step.json").write_text(json.dumps({"command": command, "threads": 1, "runs": rows}, indent=1))
    lines = [
        "# Time to the first training step on a user's corpus",
        "",
        f"`{command}`",
        "",
        "`seqlab-train task=sentiment data.dir=DIR trainer.fast_dev_run=true`, 1 thread, a fresh process each; "
        "cold: a fresh datasets cache, warm: the same cache again. Phases from the log: start to `data:` "
        "(imports, reading, vocabularies), to `model:` (model built, texts encoded), to the first epoch line.",
        "",
        "| corpus | version | cache | wall s | read s | encode s | first step s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        p = r["phases_s"]
        lines.append(
            f"| {r['corpus']} | {r['version']} | {r['cache']} | {r['wall_s']} | {p.get('read', '')} | "
            f"{p.get('encode', '')} | {p.get('first step', '')} | {r['peak_rss_mb']} |"
        )
    (args.out / "first_step.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
