"""Which recipe for which text: GloVe alone vs MiniLM frozen + GloVe on CoNLL-2003 as it is and
lower-cased (issue #33), as ``<out>/recipes.json`` and ``<out>/recipes.md``.

The figures come from ``benchmark_accuracy.py`` folders (one run per folder, so each process's peak
RSS is its run's): their ``accuracy.json`` and each run's ``runs/<suite>_seed<N>/results.json``.

    python scripts/make_lowercased_conll.py ../shared/data/conll2003 /tmp/conll_lower
    python scripts/benchmark_accuracy.py conll_lower_default_recipe_15ep --out /tmp/rl/A2   # likewise the other 3
    python scripts/recipes_table.py /tmp/rl/A1 /tmp/rl/A2 /tmp/rl/B1 /tmp/rl/B2 --out results

(``RUNS`` below: the commands as they were run.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

#: (data, recipe) -> suite of scripts/benchmark_accuracy.py
SUITES = {
    ("cased", "GloVe 50d alone (default recipe)"): "conll_default_recipe_15ep",
    ("cased", "MiniLM-L6 frozen + GloVe 50d"): "conll_minilm_frozen_glove_15ep",
    ("lower-cased", "GloVe 50d alone (default recipe)"): "conll_lower_default_recipe_15ep",
    ("lower-cased", "MiniLM-L6 frozen + GloVe 50d"): "conll_lower_minilm_frozen_glove_15ep",
}
MAKE_DATA = "python scripts/make_lowercased_conll.py ../shared/data/conll2003 /tmp/conll_lower"
#: the runs as measured: two chains side by side (A: lower-cased, B: cased), each run after the other in its chain
BENCH = "OMP_NUM_THREADS=1 python scripts/benchmark_accuracy.py"
RUNS = [
    f"{BENCH} conll_lower_minilm_frozen_glove_15ep --seeds 1 --out /tmp/rl/A1"
    f" && {BENCH} conll_lower_default_recipe_15ep --seeds 1 --out /tmp/rl/A2 &",
    f"{BENCH} conll_minilm_frozen_glove_15ep --seeds 1 --out /tmp/rl/B1"
    f" && {BENCH} conll_default_recipe_15ep --seeds 1 --out /tmp/rl/B2 &",
    "wait; python scripts/benchmark_accuracy.py --merge /tmp/rl/A1 /tmp/rl/A2 /tmp/rl/B1 /tmp/rl/B2 --out results",
    "python scripts/recipes_table.py /tmp/rl/A1 /tmp/rl/A2 /tmp/rl/B1 /tmp/rl/B2 --out results",
]


def collect(folders: list[Path]) -> dict[str, dict]:
    """Each suite's run (seed, scores, time, peak RSS) found in ``folders``, by suite name."""
    found: dict[str, dict] = {}
    for folder in folders:
        store = folder / "accuracy.json"
        if not store.is_file():
            sys.exit(f"{folder}: expected an accuracy.json of benchmark_accuracy.py there; none")
        for suite, entry in json.loads(store.read_text()).items():
            if suite not in SUITES.values():
                continue
            for run in entry["runs"]:
                results = folder / "runs" / f"{suite}_seed{run['seed']}" / "results.json"
                if not results.is_file():
                    sys.exit(f"{results}: expected the run's results.json (its peak RSS); none")
                epoch_s = run.get("epoch_s") or []
                scores = json.loads(results.read_text())
                found[suite] = {
                    "suite": suite,
                    "overrides": entry["overrides"],
                    "seed": run["seed"],
                    "test_f1": run["test"],
                    "dev_f1": run["dev_f1"],
                    "epochs": run["epochs"],
                    "wall_s": run["wall_s"],
                    "epoch_s_first": epoch_s[0] if epoch_s else None,
                    "epoch_s_later": statistics.median(epoch_s[1:]) if len(epoch_s) > 1 else None,
                    "peak_rss_mb": scores.get("peak_rss_mb"),
                    "test_f1_by_type": {
                        key.removeprefix("test/f1_"): round(100 * value, 2)
                        for key, value in scores.items()
                        if key.startswith("test/f1_")
                    },
                    "threads": entry["machine"]["threads"],
                    "device": entry["machine"]["device"],
                }
    return found


