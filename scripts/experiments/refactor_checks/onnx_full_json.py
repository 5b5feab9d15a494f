"""Item 3: NEW torch Predictor.open(ckpt_path) vs the exported ONNX folder Predictor.open(model=DIR)
on the CoNLL-2003 test sentences as raw lines (tokens joined by spaces); full JSON and tags compared.

    python scripts/experiments/refactor_checks/onnx_full_json.py CKPT DATA_DIR OUT_DIR
(run with PYTHONPATH=<NEW checkout>, cwd there; writes OUT_DIR/onnx_full_json.json)
"""
import json
import sys
import time
from pathlib import Path

import torch

torch.set_num_threads(1)
from seqlab import Predictor
from seqlab.predict.export import export_checkpoint

ckpt, data, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
sentences, current = [], []
for line in (data / "test.txt").read_text().splitlines():
    if not line.strip() or line.startswith("-DOCSTART-"):
        if current:
            sentences.append(" ".join(current))
        current = []
    else:
        current.append(line.split()[0])
if current:
    sentences.append(" ".join(current))
folder = out / "conll2003_onnx"
if not folder.exists():
    export_checkpoint(ckpt, folder)
record = {"checkpoint": ckpt, "data": str(data / "test.txt"), "sentences": len(sentences), "threads": 1}
for splitter in ("whitespace", None):
    t0 = time.perf_counter()
    torch_out = Predictor.open(ckpt_path=ckpt, splitter=splitter).predict(sentences)
    t1 = time.perf_counter()
    onnx_out = Predictor.open(model=folder, splitter=splitter, threads=1).predict(sentences)
    t2 = time.perf_counter()
    diffs = [i for i, (a, b) in enumerate(zip(torch_out, onnx_out)) if a != b]
    score_diff = max((abs(x["score"] - y["score"]) for a, b in zip(torch_out, onnx_out)
                      for x, y in zip(a["spans"], b["spans"])), default=0.0)
    record[f"splitter={splitter or 'default'}"] = {
        "identical_tags": sum(a["tags"] == b["tags"] for a, b in zip(torch_out, onnx_out)),
        "identical_spans_ignoring_score": sum(
            [{k: v for k, v in s.items() if k != "score"} for s in a["spans"]]
            == [{k: v for k, v in s.items() if k != "score"} for s in b["spans"]] for a, b in zip(torch_out, onnx_out)),
        "identical_full_json": len(sentences) - len(diffs),
        "full_json_identical": not diffs,
        "max_abs_span_score_diff": score_diff,
        "first_difference": None if not diffs else {"torch": torch_out[diffs[0]], "onnx": onnx_out[diffs[0]]},
        "torch_s": round(t1 - t0, 2), "onnx_s": round(t2 - t1, 2),
    }
(out / "onnx_full_json.json").write_text(json.dumps(record, indent=1, ensure_ascii=False))
print(json.dumps({k: ({kk: vv for kk, vv in v.items() if kk != "first_difference"} if isinstance(v, dict) else v)
                  for k, v in record.items()}, indent=1))
