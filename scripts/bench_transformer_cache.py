"""What the frozen transformer's caches save: seconds per training epoch with and without them.

Trains MiniLM-L6 (packaged) + char CNN + BiLSTM-CRF, frozen, on the first ``--sentences`` of the
CoNLL-2003 training file for ``--epochs`` epochs (validation on the first 500 dev sentences),
each run in a fresh process: without a cache, with the in-memory one, and twice with the Arrow
files on disk (the second run, another seed, reads what the first wrote). Reports each epoch's
seconds (from the EpochSummary callback), the peak RSS and the size of the files.

    python scripts/bench_transformer_cache.py --data ../shared/data/conll2003 --out results

writes ``<out>/transformer_cache.json`` and ``<out>/transformer_cache.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path


def head_of(source: Path, sentences: int, target: Path) -> None:
    """The first ``sentences`` sentences of a CoNLL file."""
    kept, lines = 0, []
    for line in source.read_text().splitlines():
        if not line.strip():
            if lines and lines[-1].strip():
                kept += 1
                if kept == sentences:
                    break
        lines.append(line)
    target.write_text("\n".join(lines) + "\n\n")


def run(folder: Path, overrides: list[str], epochs: int, out: Path) -> dict:
    command = [
        sys.executable, "-m", "seqlab.cli.train", f"data.dir={folder}", "+embedding/transformer=minilm", *overrides,
        f"trainer.max_epochs={epochs}", "~callbacks.early_stopping", "encoder.hidden_size=200",
        f"hydra.run.dir={out}", "threads=1",
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{overrides} failed:\n{done.stderr[-3000:]}")
    curve = json.loads((out / "reports" / "learning_curves.json").read_text())
    log = (out / "train.log").read_text()
    results = json.loads(log.split("results: ")[-1].splitlines()[0]) if "results: " in log else {}
    return {"epoch_s": [round(e["seconds"], 1) for e in curve], "peak_rss_mb": results.get("peak_rss_mb")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/conll2003")
    parser.add_argument("--out", default="results")
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        folder.mkdir()
        head_of(Path(args.data) / "train.txt", args.sentences, folder / "train.txt")
        head_of(Path(args.data) / "dev.txt", 500, folder / "dev.txt")
        head_of(Path(args.data) / "dev.txt", 500, folder / "test.txt")
        disk = ["embedding/transformer/cache=disk", f"embedding.transformer.cache.directory={tmp}/vectors"]
        runs = {
            "no cache": ["~embedding/transformer/cache"],
            "memory": ["embedding/transformer/cache=memory"],
            "disk, first run": [*disk, "seed=1"],
            "disk, later run": [*disk, "seed=2"],
        }
        result = {
            "machine": f"{platform.machine()} CPU, {os.cpu_count()} cores, 1 torch thread",
            "sentences": args.sentences,
            "runs": {name: run(folder, overrides, args.epochs, Path(tmp) / f"run{i}") for i, (name, overrides) in
                     enumerate(runs.items())},
        }
        files = list(Path(tmp, "vectors").rglob("*.arrow"))
        result["disk_mb"] = round(sum(f.stat().st_size for f in files) / 2**20, 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "transformer_cache.json").write_text(json.dumps(result, indent=2))
    lines = [
        f"Frozen MiniLM-L6 + char CNN + BiLSTM-CRF, {args.sentences} CoNLL-2003 training sentences, 500 dev "
        f"({result['machine']}): seconds per epoch (training and validation).",
        "",
        "| cache | " + " | ".join(f"epoch {i + 1}" for i in range(args.epochs))
        + " | epoch 1 vs. no cache | later epochs vs. no cache | peak RSS MB |",
        "|---|" + "---|" * args.epochs + "---|---|---|",
    ]
    plain = result["runs"]["no cache"]["epoch_s"]
    for name, row in result["runs"].items():
        first = row["epoch_s"][0] / plain[0]
        later = sum(row["epoch_s"][1:]) / max(1, sum(plain[1:]))
        lines.append(f"| {name} | " + " | ".join(f"{s:.1f}" for s in row["epoch_s"])
                     + f" | {first:.2f}x | {later:.2f}x | {row['peak_rss_mb']} |")
    lines += ["", f"The Arrow files of the {args.sentences + 500} sentences take {result['disk_mb']} MB on disk."]
    (out / "transformer_cache.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
