"""Exported model folders against the torch Predictor: equality, accuracy, speed, cold start, memory.

For a CoNLL-2003 checkpoint (and optionally an SST-2 one) this exports a float32 and an int8
model folder, then, in one run on one machine:

- equality: the ONNX folder's tags (labels) against the torch Predictor's on every test sentence;
- accuracy: test span F1 (accuracy) of torch, ONNX and int8 ONNX on the same tokens;
- speed: raw-text prediction of the test lines (sentences/s, batch 256) at 1 and 2 threads, each
  predictor in its own process, alternating;
- cold start: wall time of ``python -c "<load the folder; predict one line>"`` against
  ``python -c "import torch"`` and the torch checkpoint path (median of 5);
- peak RSS of each predictor process while it predicts the whole test set.

    python scripts/bench_export.py --model "CoNLL-2003=outputs/.../best.ckpt" \
        --model "SST-2=outputs/.../best.ckpt" --out results

Each model's test split is read as its checkpoint's config names it (``data.dir``).

writes ``<out>/export.json`` and ``<out>/export.md``.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, sys, time


def peak_rss_mb():
    # VmHWM: this process image's peak (ru_maxrss would carry the forking parent's over exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024


kind, model, threads, texts_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
texts = json.loads(open(texts_file).read())
started = time.perf_counter()
if kind == "torch":
    import torch
    torch.set_num_threads(threads)
    from seqlab.predict.predictor import Predictor
    predictor = Predictor.from_checkpoint(model, splitter="whitespace")
else:
    from seqlab.predict.predictor import Predictor
    predictor = Predictor.from_pretrained(model, splitter="whitespace", threads=threads)
loaded = time.perf_counter()
from seqlab.predict.collector import set_aside_loaded_objects
set_aside_loaded_objects()  # as seqlab-predict and seqlab-serve do once the model is open
predictor.predict(texts[:256])  # warm-up
best = float("inf")
for _ in range(2):
    start = time.perf_counter()
    out = predictor.predict(texts)
    best = min(best, time.perf_counter() - start)
print(json.dumps({"load_s": loaded - started, "predict_s": best, "sentences_per_s": len(texts) / best,
                  "peak_rss_mb": peak_rss_mb(),
                  "predictions": [o.get("tags", o.get("label")) for o in out]}))
"""

COLD = {
    "import torch": "import torch",
    "onnx folder: load + predict one line": (
        "from seqlab.predict.predictor import Predictor; Predictor.from_pretrained({model!r}).predict(['EU rejects German call .'])"
    ),
    "torch checkpoint: load + predict one line": (
        "from seqlab.predict.predictor import Predictor; Predictor.from_checkpoint({ckpt!r}).predict(['EU rejects German call .'])"
    ),
}


