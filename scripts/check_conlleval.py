"""Check that seqlab's F1 equals conlleval's on the same predictions file.

Reads a ``*_predictions.conll`` file written by ``seqlab-eval``/``seqlab-train`` (columns
``token gold predicted``) and scores it with seqeval's default mode, which implements the
conlleval algorithm, then compares with the F1 that seqlab reported in ``results.json``.

    seqlab-eval ckpt_path=CKPT data.dir=../shared/data/conll2003 hydra.run.dir=runs/eval
    python scripts/check_conlleval.py runs/eval
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from seqeval.metrics import f1_score


def read_predictions(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    gold, predicted = [[]], [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if gold[-1]:
                gold.append([]), predicted.append([])
            continue
        _, g, p = line.rsplit(" ", 2)
        gold[-1].append(g), predicted[-1].append(p)
    return [s for s in gold if s], [s for s in predicted if s]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="run directory with results.json and reports/")
    args = parser.parse_args()
    gold, predicted = read_predictions(args.run_dir / "reports" / "test_predictions.conll")
    conlleval = 100 * float(f1_score(gold, predicted))  # default mode = conlleval
    seqlab = 100 * json.loads((args.run_dir / "results.json").read_text())["test/f1"]
    print(json.dumps({"sentences": len(gold), "seqlab_f1": round(seqlab, 4), "conlleval_f1": round(conlleval, 4),
                      "equal": abs(seqlab - conlleval) < 1e-4}))


if __name__ == "__main__":
    main()
