"""Write the tiny annotation-tool samples shipped with seqlab (seqlab/resources/sample/{labelstudio,
doccano,spans,labelstudio_choices}) from the synthetic CoNLL and sentiment samples beside them.

The first sentences of each CoNLL split are detokenized (no space before punctuation) and their
entities written as character spans, so the three formats hold the same texts and spans.

    python scripts/make_annotation_samples.py
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from seqlab.data.readers import read_conll
from seqlab.data.tag_schemes import to_spans

SAMPLES = Path(__file__).resolve().parents[1] / "seqlab" / "resources" / "sample"
SIZES = {"train": 40, "dev": 12, "test": 12}
NO_SPACE_BEFORE = {".", ",", "!", "?", ";", ":", ")", "'s", "%"}


def detokenize(tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """The text of ``tokens`` and each token's character offsets."""
    text, offsets = "", []
    for token in tokens:
        if text and token not in NO_SPACE_BEFORE:
            text += " "
        offsets.append((len(text), len(text) + len(token)))
        text += token
    return text, offsets


def examples(split: str) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """``(text, [(start, end, type)])`` of the first sentences of the CoNLL sample's ``split``."""
    found = []
    for sentence in read_conll(SAMPLES / "conll" / f"{split}.txt", file_scheme="IOB1"):
        text, offsets = detokenize(sentence["tokens"])
        spans = [
            (offsets[a][0], offsets[b - 1][1], kind)
            for kind, a, b in sorted(to_spans(sentence["tags"], "IOB1"), key=lambda s: s[1])
        ]
        found.append((text, spans))
        if len(found) == SIZES[split]:
            break
    return found


def labelstudio_task(number: int, text: str, result: list[dict]) -> dict:
    return {"id": number, "data": {"text": text}, "annotations": [{"id": number, "result": result}]}


def write(out: Path) -> None:
    for name in ("labelstudio", "doccano", "spans", "labelstudio_choices"):
        (out / name).mkdir(parents=True, exist_ok=True)
    for split in SIZES:
        rows = examples(split)
        tasks = []
        for number, (text, spans) in enumerate(rows, start=1):
            result = [
                {
                    "id": f"{number}-{i}",
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {"start": a, "end": b, "text": text[a:b], "labels": [kind]},
                }
                for i, (a, b, kind) in enumerate(spans)
            ]
            tasks.append(labelstudio_task(number, text, result))
        (out / "labelstudio" / f"{split}.json").write_text(json.dumps(tasks, indent=2) + "\n")
        with open(out / "doccano" / f"{split}.jsonl", "w") as sink:
            for number, (text, spans) in enumerate(rows, start=1):
                row = {"id": number, "text": text, "label": [[a, b, kind] for a, b, kind in spans]}
                sink.write(json.dumps(row) + "\n")
        with open(out / "spans" / f"{split}.jsonl", "w") as sink:
            for text, spans in rows:
                row = {"text": text, "spans": [{"start": a, "end": b, "label": kind} for a, b, kind in spans]}
                sink.write(json.dumps(row) + "\n")
        with open(SAMPLES / "sentiment" / f"{split}.tsv", newline="") as source:
            reviews = list(csv.DictReader(source, delimiter="\t", quoting=csv.QUOTE_NONE))[: SIZES[split]]
        choices = [
            labelstudio_task(
                number,
                row["sentence"],
                [
                    {
                        "id": f"{number}-0",
                        "from_name": "sentiment",
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": ["positive" if row["label"] == "1" else "negative"]},
                    }
                ],
            )
            for number, row in enumerate(reviews, start=1)
        ]
        (out / "labelstudio_choices" / f"{split}.json").write_text(json.dumps(choices, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLES)
    write(parser.parse_args().out)
