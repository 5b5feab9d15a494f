"""Item 4 supplement: the Predictor on raw lines exactly as scripts/bench_speed.py builds it (the CoNLL-2003
datamodule and task of its config, Predictor(task, splitter="whitespace", batch_size=512)), untrained
weights, no Lightning fit: first call (as bench_speed times it) and warm calls. 1 thread.

    python predict_speed_bench_model.py old|new DATA_DIR
"""
import json
import statistics
import sys
import tempfile
import time

import torch
from hydra import compose, initialize_config_dir

torch.set_num_threads(1)
mode, data = sys.argv[1], sys.argv[2]
from seqlab.config import config_dir

if mode == "old":
    from seqlab.build import build_datamodule, build_task
    from seqlab.predictor import Predictor
    lower = "data.lowercase=false"
else:
    from seqlab.training.build import build_datamodule, build_task
    from seqlab.predict.predictor import Predictor
    lower = "embedding.word.lowercase=false"
overrides = ["experiment=conll2003", f"data.dir={data}", "data.tag_scheme=IOB2", lower, "embedding.word.word_dropout=0.0",
             "data.batch_size=32", "data.eval_batch_size=512", "optimizer=sgd", "seed=1",
             f"paths.output_dir={tempfile.mkdtemp()}"]
with initialize_config_dir(str(config_dir()), version_base="1.3"):
    cfg = compose("train", overrides=overrides)
torch.manual_seed(1)
datamodule = build_datamodule(cfg)
datamodule.setup("fit")
task = build_task(cfg, datamodule.spec)
datamodule.use_featurizers(task.featurizers())
task.eval()
lines = [" ".join(tokens) for tokens in datamodule.dataset("test")["tokens"]]
predictor = Predictor(task, splitter="whitespace", batch_size=512)
walls = []
for _ in range(4):
    start = time.perf_counter()
    predictor.predict(lines)
    walls.append(time.perf_counter() - start)
print(json.dumps({"mode": mode, "sentences": len(lines), "first_call_sents_per_s": round(len(lines) / walls[0], 1),
                  "warm_median_sents_per_s": round(len(lines) / statistics.median(walls[1:]), 1)}))
