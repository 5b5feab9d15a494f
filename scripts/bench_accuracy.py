"""Accuracy of a seqlab configuration over several seeds: dev and test F1, epochs, wall time.

Runs the real pipeline (the same code as ``seqlab-train``) once per seed with the given Hydra
overrides, then writes ``<out>/accuracy_<name>.json`` and ``<out>/accuracy_<name>.md``.

    python scripts/bench_accuracy.py --name conll2003_random --seeds 1 2 3 -- experiment=conll2003
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir

from seqlab.config import config_dir
from seqlab.pipeline import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="name of the result files")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--out", default="results")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. experiment=conll2003")
    args = parser.parse_args()
    out = Path(args.out)
    runs = []
    for seed in args.seeds:
        run_dir = out / "runs" / f"{args.name}_seed{seed}"
        overrides = [*args.overrides, f"seed={seed}", f"paths.output_dir={run_dir}", "trainer.enable_progress_bar=false"]
        with initialize_config_dir(str(config_dir()), version_base="1.3"):
            cfg = compose("train", overrides=overrides)
        started = time.perf_counter()
        metrics = train(cfg)
        runs.append({"seed": seed, "dev_f1": round(100 * metrics["val/f1_best"], 2),
                     "test_f1": round(100 * metrics["test/f1"], 2), "epochs": metrics["epochs"],
                     "wall_s": round(time.perf_counter() - started, 1)})
        print(json.dumps(runs[-1]), flush=True)
    summary = {key: round(statistics.mean(r[key] for r in runs), 2) for key in ("dev_f1", "test_f1")}
    if len(runs) > 1:
        summary["test_f1_std"] = round(statistics.stdev(r["test_f1"] for r in runs), 2)
    result = {"name": args.name, "overrides": args.overrides, "runs": runs, "mean": summary,
              "machine": {"device": "cuda" if torch.cuda.is_available() else "cpu", "threads": torch.get_num_threads(),
                          "cpu": platform.processor() or platform.machine(), "torch": torch.__version__}}
    out.mkdir(parents=True, exist_ok=True)
    (out / f"accuracy_{args.name}.json").write_text(json.dumps(result, indent=2))
    lines = [f"`{' '.join(args.overrides)}` on {result['machine']['device']} "
             f"({result['machine']['threads']} threads, torch {torch.__version__})", "",
             "| seed | dev F1 | test F1 | epochs | wall time (s) |", "|---|---|---|---|---|"]
    lines += [f"| {r['seed']} | {r['dev_f1']:.2f} | {r['test_f1']:.2f} | {r['epochs']} | {r['wall_s']:.0f} |" for r in runs]
    lines += [f"| **mean** | **{summary['dev_f1']:.2f}** | **{summary['test_f1']:.2f}** | | |", ""]
    (out / f"accuracy_{args.name}.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
