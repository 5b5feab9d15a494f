"""Choose the unseen-word drift K (``embedding.drift_neighbours``) on dev, after training.

K only changes how evaluation reads the words training never showed (with
``embedding.drift_dropout`` off, training steps do not depend on it), so trained checkpoints can
be scored at other K without retraining. Each checkpoint is tested on its own dev and test files
at each K; ``<out>/drift_neighbours.json`` holds every score and ``<out>/drift_neighbours.md`` the
table, with the mean over checkpoints per K. Pick K by the dev mean: the test column is for the
report. (The checkpoint itself was picked by dev F1 at the K it trained with.)

    python scripts/sweep_drift_neighbours.py runs/*/checkpoints/epoch*.ckpt --neighbours 10 20 30 50 --out results
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import pytorch_lightning as pl

from seqlab.checkpoint import read_checkpoint, restore
from seqlab.pipeline import build


def score(ckpt_path: str, neighbours: list[int], metric: str) -> dict[int, dict[str, float]]:
    """``{K: {"dev": score, "test": score}}`` (percent) for one checkpoint."""
    model = restore(read_checkpoint(ckpt_path))
    drift = getattr(model.task.embedder, "drift", None)
    if drift is None:
        raise SystemExit(f"{ckpt_path}: trained without embedding.drift_neighbours, so there is no K to change")
    datamodule = build(model.config.data, pretrained=None)
    datamodule.use_vocabularies(model.word_tokenizer, model.char_tokenizer, model.spec)
    datamodule.setup("test")
    loaders = {"dev": datamodule.val_dataloader(), "test": datamodule.test_dataloader()}
    scores: dict[int, dict[str, float]] = {}
    for k in neighbours:
        drift.neighbours = k
        scores[k] = {}
        for split, loader in loaders.items():
            trainer = pl.Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                                 enable_progress_bar=False, enable_model_summary=False)
            result = trainer.test(model.task, dataloaders=loader, verbose=False)[0]
            scores[k][split] = round(100 * float(result[f"test/{metric}"]), 2)
        print(f"{ckpt_path} K={k}: dev {scores[k]['dev']:.2f} test {scores[k]['test']:.2f}", flush=True)
    return scores


def table(results: dict[str, dict[int, dict[str, float]]], neighbours: list[int]) -> str:
    """Markdown: one row per checkpoint, dev/test per K, then the mean per K."""
    head = "| checkpoint | " + " | ".join(f"K={k} dev / test" for k in neighbours) + " |"
    lines = [head, "|---" * (len(neighbours) + 1) + "|"]
    for path, by_k in results.items():
        lines.append(f"| {path} | " + " | ".join(f"{by_k[k]['dev']:.2f} / {by_k[k]['test']:.2f}" for k in neighbours) + " |")
    means = [{split: statistics.mean(r[k][split] for r in results.values()) for split in ("dev", "test")}
             for k in neighbours]
    lines.append("| **mean** | " + " | ".join(f"**{m['dev']:.2f}** / {m['test']:.2f}" for m in means) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", help="checkpoints trained with embedding.drift_neighbours > 0")
    parser.add_argument("--neighbours", type=int, nargs="+", default=[10, 20, 30, 50])
    parser.add_argument("--metric", default="f1", help="the task's test metric (f1 for NER, accuracy for sentiment)")
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args()
    results = {path: score(path, args.neighbours, args.metric) for path in args.checkpoints}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "drift_neighbours.json").write_text(json.dumps(results, indent=2))
    markdown = table(results, args.neighbours)
    (args.out / "drift_neighbours.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