def child(kind: str, model: str, threads: int, texts_file: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", CHILD, kind, model, str(threads), str(texts_file)],
                            capture_output=True, text=True, env={"OMP_NUM_THREADS": str(threads), **_env()})
    if result.returncode != 0:
        raise RuntimeError(f"{kind} predictor failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}


def test_split(ckpt: str, data_dir: str | None) -> tuple[list[list[str]], list]:
    """The checkpoint's own test split (tokens, and gold in the model's scheme)."""
    from omegaconf import OmegaConf

    from seqlab.training.build import build_datamodule
    from seqlab.training.checkpoint import read_checkpoint, restore

    model = restore(read_checkpoint(ckpt))
    config = model.config
    config.data.cache_dir = None
    if data_dir:
        OmegaConf.update(config, "data.dir", data_dir, merge=False)
    datamodule = build_datamodule(config)
    datamodule.use_spec(model.task.spec)
    datamodule.setup("test")
    dataset = datamodule.dataset("test")
    gold = dataset["tags"] if "tags" in dataset.column_names else dataset["label"]
    return dataset["tokens"], gold


def score(predicted: list, gold: list, scheme: str | None) -> float:
    if scheme is None:
        return 100.0 * sum(p == g for p, g in zip(predicted, gold)) / len(gold)
    from seqeval.metrics import f1_score

    from seqlab.metrics.span_f1 import seqeval_scheme

    return 100.0 * f1_score(gold, predicted, mode="strict", scheme=seqeval_scheme(scheme))


def bench_model(name: str, ckpt: str, data_dir: str | None, work: Path, threads: list[int], repeats: int) -> dict:
    from seqlab.predict.export import export_checkpoint

    tokens, gold = test_split(ckpt, data_dir)
    texts_file = work / f"{name}_texts.json"
    texts_file.write_text(json.dumps([" ".join(t) for t in tokens]))
    folders, export_s = {}, {}
    for variant, quantize in (("onnx", None), ("onnx_int8", "int8")):
        start = time.perf_counter()
        folders[variant] = str(export_checkpoint(ckpt, work / f"{name}_{variant}", quantize=quantize))
        export_s[variant] = round(time.perf_counter() - start, 1)
    sizes = {v: round(sum(p.stat().st_size for p in Path(f).iterdir()) / 2**20, 1) for v, f in folders.items()}
    sizes["checkpoint"] = round(Path(ckpt).stat().st_size / 2**20, 1)
    models = {"torch": ckpt, **folders}
    runs: dict[str, dict[int, list[dict]]] = {k: {t: [] for t in threads} for k in models}
    for _ in range(repeats):
        for t in threads:
            for variant, path in models.items():
                runs[variant][t].append(child("torch" if variant == "torch" else "onnx", path, t, texts_file))
    from seqlab.training.checkpoint import read_checkpoint

    scheme = read_checkpoint(ckpt)["seqlab"]["spec"]["tag_scheme"]
    predictions = {v: runs[v][threads[0]][0]["predictions"] for v in models}
    entry = {
        "checkpoint": ckpt, "sentences": len(tokens), "export_s": export_s, "size_mb": sizes,
        "identical_to_torch": {v: sum(p == q for p, q in zip(predictions[v], predictions["torch"]))
                               for v in folders},
        "score": {v: round(score(predictions[v], gold, scheme), 2) for v in models},
        "metric": "span F1" if scheme else "accuracy",
        "speed": {v: {t: round(statistics.median(r["sentences_per_s"] for r in runs[v][t]), 1) for t in threads}
                  for v in models},
        "load_s": {v: round(statistics.median(r["load_s"] for r in runs[v][threads[0]]), 2) for v in models},
        "peak_rss_mb": {v: round(max(r["peak_rss_mb"] for r in runs[v][threads[0]]), 1) for v in models},
    }
    entry["cold_start_s"] = cold_start(folders["onnx"], ckpt)
    return entry


def cold_start(folder: str, ckpt: str, times: int = 5) -> dict:
    out = {}
    for name, code in COLD.items():
        walls = []
        for _ in range(times):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code.format(model=folder, ckpt=ckpt)], check=True,
                           capture_output=True, env={"OMP_NUM_THREADS": "2", **_env()})
            walls.append(time.perf_counter() - start)
        out[name] = round(statistics.median(walls), 2)
    return out


def table(results: dict) -> str:
    lines = [f"Machine: {results['machine']}; {results['cpus']} CPUs; threads as listed. "
             f"Command: `{results['command']}`", ""]
    if results.get("note"):
        lines += [results["note"], ""]
    for name, e in results["models"].items():
        t = list(next(iter(e["speed"].values())))
        lines += [f"## {name} ({e['sentences']} test sentences; {e['metric']})", "",
                  "| predictor | " + " | ".join(f"sentences/s, {x} thread(s)" for x in t)
                  + f" | ratio to torch ({t[0]} / {t[-1]} threads) | {e['metric']} | identical to torch "
                  "| load s | peak RSS MB | size MB |",
                  "|---|" + "---|" * (len(t) + 6)]
        for v, speeds in e["speed"].items():
            ratios = " / ".join(f"{speeds[x] / e['speed']['torch'][x]:.2f}x" for x in (t[0], t[-1]))
            same = "-" if v == "torch" else f"{e['identical_to_torch'][v]} / {e['sentences']}"
            lines.append(f"| {v} | " + " | ".join(str(speeds[x]) for x in t)
                         + f" | {ratios} | {e['score'][v]:.2f} | {same} | {e['load_s'][v]} | {e['peak_rss_mb'][v]} "
                         f"| {e['size_mb']['checkpoint' if v == 'torch' else v]} |")
        cold = e["cold_start_s"]
        lines += ["", "Cold start (median of 5 fresh processes, wall seconds): "
                  + "; ".join(f"{k}: **{v}**" for k, v in cold.items())
                  + f"; ONNX / import torch = {cold['onnx folder: load + predict one line'] / cold['import torch']:.2f}",
                  ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", required=True, metavar="NAME=CKPT",
                        help="a checkpoint to export and compare, under a name for the table (repeatable)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument("--note", default="", help="a line for the table's header (e.g. what else ran on the machine)")
    args = parser.parse_args()
    results = {"machine": platform.processor() or platform.machine(), "cpus": __import__("os").cpu_count(),
               "command": " ".join(["python", *sys.argv]), "note": args.note, "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for i, spec in enumerate(args.model):
            name, _, ckpt = spec.partition("=")
            results["models"][name] = bench_model(f"model{i}", ckpt, None, Path(tmp), args.threads, args.repeats)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "export.json").write_text(json.dumps(results, indent=2))
    (args.out / "export.md").write_text(table(results))
    print(table(results))


if __name__ == "__main__":
    main()
