"""Choose the unseen-word drift K and scale on dev, after training.

K and the scale (``callbacks.unseen_word_drift.neighbours`` and ``.scale``) only change the rows of
the words training never showed, which training never reads, so trained checkpoints can be scored at
other settings without retraining: the callback's state in the checkpoint keeps the initial table. Each checkpoint is tested on its own dev and test files at each (K, scale);
``<out>/<name>.json`` holds every score and ``<out>/<name>.md`` the table (``--name``, default
``drift_neighbours``), with the mean over checkpoints per setting. Pick by the dev mean: the test
column is for the report. (The checkpoint itself was picked by dev F1 at the setting it trained
with.)

    python scripts/experiments/sweep_drift_neighbours.py runs/*/checkpoints/epoch*.ckpt --neighbours 10 20 30 50 --out results
    python scripts/experiments/sweep_drift_neighbours.py runs/*/checkpoints/epoch*.ckpt --neighbours 20 --scales 1 1.5 2 3 --name drift_scale
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import pytorch_lightning as pl

from seqlab.training.build import build_datamodule
from seqlab.training.checkpoint import read_checkpoint, restore
from seqlab.modules.drift import UnseenWordDrift


def score(ckpt_path: str, settings: list[tuple[int, float]], metric: str) -> dict[str, dict[str, float]]:
    """``{"K=20 scale=1.0": {"dev": score, "test": score}}`` (percent) for one checkpoint."""
    checkpoint = read_checkpoint(ckpt_path)
    states = [state for name, state in checkpoint.get("callbacks", {}).items() if "UnseenWordDrift" in name]
    if not states:
        raise SystemExit(f"{ckpt_path}: trained without callbacks=drift, so there is no K to change")
    model = restore(checkpoint)
    task, initial = model.task, states[0]["initial"]
    datamodule = build_datamodule(model.config)
    datamodule.use_spec(task.spec)
    datamodule.use_featurizers(task.featurizers())
    datamodule.setup()  # dev and test
    loaders = {"dev": datamodule.val_dataloader(), "test": datamodule.test_dataloader()}
    scores: dict[str, dict[str, float]] = {}
    for k, scale in settings:
        UnseenWordDrift(initial, task.spec.train_word_vocab_size, k, scale).apply(task.embedder.parts["word"].weight)
        name = setting_name(k, scale)
        scores[name] = {}
        for split, loader in loaders.items():
            trainer = pl.Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                                 enable_progress_bar=False, enable_model_summary=False)
            result = trainer.test(task, dataloaders=loader, verbose=False)[0]
            scores[name][split] = round(100 * float(result[f"test/{metric}"]), 2)
        print(f"{ckpt_path} {name}: dev {scores[name]['dev']:.2f} test {scores[name]['test']:.2f}", flush=True)
    return scores


def setting_name(k: int, scale: float) -> str:
    return f"K={k} scale={scale:g}"


def table(results: dict[str, dict[str, dict[str, float]]], names: list[str]) -> str:
    """Markdown: one row per checkpoint, dev/test per setting, then the mean per setting."""
    head = "| checkpoint | " + " | ".join(f"{name} dev / test" for name in names) + " |"
    lines = [head, "|---" * (len(names) + 1) + "|"]
    for path, by_name in results.items():
        lines.append(f"| {path} | " + " | ".join(f"{by_name[n]['dev']:.2f} / {by_name[n]['test']:.2f}" for n in names) + " |")
    means = [{split: statistics.mean(r[n][split] for r in results.values()) for split in ("dev", "test")}
             for n in names]
    lines.append("| **mean** | " + " | ".join(f"**{m['dev']:.2f}** / {m['test']:.2f}" for m in means) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", help="checkpoints trained with callbacks=drift")
    parser.add_argument("--neighbours", type=int, nargs="+", default=[10, 20, 30, 50])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0], help="factors on the mean drift")
    parser.add_argument("--metric", default="f1", help="the task's test metric (f1 for NER, accuracy for sentiment)")
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument("--name", default="drift_neighbours", help="file name of the JSON and Markdown results")
    args = parser.parse_args()
    settings = [(k, scale) for k in args.neighbours for scale in args.scales]
    results = {path: score(path, settings, args.metric) for path in args.checkpoints}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(results, indent=2))
    markdown = table(results, [setting_name(k, scale) for k, scale in settings])
    (args.out / f"{args.name}.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