def reading(rows: dict[tuple[str, str], dict]) -> list[str]:
    """What lower-casing costs each recipe, and what MiniLM adds on each data, in F1 points (from the rows)."""
    lines = []
    for recipe in dict.fromkeys(r for _, r in SUITES):
        cased, lower = rows.get(("cased", recipe)), rows.get(("lower-cased", recipe))
        if cased and lower:
            lines.append(
                f"- lower-casing costs {recipe} **{cased['test_f1'] - lower['test_f1']:.2f}** test F1 "
                f"({cased['test_f1']:.2f} -> {lower['test_f1']:.2f}; dev {cased['dev_f1']:.2f} -> "
                f"{lower['dev_f1']:.2f})"
            )
    for data in dict.fromkeys(d for d, _ in SUITES):
        glove, minilm = (rows.get((data, r)) for r in dict.fromkeys(r for _, r in SUITES))
        if glove and minilm:
            lines.append(
                f"- on {data} text MiniLM frozen + GloVe scores **{minilm['test_f1'] - glove['test_f1']:+.2f}** "
                f"test F1 against GloVe alone, at {minilm['wall_s'] / glove['wall_s']:.2f}x the wall time and "
                f"{minilm['peak_rss_mb'] / glove['peak_rss_mb']:.2f}x the peak RSS"
            )
    return lines


def markdown(rows: dict[tuple[str, str], dict], note: str) -> str:
    def num(value: float | None, digits: int = 0) -> str:
        return "" if value is None else f"{value:.{digits}f}"

    lines = [
        "# Which recipe for which text (issue #33)",
        "",
        "CoNLL-2003 as it is and lower-cased (the token column only: a stand-in for user-generated text, where "
        "capitals cannot be trusted); GloVe 6B 50d alone under the default recipe vs MiniLM-L6 (packaged, frozen, "
        "cached) + GloVe 50d + char CNN + BiLSTM-CRF (hidden 200). Seed 1, every run capped at 15 epochs, "
        "CPU, 1 thread (`OMP_NUM_THREADS=1`), two runs at a time on a 2-core machine shared with other jobs: "
        "times are upper bounds, comparable only roughly.",
        "",
        "```bash",
        MAKE_DATA,
        *RUNS,
        "```",
        "",
        "| data | recipe | suite | test F1 | dev F1 | epochs | wall time | s/epoch: first, later (median) "
        "| peak RSS | threads |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (data, recipe), suite in SUITES.items():
        r = rows.get((data, recipe))
        if r is None:
            lines.append(f"| {data} | {recipe} | `{suite}` | not run | | | | | | |")
            continue
        lines.append(
            f"| {data} | {recipe} | `{suite}` | **{r['test_f1']:.2f}** | {r['dev_f1']:.2f} | {r['epochs']} | "
            f"{r['wall_s']:.0f} s | {num(r['epoch_s_first'])}, {num(r['epoch_s_later'])} | "
            f"{num(r['peak_rss_mb'])} MB | {r['threads']} |"
        )
    types = sorted({t for r in rows.values() for t in r["test_f1_by_type"]})
    if types:
        lines += [
            "",
            "Test F1 by entity type:",
            "",
            f"| data | recipe | {' | '.join(types)} |",
            "|---|---|" + "---|" * len(types),
        ]
        for (data, recipe), r in rows.items():
            by_type = " | ".join(num(r["test_f1_by_type"].get(t), 2) for t in types)
            lines.append(f"| {data} | {recipe} | {by_type} |")
    lines += ["", *reading(rows)]
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="benchmark_accuracy.py --out folders holding the runs")
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument("--note", default=None, help="a reading of the figures (kept in recipes.json if not given)")
    args = parser.parse_args()
    found = collect(args.folders)
    rows = {key: found[suite] for key, suite in SUITES.items() if suite in found}
    store = args.out / "recipes.json"
    note = args.note
    if note is None and store.is_file():
        note = json.loads(store.read_text()).get("note", "")
    args.out.mkdir(parents=True, exist_ok=True)
    store.write_text(
        json.dumps(
            {
                "commands": [MAKE_DATA, *RUNS],
                "rows": [{"data": d, "recipe": r, **rows[(d, r)]} for d, r in SUITES if (d, r) in rows],
                "not_run": [s for k, s in SUITES.items() if k not in rows],
                "note": note or "",
            },
            indent=2,
        )
        + "\n"
    )
    (args.out / "recipes.md").write_text(markdown(rows, note or ""))
    print((args.out / "recipes.md").read_text())


if __name__ == "__main__":
    main()
