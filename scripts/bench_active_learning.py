"""Active learning on CoNLL-2003: does labelling the most uncertain sentences beat labelling random ones?

Each seed draws 1,000 labelled train sentences at random; the rest of train is the pool. Each round
trains a model on the labelled set (``seqlab.train``, the code of ``seqlab-train``), scores it on
dev, then adds 1,000 pool sentences chosen by each strategy: ``uncertainty`` (least confidence: the
lowest CRF token marginal of the Viterbi tags), ``mean_confidence`` (their mean), both through
``seqlab.predict.selection.select_most_uncertain`` on what ``Predictor.predict_tokens`` returns, or
``random``. Round 0 (the initial 1,000) is shared by the strategies (a later run reuses it from
``--work``). Dev F1 per round and strategy, mean and standard deviation over seeds, and the tokens
labelled go to ``<out>/active_learning.{json,md}``, rewritten after every training; a re-run skips
the seeds whose chosen strategies the JSON already holds in full, so an interrupted run resumes by
seed.

    OMP_NUM_THREADS=1 python scripts/bench_active_learning.py --seeds 1 2 3 \\
        --strategies uncertainty mean_confidence random --out results

Runs (checkpoints, logs) go under ``--work`` (default ``outputs/bench_active_learning``).
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import statistics
import sys
import time
from pathlib import Path

import seqlab
from seqlab.predict.predictor import Predictor
from seqlab.predict.selection import select_most_uncertain, summarize

DATA = Path("../shared/data")
#: How each strategy picks the next sentences: a measure of seqlab.predict.selection, or at random.
MEASURES = {"uncertainty": "least_confidence", "mean_confidence": "mean_confidence", "random": None}
STRATEGIES = tuple(MEASURES)


def conll_blocks(path: Path) -> list[str]:
    """The sentences of a CoNLL file as their raw lines (all columns), ``-DOCSTART-`` left out."""
    blocks, lines = [], []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.strip() and not line.startswith("-DOCSTART-"):
            lines.append(line)
        elif not line.strip() and lines:
            blocks.append("\n".join(lines))
            lines = []
    return blocks


def train_on(blocks: list[str], folder: Path, args: argparse.Namespace, seed: int) -> seqlab.RunResult:
    """A model trained on ``blocks`` (dev: CoNLL dev; no test), with the benchmark's recipe."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "train.txt").write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    dev = data / "dev.txt"
    if not dev.exists():
        dev.symlink_to((args.data / "conll2003" / "dev.txt").resolve())
    return seqlab.train(
        [
            f"experiment={args.experiment}",
            f"data.dir={data}",
            "data.test_file=null",
            "data.vector_splits=[train,dev]",
            f"embedding.word.pretrained={(args.data / 'embeddings' / 'glove.6B.50d.conll2003.txt').resolve()}",
            f"trainer.max_epochs={args.epochs}",
            f"callbacks.early_stopping.patience={args.patience}",
            f"seed={seed}",
            f"threads={args.threads}",
            "trainer.enable_progress_bar=false",
            f"hydra.run.dir={folder / 'run'}",
            f"data.cache_dir={args.work / 'cache'}",
        ]
    )


def most_uncertain(checkpoint: Path, pool: list[str], k: int, threads: int, measure: str) -> tuple[list[int], dict]:
    """Indices into ``pool`` of its ``k`` most uncertain sentences by ``measure``, and their score summary."""
    predictor = Predictor.open(ckpt_path=checkpoint, threads=threads)
    sentences = [[line.split()[0] for line in block.splitlines()] for block in pool]
    predictions = predictor.predict_tokens(sentences)
    chosen = select_most_uncertain(({**p, "index": i} for i, p in enumerate(predictions)), k, measure)
    return [p["index"] for p in chosen], summarize(p["uncertainty"] for p in chosen)


def run_seed(seed: int, args: argparse.Namespace, record: dict) -> None:
    """Both strategies' rounds for ``seed``, recorded into ``record`` (and written) after each training."""
    train = conll_blocks(args.data / "conll2003" / "train.txt")
    order = list(range(len(train)))
    random.Random(seed).shuffle(order)
    start, pool0 = order[: args.initial], order[args.initial :]
    entry = record.setdefault(str(seed), {})
    first = None
    for strategy in args.strategies:
        labelled, pool = list(start), list(pool0)
        picker = random.Random(seed * 1000 + 7)
        runs = entry[strategy] = []
        for round_ in range(args.rounds + 1):
            folder = args.work / f"seed{seed}" / (f"round{round_}" if round_ == 0 else f"{strategy}_round{round_}")
            began = time.perf_counter()
            done = folder / "run" / "results.json"
            if round_ == 0 and first is not None:
                result = first
            elif round_ == 0 and done.is_file():  # the shared first round, trained by an earlier run
                metrics = json.loads(done.read_text())
                result = seqlab.RunResult(folder / "run", metrics, Path(metrics["best_checkpoint"]))
            else:
                result = train_on([train[i] for i in labelled], folder, args, seed)
            if round_ == 0:
                first = result
            run = {
                "round": round_,
                "labelled": len(labelled),
                "tokens": sum(train[i].count("\n") + 1 for i in labelled),
                "dev_f1": round(100 * result.metrics["val/f1_best"], 2),
                "epochs": result.metrics.get("epochs"),
                "train_s": round(time.perf_counter() - began, 1),
            }
            if round_ < args.rounds:
                measure = MEASURES[strategy]
                if measure is not None:
                    assert result.checkpoint is not None
                    picked, run["selected_uncertainty"] = most_uncertain(
                        result.checkpoint, [train[i] for i in pool], args.step, args.threads, measure
                    )
                else:
                    picked = picker.sample(range(len(pool)), args.step)
                chosen = set(picked)
                labelled += [pool[i] for i in picked]
                pool = [p for i, p in enumerate(pool) if i not in chosen]
            run["wall_s"] = round(time.perf_counter() - began, 1)
            runs.append(run)
            print(json.dumps({"seed": seed, "strategy": strategy, **run}), flush=True)
            write(record, args)


