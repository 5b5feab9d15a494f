"""Training speed and memory on long documents: tokens/s and peak RSS at 100 to 6,400 words.

Documents are real sentences (the SST-2 training file, or the shipped sample) joined until each
holds N words, so word and character statistics are those of real text. For each length, one
fresh process trains the sentiment classifier (word 100 + char CNN + BiLSTM 100 + max pooling,
Adam) for one epoch over the same number of words, with validation off, and reports the
training loop's words per second and its peak resident memory. Two batch rules are timed:
``batch_size`` documents whatever their length, and ``data.max_batch_tokens`` (padded tokens
per batch bounded, so memory stays flat). ``data.max_tokens`` truncation is timed at the longest
length as a third row.

    python scripts/bench_long_documents.py --data ../shared/data/sst2 --out results

writes ``<out>/long_documents.json`` and ``<out>/long_documents.md``.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LENGTHS = (100, 400, 1600, 6400)
RULES = {
    "batch_size=32": [],
    "max_batch_tokens=16384": ["data.max_batch_tokens=16384"],
}


def write_documents(source: Path, length: int, total_words: int, folder: Path) -> None:
    """``train.tsv`` (and a small ``dev.tsv``) of documents of ``length`` words joined from ``source``'s sentences."""
    with open(source, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    words = [w for row in rows for w in row["sentence"].split()]
    count = max(2, total_words // length)
    folder.mkdir(parents=True, exist_ok=True)
    for name, n in (("train.tsv", count), ("dev.tsv", 2)):
        with open(folder / name, "w", newline="") as handle:
            writer = csv.writer(handle, delimiter="\t")
            writer.writerow(["sentence", "label"])
            for i in range(n):
                start = (i * length * 7919) % max(1, len(words) - length)
                writer.writerow([" ".join(words[start : start + length]), str(i % 2)])


def child(folder: str, overrides: list[str], out_dir: str) -> dict:
    """Train one epoch on ``folder`` in this process; words/s and peak RSS."""
    import pytorch_lightning as pl
    import torch
    from hydra import compose, initialize_config_dir

    from seqlab.training.build import build_datamodule, build_task, build_trainer
    from seqlab.config import config_dir

    class EpochTimer(pl.Callback):
        def on_train_epoch_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
            self.start = time.perf_counter()

        def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
            self.seconds = time.perf_counter() - self.start

    cfg_overrides = [
        "task=sentiment", f"data.dir={folder}", "data.test_file=null", "trainer.max_epochs=1",
        "trainer.limit_val_batches=0", "~callbacks.early_stopping", "~callbacks.model_checkpoint",
        "~callbacks.last_checkpoint", "~callbacks.epoch_summary", "trainer.enable_progress_bar=false",
        f"paths.output_dir={out_dir}", "seed=1", *overrides,
    ]
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("train", overrides=cfg_overrides)
    pl.seed_everything(1)
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    task = build_task(cfg, datamodule.spec)
    datamodule.use_featurizers(task.featurizers())
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    timer = EpochTimer()
    trainer = build_trainer(cfg)
    trainer.callbacks.append(timer)
    trainer.fit(task, datamodule=datamodule)
    words = sum(e.length for e in datamodule.encoded("train"))
    batches = list(datamodule.train_dataloader())
    return {
        "words": words,
        "batches": len(batches),
        "largest_batch_tokens": max(int(b.mask.numel()) for b in batches),
        "train_s": round(timer.seconds, 2),
        "words_per_s": round(words / timer.seconds, 1),
        "rss_before_mb": round(before_mb, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "threads": torch.get_num_threads(),
    }


def run(folder: Path, overrides: list[str], work: Path) -> dict:
    command = [sys.executable, __file__, "--child", str(folder), "--child-out", str(work / "run"), "--", *overrides]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(overrides)} on {folder} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(result: dict) -> str:
    lines = [
        f"Training words/s and peak RSS by document length ({result['machine']}; {result['threads']} torch thread(s); "
        f"{result['total_words']} words per run; one process per row).",
        "",
        "| batches | doc words | words/s | vs. fastest | largest batch (tokens) | peak RSS MB | RSS growth over data MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule, rows in result["rules"].items():
        fastest = max(r["words_per_s"] for r in rows)
        for r in rows:
            lines.append(
                f"| {rule} | {r['length']} | {r['words_per_s']:.0f} | {fastest / r['words_per_s']:.2f}x | "
                f"{r['largest_batch_tokens']} | {r['peak_rss_mb']:.0f} | {r['peak_rss_mb'] - r['rss_before_mb']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="folder with an SST-2 style train.tsv (default: the shipped sample)")
    parser.add_argument("--out", default="results")
    parser.add_argument("--total-words", type=int, default=409_600, help="training words per run (every length)")
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    parser.add_argument("overrides", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.overrides, args.child_out)))
        return
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.data:
        source = Path(args.data) / "train.tsv"
    else:
        from seqlab.resources import sample_path

        source = sample_path("sentiment") / "train.tsv"
    rules = {name: list(overrides) for name, overrides in RULES.items()}
    rules[f"max_tokens=400 ({max(args.lengths)} words)"] = ["data.max_tokens=400"]
    result: dict = {"machine": f"{platform.machine()} CPU, {os.cpu_count()} cores", "threads": os.environ["OMP_NUM_THREADS"],
                    "total_words": args.total_words, "source": str(source), "rules": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for rule, overrides in rules.items():
            lengths = [max(args.lengths)] if rule.startswith("max_tokens") else args.lengths
            rows = []
            for length in lengths:
                folder = work / f"docs{length}"
                if not folder.is_dir():
                    write_documents(source, length, args.total_words, folder)
                row = {"length": length, **run(folder, overrides, work)}
                print(json.dumps({rule: row}), flush=True)
                rows.append(row)
            result["rules"][rule] = rows
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "long_documents.json").write_text(json.dumps(result, indent=2))
    (out / "long_documents.md").write_text(table(result))
    print(table(result))


if __name__ == "__main__":
    main()
