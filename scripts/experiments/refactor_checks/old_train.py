"""Item 2a: train three small models with OLD seqlab 0.2 (run with PYTHONPATH=<OLD checkout>, cwd there).

    python old_train.py OUT_DIR [EPOCHS [NAME...]]   (default 2 epochs, all three)
writes OUT_DIR/{ner,sent,casing}/... and OUT_DIR/checkpoints.json {name: {"ckpt": path, "overrides": [...]}}.
"""
import json
import sys
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir

from seqlab.config import config_dir
from seqlab.pipeline import train

RUNS = {
    "ner": [],
    "sent": ["task=sentiment"],
    "casing": ["+embedding/casing=default", "encoder.num_layers=2", "head=softmax"],
}


def main() -> None:
    torch.set_num_threads(1)
    out = Path(sys.argv[1]).resolve()
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    names = sys.argv[3:] or list(RUNS)
    record = {}
    for name in names:
        extra = RUNS[name]
        overrides = ["trainer.accelerator=cpu", f"trainer.max_epochs={epochs}", "trainer.enable_progress_bar=false",
                     f"data.cache_dir={out}/cache", *extra]
        with initialize_config_dir(str(config_dir()), version_base="1.3"):
            cfg = compose("train", overrides=[*overrides, f"paths.output_dir={out / name}"])
        results = train(cfg)
        record[name] = {"ckpt": results["best_checkpoint"], "overrides": overrides,
                        "results": {k: v for k, v in results.items() if k.startswith(("test/", "val/"))}}
    (out / "checkpoints.json").write_text(json.dumps(record, indent=1))
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
