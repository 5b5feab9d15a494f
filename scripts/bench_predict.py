"""The torch Predictor on raw text against its own network on prepared batches, in one run.

For one checkpoint and the CoNLL-2003 test sentences (tokens joined by spaces, ``-DOCSTART-``
skipped), at each thread count, alternating ``--repeats`` times (wall time; run it on an idle
machine):

- prepared: the network on batches already featurised, collated and sorted by length (what a
  training loop's evaluation times): features, then Viterbi;
- raw: ``Predictor.predict(lines)``: split, featurise, features, Viterbi and marginals, spans with
  scores, one JSON-ready dict per line; the objects alive once the model is open are set aside
  from garbage collection, as ``seqlab-predict`` and ``seqlab-serve`` do
  (:func:`seqlab.predict.collector.set_aside_loaded_objects`).

    python scripts/bench_predict.py --checkpoint outputs/conll/checkpoints/last.ckpt \\
        --data ../shared/data/conll2003/test.txt --out results

writes ``<out>/bench_predict.json`` and ``<out>/bench_predict.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path

import torch

from seqlab.featurizers import batch_inputs
from seqlab.predict.collector import set_aside_loaded_objects
from seqlab.predict.predictor import Predictor

from conll_text import conll_sentences  # scripts/conll_text.py


def timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--data", default="../shared/data/conll2003/test.txt")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="results")
    args = parser.parse_args()
    sentences = conll_sentences(args.data)
    lines = [" ".join(s) for s in sentences]
    predictor = Predictor.from_checkpoint(args.checkpoint, splitter="whitespace", batch_size=args.batch_size)
    backend = predictor.backend
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
    batches = []
    for start in range(0, len(order), args.batch_size):
        mask, inputs = batch_inputs(backend.featurizers, [sentences[i] for i in order[start : start + args.batch_size]])
        batches.append((torch.from_numpy(mask), {k: torch.from_numpy(v) for k, v in inputs.items()}))
    set_aside_loaded_objects()

    @torch.inference_mode()
    def prepared() -> None:
        for mask, inputs in batches:
            backend.network.head.decode(backend.network.features(inputs, mask), mask)

    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        prepared(), predictor.predict(lines[:512])  # warm-up
        runs = [(timed(prepared), timed(lambda: predictor.predict(lines))) for _ in range(args.repeats)]
        prepared_s = statistics.median(r[0] for r in runs)
        raw_s = statistics.median(r[1] for r in runs)
        rows.append({"threads": threads, "prepared_sents_per_s": round(len(sentences) / prepared_s, 1),
                     "raw_sents_per_s": round(len(sentences) / raw_s, 1), "ratio": round(prepared_s / raw_s, 3)})
        print(json.dumps(rows[-1]), flush=True)
    command = shlex.join(["python", "scripts/bench_predict.py", *sys.argv[1:]])
    result = {"command": command, "machine": {"cpu": platform.processor() or platform.machine(),
                                              "torch": torch.__version__}, "sentences": len(sentences),
              "batch_size": args.batch_size, "repeats": args.repeats, "rows": rows}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_predict.json").write_text(json.dumps(result, indent=2))
    table = [f"Command: `{command}`", "",
             f"{len(sentences)} CoNLL-2003 test sentences, batch {args.batch_size}, torch {torch.__version__} (CPU), "
             f"median of {args.repeats}, wall time.", "",
             "| threads | prepared batches, sentences/s | raw text -> JSON, sentences/s | raw / prepared |",
             "|---|---|---|---|",
             *[f"| {r['threads']} | {r['prepared_sents_per_s']:.0f} | {r['raw_sents_per_s']:.0f} | "
               f"**{r['ratio']:.2f}x** |" for r in rows], ""]
    (out / "bench_predict.md").write_text("\n".join(table))
    print("\n".join(table))


if __name__ == "__main__":
    main()
