"""Supplement to item 4: the Predictor alone on raw lines, OLD vs NEW, same 0.2 checkpoint, 1 thread.

    python predict_speed.py old|new|old-task|new-task CKPT DATA_DIR [REPEATS]
old/new: Predictor.from_checkpoint / Predictor.open(ckpt_path=); *-task: Predictor(task) on the task restored
from the checkpoint (the path scripts/bench_speed.py times). COLD=1: no warm-up, REPEATS=1 gives the first
call's speed (bench_speed.py times one call, without warm-up).
Prints one JSON line: sentences/s of predict() over the CoNLL-2003 test lines (batch 512, whitespace
splitter, as bench_speed.py), median and best of REPEATS after a warm-up.
"""
import json
import statistics
import sys
import time
from pathlib import Path

import torch

torch.set_num_threads(1)
mode, ckpt, data = sys.argv[1], sys.argv[2], Path(sys.argv[3])
repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3
lines, current = [], []
for line in (data / "test.txt").read_text().splitlines():
    if not line.strip() or line.startswith("-DOCSTART-"):
        if current:
            lines.append(" ".join(current))
        current = []
    else:
        current.append(line.split()[0])
if mode == "old-task":
    from seqlab.checkpoint import restore
    from seqlab.checkpoint_file import read_checkpoint
    from seqlab.predictor import Predictor
    predictor = Predictor(restore(read_checkpoint(ckpt)).task, splitter="whitespace", batch_size=512)
elif mode == "new-task":
    from seqlab.predict.checkpoint_file import read_checkpoint
    from seqlab.predict.predictor import Predictor
    from seqlab.training.checkpoint import restore
    predictor = Predictor(restore(read_checkpoint(ckpt)).task, splitter="whitespace", batch_size=512)
elif mode == "old":
    from seqlab.predictor import Predictor
    predictor = Predictor.from_checkpoint(ckpt, splitter="whitespace", batch_size=512)
else:
    from seqlab import Predictor
    predictor = Predictor.open(ckpt_path=ckpt, splitter="whitespace", batch_size=512)
import os
if os.environ.get("COLD") != "1":
    predictor.predict(lines[:512])
walls = []
for _ in range(repeats):
    start = time.perf_counter()
    predictor.predict(lines)
    walls.append(time.perf_counter() - start)
print(json.dumps({"mode": mode, "first_call_sents_per_s_after_warmup": round(len(lines) / walls[0], 1)}), file=sys.stderr)
print(json.dumps({"mode": mode, "cold": os.environ.get("COLD") == "1", "sentences": len(lines), "median_sents_per_s": round(len(lines) / statistics.median(walls), 1),
                  "best_sents_per_s": round(len(lines) / min(walls), 1)}))
