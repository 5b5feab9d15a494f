"""Write the shipped sentiment sample in the layouts a spreadsheet or a script exports, so each
layout of "Your own data" (docs/own-data.md) has a tiny example that trains in one command:

- ``seqlab/resources/sample/reviews_csv``: ``train.csv`` / ``dev.csv`` / ``test.csv``, header
  ``review,sentiment``, labels ``negative`` / ``positive``, texts quoted where CSV needs it;
- ``seqlab/resources/sample/reviews_jsonl``: ``train.jsonl`` / ``validation.jsonl`` /
  ``test.jsonl``, one ``{"text": ..., "label": ...}`` object per line.

    python scripts/make_layout_samples.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "seqlab" / "resources" / "sample"
NAMES = {"0": "negative", "1": "positive"}


def rows(split: str) -> list[tuple[str, str]]:
    with open(SAMPLE / "sentiment" / f"{split}.tsv", encoding="utf-8") as handle:
        return [
            (r["sentence"].strip(), r["label"]) for r in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]


def main() -> None:
    for folder in ("reviews_csv", "reviews_jsonl"):
        (SAMPLE / folder).mkdir(exist_ok=True)
    for split, jsonl_name in (("train", "train"), ("dev", "validation"), ("test", "test")):
        examples = rows(split)
        with open(SAMPLE / "reviews_csv" / f"{split}.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["review", "sentiment"])
            writer.writerows((text, NAMES[label]) for text, label in examples)
        with open(SAMPLE / "reviews_jsonl" / f"{jsonl_name}.jsonl", "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps({"text": text, "label": NAMES[label]}) + "\n" for text, label in examples)
    for folder, layout in (("reviews_csv", "CSV with a header row"), ("reviews_jsonl", "JSON lines")):
        (SAMPLE / folder / "README.md").write_text(
            f"# The synthetic sentiment sample as {layout}\n\n"
            "The rows of `../sentiment` (synthetic, CC0-1.0; see its README) with labels written as words, "
            f"as a spreadsheet or script would export them. Written by `scripts/make_layout_samples.py`; "
            "trains with `seqlab-train task=sentiment data.dir=<this folder>` (docs/own-data.md).\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
