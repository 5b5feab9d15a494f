"""What the frozen transformer's cache saves: seconds per training epoch with and without it.

Trains MiniLM-L6 (packaged) + char CNN + BiLSTM-CRF, frozen, on the first ``--sentences`` of the
CoNLL-2003 training file for ``--epochs`` epochs (validation on the first 500 dev sentences),
once with ``embedding.transformer.cache=true`` and once with ``false``, each in a fresh process,
and reports each epoch's seconds (from the EpochSummary callback) and the peak RSS.

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


def run(folder: Path, cache: bool, epochs: int, out: Path) -> dict:
    command = [
        sys.executable, "-m", "seqlab.cli.train", f"data.dir={folder}", "+embedding/transformer=minilm",
        f"embedding.transformer.cache={str(cache).lower()}", f"trainer.max_epochs={epochs}", "~callbacks.early_stopping",
        "encoder.hidden_size=200", f"hydra.run.dir={out}", "threads=1",
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"cache={cache} failed:\n{done.stderr[-3000:]}")
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
        result = {
            "machine": f"{platform.machine()} CPU, {os.cpu_count()} cores, 1 torch thread",
            "sentences": args.sentences,
            "runs": {f"cache={cache}": run(folder, cache, args.epochs, Path(tmp) / f"run{cache}") for cache in (True, False)},
        }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "transformer_cache.json").write_text(json.dumps(result, indent=2))
    lines = [
        f"Frozen MiniLM-L6 + char CNN + BiLSTM-CRF, {args.sentences} CoNLL-2003 training sentences, 500 dev "
        f"({result['machine']}): seconds per epoch (training and validation).",
        "",
        "| run | " + " | ".join(f"epoch {i + 1}" for i in range(args.epochs)) + " | later epochs vs. without cache | peak RSS MB |",
        "|---|" + "---|" * args.epochs + "---|---|",
    ]
    plain = result["runs"]["cache=False"]["epoch_s"]
    for name, row in result["runs"].items():
        later = sum(row["epoch_s"][1:]) / max(1, sum(plain[1:]))
        lines.append(f"| {name} | " + " | ".join(f"{s:.1f}" for s in row["epoch_s"]) + f" | {later:.2f}x | {row['peak_rss_mb']} |")
    (out / "transformer_cache.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
