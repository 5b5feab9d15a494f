"""Accuracy table: seqlab configurations over seeds, next to the peers' published numbers.

Each suite runs the real pipeline (the code behind ``seqlab-train``) once per seed with its
Hydra overrides and records dev/test scores, epochs and wall time. Results accumulate in
``<out>/accuracy.json`` (one entry per suite, re-running a suite replaces its entry) and the
table ``<out>/accuracy.md`` is rewritten from it.

    python scripts/benchmark_accuracy.py conll_glove --seeds 1 2 3
    python scripts/benchmark_accuracy.py sst2_glove sst2_random
    python scripts/benchmark_accuracy.py my_run --overrides experiment=conll2003 encoder.num_layers=2

Seeds run in parallel (one process each, ``--out`` apart) are merged into one table; runs of a
suite are joined by seed, a seed already in ``<out>`` being replaced:

    python scripts/benchmark_accuracy.py --merge /tmp/seed1 /tmp/seed2 --out results

Each run records its epochs' seconds (first epoch, then the median of the later ones in the table);
a merged run without them takes them from its run folder, ``DIR/runs/<suite>_seed<N>``.

``--check-suites`` composes every suite's overrides without training (the tests run it):

    python scripts/benchmark_accuracy.py --check-suites
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from seqlab.config import config_dir

DATA = "${oc.env:SEQLAB_DATA_DIR,../shared/data}"
#: CoNLL-2003 with its tokens lower-cased (scripts/make_lowercased_conll.py ../shared/data/conll2003 /tmp/conll_lower)
LOWER_CONLL = "${oc.env:SEQLAB_LOWER_CONLL,/tmp/conll_lower}"
CONLL_GLOVE_50D = [f"embedding.word.pretrained={DATA}/embeddings/glove.6B.50d.conll2003.txt", "embedding.word.dim=50"]
MODES = {"frozen": [],
         "tuned": ["embedding.transformer.freeze=false", "task.lr_scales={embedder.parts.transformer:0.05}",
                   "callbacks=warmup", "callbacks.lr_warmup.steps=300"]}
CONLL_PEERS = "100d vectors: Lample 90.94, Ma & Hovy 91.21, NCRF++ 91.35"

#: name -> (overrides, metric, target, peers' published figure)
SUITES: dict[str, tuple[list[str], str, float | None, str]] = {
    "conll_random": (["experiment=conll2003"], "f1", 86.0,
                     "random init: Lample et al. 2016 83.6, Ma & Hovy 2016 80.8"),
    "conll_glove": (["experiment=conll2003_glove"], "f1", 91.0, CONLL_PEERS),
    "conll_glove_2layers": (["experiment=conll2003_glove_2layers"], "f1", None, CONLL_PEERS),
    "conll_glove_drift": (["experiment=conll2003_glove_drift"], "f1", 91.0, CONLL_PEERS),
    # #21: the vocabulary from train+dev only (test words never added); every GloVe word kept
    # for text the data never showed, or none (unseen words get the unknown vector).
    "conll_glove_drift_keep_all": (["experiment=conll2003_glove_drift", "embedding.word.pretrained=glove-6b-50d",
                                    "embedding.word.keep=all", "data.vector_splits=[train,dev]"], "f1", None, ""),
    "conll_glove_drift_no_table": (["experiment=conll2003_glove_drift", "data.vector_splits=[train,dev]"],
                                   "f1", None, ""),
    "conll_glove_adam": (["experiment=conll2003_glove_adam"], "f1", None, CONLL_PEERS),
    # #18: the default recipe (plateau-halved rate, early stopping, 100-epoch cap) as a new user runs it
    # on a new corpus: only the data folder and the vectors given, nothing tuned to the corpus.
    "conll_default_recipe": ([f"data.dir={DATA}/conll2003", f"embedding.word.pretrained={DATA}/embeddings/"
                              "glove.6B.50d.conll2003.txt", "embedding.word.dim=50"], "f1", None, CONLL_PEERS),
    "sst2_default_recipe": (["task=sentiment", f"data.dir={DATA}/sst2", "embedding.word.pretrained=glove-6b-50d",
                             "embedding.word.dim=50"], "accuracy", None, "BiLSTM on binary SST: 84.9-87.5"),
    # #22: MiniLM-L6 (packaged) + char CNN + BiLSTM-CRF under the default recipe, frozen (outputs
    # cached; 30 epochs at most) or fine-tuned (its rate 1/20 of Adam's, 300 warm-up steps; 3 epochs
    # of CoNLL, 1 of SST-2's 67k sentences: fine-tuning on 2 CPU cores is slow), with or without GloVe.
    **{f"{corpus}_minilm_{mode}{'_glove' if glove else ''}": (
        [*base, "+embedding/transformer=minilm", "encoder.hidden_size=200",
         *(glove_words if glove else ["~embedding/word"]), *MODES[mode], f"trainer.max_epochs={caps[mode]}"],
        metric, None, peers)
       for corpus, base, glove_words, metric, peers, caps in (
           ("conll", [f"data.dir={DATA}/conll2003"],
            [f"embedding.word.pretrained={DATA}/embeddings/glove.6B.50d.conll2003.txt", "embedding.word.dim=50"],
            "f1", CONLL_PEERS, {"frozen": 30, "tuned": 3}),
           ("sst2", ["task=sentiment", f"data.dir={DATA}/sst2"],
            ["embedding.word.pretrained=glove-6b-50d", "embedding.word.dim=50"], "accuracy", "GloVe-only: 86.6",
            {"frozen": 30, "tuned": 1}))
       for mode in MODES for glove in (False, True)},
    # #33: which recipe for which text: GloVe alone (the default recipe) vs MiniLM frozen + GloVe, on
    # CoNLL-2003 as it is and lower-cased (capitals not to be trusted, as in user-generated text);
    # all four capped at 15 epochs so they compare like with like.
    **{f"{corpus}_{recipe}_15ep": ([f"data.dir={folder}", *extra, *CONLL_GLOVE_50D, "trainer.max_epochs=15"],
                                   "f1", None, CONLL_PEERS)
       for corpus, folder in (("conll", f"{DATA}/conll2003"), ("conll_lower", LOWER_CONLL))
       for recipe, extra in (("default_recipe", []),
                             ("minilm_frozen_glove", ["+embedding/transformer=minilm", "encoder.hidden_size=200"]))},
    "sst2_glove": (["experiment=sst2_glove"], "accuracy", 86.0, "BiLSTM on binary SST: 84.9-87.5"),
    "sst2_random": (["experiment=sst2"], "accuracy", 82.0, "BiLSTM on binary SST: 84.9-87.5 (with vectors)"),
}


def composed(overrides: list[str]) -> DictConfig:
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        return compose("train", overrides=overrides)


def check_suites() -> list[str]:
    """The suites whose overrides do not compose, each with the reason."""
    failures = []
    for name, (overrides, *_) in SUITES.items():
        try:
            composed(overrides)
        except Exception as error:  # any composition error: report it under the suite name
            failures.append(f"suite {name!r} ({' '.join(overrides)}): {type(error).__name__}: {error}")
    return failures


def epoch_seconds(run_dir: Path) -> list[float] | None:
    """Seconds of each epoch (training and validation) of the run in ``run_dir``, from its learning curves."""
    curve = run_dir / "reports" / "learning_curves.json"
    return [round(e["seconds"], 1) for e in json.loads(curve.read_text())] if curve.is_file() else None


def with_epoch_seconds(results: dict, folder: Path) -> dict:
    """``results`` (an ``accuracy.json`` of ``folder``) with each run's epoch seconds where it lacks them."""
    for name, entry in results.items():
        for run in entry["runs"]:
            if run.get("epoch_s") is None:
                run["epoch_s"] = epoch_seconds(folder / "runs" / f"{name}_seed{run['seed']}")
    return results