def table(record: dict, args: argparse.Namespace) -> dict:
    """Per strategy and round: labelled size, dev F1 of every seed, mean and standard deviation."""
    summary: dict = {}
    for strategy in STRATEGIES:
        rows = []
        for round_ in range(args.rounds + 1):
            scores = [
                runs[strategy][round_]["dev_f1"] for runs in record.values() if len(runs.get(strategy, [])) > round_
            ]
            if scores:
                tokens = [
                    runs[strategy][round_]["tokens"]
                    for runs in record.values()
                    if len(runs.get(strategy, [])) > round_ and "tokens" in runs[strategy][round_]
                ]
                rows.append(
                    {
                        "round": round_,
                        "labelled": args.initial + args.step * round_,
                        "tokens_mean": round(statistics.mean(tokens)) if tokens else None,
                        "dev_f1": scores,
                        "mean": round(statistics.mean(scores), 2),
                        "std": round(statistics.stdev(scores), 2) if len(scores) > 1 else None,
                    }
                )
        summary[strategy] = rows
    return summary


def write(record: dict, args: argparse.Namespace) -> None:
    """``<out>/active_learning.json`` and ``.md`` from the runs so far."""
    import torch

    summary = table(record, args)
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    document = {
        "command": COMMAND,
        "settings": settings,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "summary": summary,
        "runs": record,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "active_learning.json").write_text(json.dumps(document, indent=1) + "\n")
    lines = [
        "# Active learning on CoNLL-2003: the most uncertain sentences vs random ones",
        "",
        f"`{COMMAND}`",
        "",
        f"Recipe: `experiment={args.experiment}`, at most {args.epochs} epochs, early stopping patience"
        f" {args.patience} on dev F1; start {args.initial} random train sentences, + {args.step} per round;"
        f" uncertainty = least confidence (1 - the lowest CRF token marginal of the Viterbi tags),"
        f" mean_confidence = 1 - their mean marginal (`select=K measure=...` of seqlab-predict);"
        f" {torch.get_num_threads()} torch thread(s), torch {torch.__version__}, CPU. Dev F1 (%), mean ± std over seeds"
        f" {', '.join(sorted(record))}.",
        "",
        *([args.note, ""] if args.note else []),
        "Each cell: dev F1 mean ± std (seeds), and the mean number of labelled tokens.",
        "",
    ]
    shown = [s for s in STRATEGIES if summary[s]]
    lines += [
        "| round | labelled sentences | " + " | ".join(shown) + " | uncertainty - random |",
        "|---|---|" + "---|" * len(shown) + "---|",
    ]
    by_round = {s: {r["round"]: r for r in summary[s]} for s in shown}
    for round_ in range(args.rounds + 1):
        cells, means = [], {}
        for strategy in shown:
            row = by_round[strategy].get(round_)
            if row is None:
                cells.append("-")
                continue
            std = f" ± {row['std']:.2f}" if row["std"] is not None else ""
            tokens = f", {row['tokens_mean']:,} tokens" if row["tokens_mean"] is not None else ""
            cells.append(f"{row['mean']:.2f}{std} (n={len(row['dev_f1'])}{tokens})")
            means[strategy] = row["mean"]
        both = "uncertainty" in means and "random" in means
        difference = f"{means['uncertainty'] - means['random']:+.2f}" if both else "-"
        labelled = args.initial + args.step * round_
        lines.append(f"| {round_} | {labelled:,} | " + " | ".join(cells) + f" | {difference} |")
    (args.out / "active_learning.md").write_text("\n".join(lines) + "\n")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--strategies", nargs="+", choices=STRATEGIES, default=["uncertainty", "random"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--initial", type=int, default=1000)
    parser.add_argument("--step", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--patience", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--experiment", default="conll2003_glove_adam")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--work", type=Path, default=Path("outputs/bench_active_learning"))
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument("--note", default="", help="a line for the table's header (how the runs were made)")
    return parser.parse_args(argv)


def command(argv: list[str]) -> str:
    """The command line that makes the table (``--note`` left out: it describes, it does not change a run)."""
    kept = [a for i, a in enumerate(argv) if a != "--note" and (i == 0 or argv[i - 1] != "--note")]
    return " ".join(["OMP_NUM_THREADS=1 python scripts/bench_active_learning.py", *map(shlex.quote, kept)])


COMMAND = command(sys.argv[1:])


def main(argv: list[str] | None = None) -> None:
    args = parse(sys.argv[1:] if argv is None else argv)
    found = args.out / "active_learning.json"
    record = json.loads(found.read_text())["runs"] if found.is_file() else {}
    for seed in args.seeds:
        done = record.get(str(seed), {})
        if all(len(done.get(s, [])) == args.rounds + 1 for s in args.strategies):
            print(f"seed {seed}: already in {found}, skipped", flush=True)
            continue
        run_seed(seed, args, record)
    write(record, args)


if __name__ == "__main__":
    main()
