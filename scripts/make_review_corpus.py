"""Write a stand-in for a 25,000-review corpus (IMDB-sized: ~230 words a review) as a spreadsheet
would export it: train.csv / dev.csv / test.csv with the header ``review,sentiment``.

Each review joins random SST-2 training phrases of one polarity until it reaches its drawn length,
so texts are long, labels are learnable, and nothing but the SST-2 files is needed.

    python scripts/make_review_corpus.py ../shared/data/sst2/train.tsv OUT_DIR [--reviews 25000]
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sst2_train", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--reviews", type=int, default=25_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    phrases: dict[str, list[str]] = {"0": [], "1": []}
    with open(args.sst2_train, encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row["sentence"].split()) >= 4:
                phrases[row["label"]].append(row["sentence"].strip())
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = {"train": args.reviews, "dev": args.reviews // 10, "test": args.reviews // 10}
    for split, count in sizes.items():
        with open(args.out / f"{split}.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["review", "sentiment"])
            for _ in range(count):
                label = rng.choice("01")
                target, words = max(20, int(rng.lognormvariate(5.2, 0.6))), []
                while len(words) < target:
                    words += rng.choice(phrases[label]).split() + ["."]
                writer.writerow([" ".join(words), "positive" if label == "1" else "negative"])


if __name__ == "__main__":
    main()
