"""Evaluation reports written under the run directory: seqeval report (txt + JSON), predictions."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from seqeval.metrics import classification_report

from seqlab.metrics.span_f1 import seqeval_scheme, strict_spans


def check_aligned(**sequences: Sequence[Sequence[str]]) -> None:
    """Raise ``ValueError`` naming the first sentence whose sequences differ in length."""
    counts = {name: len(value) for name, value in sequences.items()}
    if len(set(counts.values())) > 1:
        raise ValueError("different numbers of examples: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    for i, row in enumerate(zip(*sequences.values())):
        if len({len(x) for x in row}) > 1:
            sizes = ", ".join(f"{len(x)} {name}" for name, x in zip(sequences, row))
            raise ValueError(f"sentence {i + 1}: {sizes}")


def span_report(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], tag_scheme: str) -> tuple[str, dict]:
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
    written: tuple[Sequence[Sequence[str]], Sequence[Sequence[str]]] | None = None,
) -> tuple[str, dict]:
    """Write ``{name}_report.txt``, ``{name}_report.json`` and ``{name}_predictions.conll``.

    The predictions file has ``token gold predicted`` columns, a blank line between sentences,
    so it can be diffed against the gold file or scored by conlleval; ``written`` gives its gold
    and predicted tags when they differ from the scored ones (in the input files' scheme).
    """
    check_aligned(tokens=tokens, gold=gold, predicted=predicted)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text, table = span_report(gold, predicted, tag_scheme)
    labels, matrix = entity_confusion(gold, predicted, tag_scheme)
    header = f"{name}: seqeval strict, scheme {tag_scheme}, {len(gold)} sentences\n\n"
    full = header + text + "\n" + format_confusion(labels, matrix)
    (out / f"{name}_report.txt").write_text(full)
    (out / f"{name}_report.json").write_text(
        json.dumps(
            {"scheme": tag_scheme, "mode": "strict", **table, "confusion_labels": labels, "confusion_matrix": matrix},
            indent=2,
        )
    )
    types = [t for t in table if t not in AVERAGES]
    _plot_scores({t: table[t] for t in types}, out / f"{name}_f1.png", f"{name}: scores per entity type (spans)")
    _plot_confusion(matrix, labels, out / f"{name}_confusion.png", f"{name}: entity types (gold vs predicted spans)")
    if written is not None:
        gold, predicted = written
        check_aligned(tokens=tokens, gold=gold, predicted=predicted)
    with (out / f"{name}_predictions.conll").open("w", encoding="utf-8") as handle:
        for sentence, gold_tags, predicted_tags in zip(tokens, gold, predicted):
            for row in zip(sentence, gold_tags, predicted_tags):
                handle.write(" ".join(row) + "\n")
            handle.write("\n")
    return full, table


AVERAGES = ("micro avg", "macro avg", "weighted avg", "accuracy")
NONE = "(none)"


def entity_confusion(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], tag_scheme: str
) -> tuple[list[str], list[list[int]]]:
    """Confusion of entity types over span boundaries: a gold span and a predicted span with the
    same start and end count as (gold type, predicted type); a gold span with no predicted span
    at its boundaries counts as (type, "(none)"), a predicted one with no gold span as ("(none)", type)."""
    pairs = []
    for gold_spans, predicted_spans in zip(strict_spans(gold, tag_scheme), strict_spans(predicted, tag_scheme)):
        gold_at = {(s, e): t for t, s, e in gold_spans}
        predicted_at = {(s, e): t for t, s, e in predicted_spans}
        pairs += [(t, predicted_at.get(bounds, NONE)) for bounds, t in gold_at.items()]
        pairs += [(NONE, t) for bounds, t in predicted_at.items() if bounds not in gold_at]
    labels = sorted({t for pair in pairs for t in pair} - {NONE}) + [NONE]
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in pairs:
        matrix[index[g]][index[p]] += 1
    return labels, matrix


def format_confusion(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> str:
    """A confusion matrix as a text table (rows gold, columns predicted)."""
    width = max(8, *(len(label) for label in labels))
    rows = [
        "confusion matrix (rows: gold, columns: predicted)",
        " " * width + " " + " ".join(f"{label:>{width}}" for label in labels),
    ]
    rows += [f"{label:>{width}} " + " ".join(f"{n:>{width}d}" for n in row) for label, row in zip(labels, matrix)]
    return "\n".join(rows) + "\n"


def write_classification_report(
    out_dir: str | Path,
    name: str,
    texts: Sequence[str],
    gold: Sequence[str],
    predicted: Sequence[str],
    labels: Sequence[str],
) -> tuple[str, dict]:
    """Per-class report and confusion matrix for a classifier, as text, JSON and a PNG picture.

    Writes ``{name}_report.txt``, ``{name}_report.json`` (per-class precision/recall/F1/support,
    accuracy, macro and weighted averages, and the confusion matrix), ``{name}_confusion.png``
    and ``{name}_predictions.tsv`` (``text gold predicted``).
    """
    from sklearn.metrics import classification_report as sklearn_report
    from sklearn.metrics import confusion_matrix

    check_aligned(texts=[[t] for t in texts], gold=[[g] for g in gold], predicted=[[p] for p in predicted])
    labels = list(labels)
    kwargs = dict(labels=labels, digits=4, zero_division=0)
    text = sklearn_report(gold, predicted, **kwargs)
    table = sklearn_report(gold, predicted, output_dict=True, **kwargs)
    matrix = confusion_matrix(gold, predicted, labels=labels).tolist()
    header = f"{name}: {len(gold)} examples\n\n"
    full = header + text + "\n" + format_confusion(labels, matrix)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}_report.txt").write_text(full)
    (out / f"{name}_report.json").write_text(
        json.dumps({**table, "labels": labels, "confusion_matrix": matrix}, indent=2)
    )
    _plot_confusion(matrix, labels, out / f"{name}_confusion.png", title=f"{name} confusion matrix")
    _plot_scores({label: table[label] for label in labels}, out / f"{name}_f1.png", f"{name}: scores per class")
    with (out / f"{name}_predictions.tsv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")  # quotes texts holding tabs/newlines
        writer.writerow(["text", "gold", "predicted"])
        writer.writerows(zip(texts, gold, predicted))
    return full, table


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


#: The scores drawn per type or class, and their colours.
_SCORES = (("precision", "tab:blue"), ("recall", "tab:orange"), ("f1-score", "tab:green"))


def _plot_scores(rows: dict[str, dict[str, float]], path: Path, title: str) -> None:
    """Precision, recall and F1 (%) per type or class, support under each name, on an axis that
    starts near the lowest score so that 92 and 97 look different."""
    plt = _pyplot()
    names = list(rows)
    figure, axes = plt.subplots(figsize=(2.5 + 1.3 * len(names), 4.2))
    values = [100 * rows[n][score] for n in names for score, _ in _SCORES]
    low = max(0.0, 10 * ((min(values, default=0.0) - 5) // 10))
    width = 0.8 / len(_SCORES)
    for k, (score, colour) in enumerate(_SCORES):
        xs = [i + (k - 1) * width for i in range(len(names))]
        bars = axes.bar(
            xs, [100 * rows[n][score] for n in names], width, label=score.removesuffix("-score"), color=colour, bottom=0
        )
        axes.bar_label(bars, fmt="%.1f", fontsize=7, padding=1)
    axes.set_xticks(range(len(names)), [f"{n}\n(n={int(rows[n]['support'])})" for n in names])
    axes.set(ylim=(low, 101 + (100 - low) * 0.08), ylabel="%", title=title)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8, ncols=3, frameon=False)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_learning_curves(history: Sequence[dict[str, float]], path: Path, metric: str) -> None:
    """Training loss and the dev metric per epoch, the best epoch marked, as one PNG."""
    plt = _pyplot()
    epochs = [row["epoch"] for row in history]
    figure, (loss_axes, metric_axes) = plt.subplots(1, 2, figsize=(10, 3.8))
    loss_axes.plot(epochs, [row["train_loss"] for row in history], marker="o", markersize=3)
    loss_axes.set(xlabel="epoch", ylabel="training loss (mean per batch)", title="training loss")
    scored = [row for row in history if row.get("dev") is not None]
    if scored:
        best = max(scored, key=lambda row: row["dev"])
        metric_axes.plot(
            [r["epoch"] for r in scored], [100 * r["dev"] for r in scored], marker="o", markersize=3, color="tab:green"
        )
        metric_axes.axvline(best["epoch"], color="grey", linestyle="--", linewidth=1)
        metric_axes.plot(
            [best["epoch"]],
            [100 * best["dev"]],
            marker="*",
            markersize=14,
            color="tab:red",
            label=f"best: {100 * best['dev']:.2f} at epoch {best['epoch']}",
        )
        metric_axes.legend(loc="lower right")
    metric_axes.set(xlabel="epoch", ylabel=f"dev {metric} (%)", title=f"dev {metric}")
    for axes in (loss_axes, metric_axes):
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _plot_confusion(matrix: list[list[int]], labels: list[str], path: Path, title: str) -> None:
    plt = _pyplot()
    size = max(3.6, 1.2 + 0.75 * len(labels))
    figure, axes = plt.subplots(figsize=(size + 1.5, size))
    peak = max(max(row) for row in matrix) or 1
    image = axes.imshow(matrix, cmap="Blues", vmin=0, vmax=peak)  # from zero, so the text colour below fits
    figure.colorbar(image, ax=axes)
    axes.set(
        xticks=range(len(labels)),
        yticks=range(len(labels)),
        xticklabels=labels,
        yticklabels=labels,
        xlabel="predicted",
        ylabel="gold",
        title=title,
    )
    for i, row in enumerate(matrix):
        total = sum(row)
        for j, count in enumerate(row):
            share = f"\n{100 * count / total:.0f}%" if total else ""  # of the gold row
            axes.text(
                j,
                i,
                f"{count}{share}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if count > peak / 2 else "black",
            )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
