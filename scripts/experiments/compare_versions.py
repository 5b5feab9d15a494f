"""Train four small configurations and dump per-step losses, dev scores per epoch and test scores,
to compare two seqlab versions on one machine (the 0.1 -> 0.2 embedder refactor trained bit for bit alike).

    PYTHONPATH=<checkout of 0.1> SEQLAB_DATA_DIR=../shared/data OMP_NUM_THREADS=1 \\
        python scripts/experiments/compare_versions.py /tmp/eq/old old
    SEQLAB_DATA_DIR=../shared/data OMP_NUM_THREADS=1 python scripts/experiments/compare_versions.py /tmp/eq/new new
    diff <(cat /tmp/eq/old/*.json) <(cat /tmp/eq/new/*.json)

``old`` uses 0.1's config keys (embedding.word_dim, embedding.casing_dim, ...), ``new`` 0.2's.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir

from seqlab.config import config_dir
from seqlab.training.pipeline import train


def runs(version: str, vectors: str) -> dict[str, list[str]]:
    old = version == "old"
    return {
        "ner": [],
        "drift": ["experiment=conll2003_glove_drift", "data.dir=null"],
        "sent": ["task=sentiment"]
        + (
            ["embedding.word_dim=50", f"embedding.pretrained={vectors}"]
            if old
            else ["embedding.word.dim=50", f"embedding.word.pretrained={vectors}"]
        ),
        "lstm": [
            "embedding/char=lstm",
            "encoder.num_layers=2",
            "encoder.variational_dropout=true",
            "embedding.variational_dropout=true",
        ]
        + (["embedding.casing_dim=10"] if old else ["+embedding/casing=default"]),
    }


def main() -> None:
    torch.set_num_threads(1)
    out, version = Path(sys.argv[1]), sys.argv[2]
    vectors = f"{os.environ.get('SEQLAB_DATA_DIR', '../shared/data')}/embeddings/glove.6B.50d.conll2003.txt"
    for name, overrides in runs(version, vectors).items():
        folder = out / name
        with initialize_config_dir(str(config_dir()), version_base="1.3"):
            cfg = compose(
                "train",
                overrides=[
                    "trainer.accelerator=cpu",
                    "trainer.max_epochs=10",
                    "trainer.enable_progress_bar=false",
                    "trainer.log_every_n_steps=1",
                    f"paths.output_dir={folder}",
                    f"data.cache_dir={out}/cache",
                    *overrides,
                ],
            )
        results = train(cfg)
        rows = list(csv.DictReader(open(folder / "logs/version_0/metrics.csv")))
        record = {
            "losses": [r["train/loss"] for r in rows if r.get("train/loss")],
            "val": [r["val/f1"] for r in rows if r.get("val/f1")],
            "results": {k: v for k, v in results.items() if k.startswith(("test/", "val/"))},
        }
        (out / f"{name}.json").write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
