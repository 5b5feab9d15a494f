"""Item 2: predict raw lines with a checkpoint or a model folder; runs under OLD or NEW seqlab.

    python predict_lines.py old|new|new-folder  CKPT_OR_DIR  LINES.json  OUT.json
old: Predictor.from_checkpoint (seqlab.predictor); new: Predictor.open(ckpt_path=...);
new-folder: Predictor.open(model=DIR).
"""
import json
import os
import sys

import torch

torch.set_num_threads(1)
mode, source, lines_file, out_file = sys.argv[1:5]
lines = json.load(open(lines_file))
if mode == "old":
    from seqlab.predictor import Predictor
    predictor = Predictor.from_checkpoint(source)
elif mode == "new":
    from seqlab import Predictor
    predictor = Predictor.open(ckpt_path=source)
else:
    from seqlab import Predictor
    predictor = Predictor.open(model=source, threads=1)
out = predictor.predict(lines)
open(out_file, "w").write(json.dumps(out, indent=1, ensure_ascii=False, sort_keys=True))
print(mode, len(out), "predictions ->", out_file)
