"""Evaluation reports written under the run directory: seqeval report (txt + JSON), predictions."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from seqeval.metrics import classification_report

from seqlab.metrics.span_f1 import seqeval_scheme


def check_aligned(**sequences: Sequence[Sequence[str]]) -> None:
    """Raise ``ValueError`` naming the first sentence whose sequences differ in length."""
    counts = {name: len(value) for name, value in sequences.items()}
    if len(set(counts.values())) > 1:
        raise ValueError("different numbers of sentences: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    for i, row in enumerate(zip(*sequences.values())):
        if len({len(x) for x in row}) > 1:
            sizes = ", ".join(f"{len(x)} {name}" for name, x in zip(sequences, row))
            raise ValueError(f"sentence {i + 1}: {sizes}")


def span_report(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], tag_scheme: str
) -> tuple[str, dict]:
    """seqeval's strict classification report as text and as a dict (per type P/R/F1/support)."""
    check_aligned(gold=gold, predicted=predicted)
    gold, predicted = [list(s) for s in gold], [list(s) for s in predicted]
    kwargs = dict(mode="strict", scheme=seqeval_scheme(tag_scheme), digits=4, zero_division=0)
    text = classification_report(gold, predicted, **kwargs)
    table = classification_report(gold, predicted, output_dict=True, **kwargs)
    table = {name: {k: float(v) for k, v in row.items()} for name, row in table.items()}
    return text, table


def write_span_report(
    out_dir: str | Path,
    name: str,
    tokens: Sequence[Sequence[str]],
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    tag_scheme: str,
) -> tuple[str, dict]:
    """Write ``{name}_report.txt``, ``{name}_report.json`` and ``{name}_predictions.conll``.

    The predictions file has ``token gold predicted`` columns, a blank line between sentences,
    so it can be diffed against the gold file or scored by conlleval.
    """
    check_aligned(tokens=tokens, gold=gold, predicted=predicted)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text, table = span_report(gold, predicted, tag_scheme)
    header = f"{name}: seqeval strict, scheme {tag_scheme}, {len(gold)} sentences\n\n"
    (out / f"{name}_report.txt").write_text(header + text)
    (out / f"{name}_report.json").write_text(json.dumps({"scheme": tag_scheme, "mode": "strict", **table}, indent=2))
    with (out / f"{name}_predictions.conll").open("w", encoding="utf-8") as handle:
        for sentence, gold_tags, predicted_tags in zip(tokens, gold, predicted):
            for row in zip(sentence, gold_tags, predicted_tags):
                handle.write(" ".join(row) + "\n")
            handle.write("\n")
    return header + text, table