def run_suite(name: str, overrides: list[str], metric: str, seeds: list[int], out: Path) -> dict:
    from seqlab.training.pipeline import train  # not needed to compose or merge

    runs = []
    for seed in seeds:
        run_dir = out / "runs" / f"{name}_seed{seed}"
        cfg = composed([*overrides, f"seed={seed}", f"paths.output_dir={run_dir}", "trainer.enable_progress_bar=false"])
        started = time.perf_counter()
        results = train(cfg)
        runs.append({
            "seed": seed, "dev_f1": round(100 * results["val/f1_best"], 2),
            "test": round(100 * results[f"test/{metric}"], 2), "epochs": results["epochs"],
            "wall_s": round(time.perf_counter() - started, 1), "epoch_s": epoch_seconds(run_dir),
        })
        print(json.dumps({name: runs[-1]}), flush=True)
    entry = {"overrides": overrides, "metric": metric, "runs": runs,
             "machine": {"device": "cuda" if torch.cuda.is_available() else "cpu", "threads": torch.get_num_threads(),
                         "cpu": platform.processor() or platform.machine(), "torch": torch.__version__}}
    return summarize(entry)


def summarize(entry: dict) -> dict:
    """``entry`` with the mean (and, over several seeds, the standard deviation) of its runs."""
    runs = entry["runs"]
    entry["test_mean"] = round(statistics.mean(r["test"] for r in runs), 2)
    entry["dev_f1_mean"] = round(statistics.mean(r["dev_f1"] for r in runs), 2)
    entry.pop("test_std", None)
    if len(runs) > 1:
        entry["test_std"] = round(statistics.stdev(r["test"] for r in runs), 2)
    return entry


def merge(results: dict, other: dict) -> dict:
    """``results`` with the suites of ``other`` added; a suite in both gets the runs of both,
    one per seed (``other``'s run of a seed replaces the one in ``results``)."""
    for name, entry in other.items():
        if name in results:
            if results[name]["overrides"] != entry["overrides"]:
                raise ValueError(f"suite {name!r} has overrides {results[name]['overrides']} in one table "
                                 f"and {entry['overrides']} in the other")
            by_seed = {r["seed"]: r for r in results[name]["runs"]} | {r["seed"]: r for r in entry["runs"]}
            entry = {**results[name], **entry, "runs": [by_seed[s] for s in sorted(by_seed)]}
        results[name] = summarize(dict(entry))
    return results


def table(results: dict) -> str:
    lines = ["| suite | overrides | test metric | seeds: test (dev F1) | mean test | target | peers | epochs | wall time/run "
             "| s/epoch: first, later | machine |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, e in results.items():
        seeds = ", ".join(f"{r['seed']}: {r['test']:.2f} ({r['dev_f1']:.2f})" for r in e["runs"])
        std = f" ± {e['test_std']:.2f}" if "test_std" in e else ""
        wall = statistics.mean(r["wall_s"] for r in e["runs"])
        epochs = "/".join(str(r["epochs"]) for r in e["runs"])
        machine = f"{e['machine']['device']} ({e['machine']['threads']} threads)"
        timed = [r["epoch_s"] for r in e["runs"] if r.get("epoch_s")]
        per_epoch = ""
        if timed:
            first = statistics.mean(t[0] for t in timed)
            later = [statistics.median(t[1:]) for t in timed if len(t) > 1]
            per_epoch = f"{first:.0f}, {statistics.mean(later):.0f}" if later else f"{first:.0f}"
        lines.append(f"| {name} | `{' '.join(e['overrides'])}` | {e['metric']} | {seeds} | **{e['test_mean']:.2f}**{std} | "
                     f"{e.get('target') or ''} | {e.get('peers') or ''} | {epochs} | {wall:.0f} s | {per_epoch} | {machine} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", help=f"suite names ({', '.join(SUITES)}) or a new name with --overrides")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--overrides", nargs="*", help="Hydra overrides for a suite not in the list")
    parser.add_argument("--metric", default="f1", help="test metric of a custom suite (f1 or accuracy)")
    parser.add_argument("--out", default="results")
    parser.add_argument("--merge", nargs="+", default=[], metavar="DIR",
                        help="first add the suites of DIR/accuracy.json (other --out folders) to <out>")
    parser.add_argument("--check-suites", action="store_true",
                        help="compose every suite's overrides, train nothing; non-zero exit naming the bad suites")
    args = parser.parse_args()
    if args.check_suites:
        failures = check_suites()
        for failure in failures:
            print(failure, file=sys.stderr)
        sys.exit(1 if failures else 0)
    if not args.suites and not args.merge:
        parser.error("name the suites to run, the folders to --merge, or --check-suites")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    store = out / "accuracy.json"
    results = json.loads(store.read_text()) if store.is_file() else {}
    for folder in args.merge:
        source = Path(folder) / "accuracy.json"
        if not source.is_file():
            parser.error(f"--merge {folder}: no accuracy.json there")
        try:
            results = merge(results, with_epoch_seconds(json.loads(source.read_text()), Path(folder)))
        except ValueError as error:
            sys.exit(f"--merge {folder}: {error}")
    if args.merge:
        store.write_text(json.dumps(results, indent=2))
        (out / "accuracy.md").write_text(table(results))
    for name in args.suites:
        if name in SUITES:
            overrides, metric, target, peers = SUITES[name]
        elif args.overrides:
            overrides, metric, target, peers = args.overrides, args.metric, None, ""
        else:
            parser.error(f"unknown suite {name!r}: give --overrides, or one of {', '.join(SUITES)}")
        entry = run_suite(name, overrides, metric, args.seeds, out)
        entry.update({"target": target, "peers": peers})
        results[name] = entry
        store.write_text(json.dumps(results, indent=2))
        (out / "accuracy.md").write_text(table(results))
    print(table(results))


if __name__ == "__main__":
    main()
