"""Training and decoding speed of seqlab against the bare PyTorch yardstick, in one run.

Both train one epoch of CoNLL-2003 with the same sizes (word 100, char CNN 30->50 filters,
BiLSTM 100 per direction, batch 32, SGD lr 0.015 momentum 0.9, clip 5) on the same machine,
alternating ``--repeats`` times, and decode the test set at batch ``--eval-batch-size``.
seqlab runs through its real Hydra config and Lightning Trainer (progress bar and CSV logger
on, as a user runs it); validation is switched off for the timed epoch. Decoding is timed
twice: the model on the test batches (what the yardstick times), and the Predictor on the
test sentences as raw text lines (split, encode, decode, spans with scores).

    python scripts/bench_speed.py --data ../shared/data/conll2003 --out results

writes ``<out>/bench_speed.json`` and ``<out>/bench_speed.md``.
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytorch_lightning as pl
import torch
from hydra import compose, initialize_config_dir

from seqlab.config import config_dir
from seqlab.training.build import build_datamodule, build_task, build_trainer
from seqlab.predict.predictor import Predictor

YARDSTICK = Path(__file__).resolve().parents[2] / "shared" / "bench" / "bare_bilstm_crf.py"


class EpochTimer(pl.Callback):
    """Wall time of each training epoch (the loop only, not validation)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def on_train_epoch_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def run_yardstick(data: str, batch_size: int, eval_batch_size: int, threads: int) -> dict:
    command = [sys.executable, str(YARDSTICK), "--data", data, "--batch-size", str(batch_size),
               "--eval-batch-size", str(eval_batch_size), "--epochs", "1", "--device", "cpu",
               "--threads", str(threads)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    epoch = result["epochs"][0]
    return {"train_sents_per_s": epoch["train_sents_per_s"], "decode_sents_per_s": epoch["decode_sents_per_s"],
            "train_s": epoch["train_s"], "test_f1": epoch["test_f1"], "peak_rss_mb": result["peak_rss_mb"]}


def run_seqlab(data: str, batch_size: int, eval_batch_size: int, out_dir: str) -> dict:
    overrides = [
        "experiment=conll2003", f"data.dir={data}", "data.tag_scheme=IOB2", "embedding.word.lowercase=false",
        "embedding.word.word_dropout=0.0", f"data.batch_size={batch_size}",
        f"data.eval_batch_size={eval_batch_size}", "optimizer=sgd", "trainer.max_epochs=1",
        "trainer.limit_val_batches=0", "~callbacks.early_stopping", "~callbacks.model_checkpoint", "~callbacks.last_checkpoint",
        f"paths.output_dir={out_dir}", "seed=1",
    ]
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    pl.seed_everything(cfg.seed)
    started = time.perf_counter()
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    task = build_task(cfg, datamodule.spec)
    datamodule.use_featurizers(task.featurizers())
    prepare_s = time.perf_counter() - started
    timer = EpochTimer()
    trainer = build_trainer(cfg)
    trainer.callbacks.append(timer)
    trainer.fit(task, datamodule=datamodule)
    train_s = timer.seconds[0]

    task.eval()
    sentences = len(datamodule.encoded("test"))
    started = time.perf_counter()
    with torch.inference_mode():
        for batch in datamodule.test_dataloader():
            task.labels_of(task(batch), batch.mask)
    decode_s = time.perf_counter() - started
    started = time.perf_counter()
    test_f1 = trainer.test(task, datamodule=datamodule, verbose=False)[0]["test/f1"]
    test_s = time.perf_counter() - started
    # The user-facing path: raw text lines in, tags + entity spans (with scores) out.
    lines = [" ".join(tokens) for tokens in datamodule.dataset("test")["tokens"]]
    predictor = Predictor(task, splitter="whitespace", batch_size=eval_batch_size)
    started = time.perf_counter()
    predictions = predictor.predict(lines)
    predict_s = time.perf_counter() - started
    assert len(predictions) == sentences
    return {"train_sents_per_s": round(len(datamodule.encoded("train")) / train_s, 1),
            "decode_sents_per_s": round(sentences / decode_s, 1), "train_s": round(train_s, 3),
            "trainer_test_sents_per_s": round(sentences / test_s, 1), "prepare_s": round(prepare_s, 2),
            "predict_raw_text_sents_per_s": round(sentences / predict_s, 1),
            "test_f1": round(100 * test_f1, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            **({"peak_gpu_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1)} if torch.cuda.is_available() else {})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/conll2003")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--eval-batch-size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", default="results")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads of both loops")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    runs: dict[str, list[dict]] = {"yardstick": [], "seqlab": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            runs["yardstick"].append(run_yardstick(args.data, args.batch_size, args.eval_batch_size, args.threads))
            runs["seqlab"].append(run_seqlab(args.data, args.batch_size, args.eval_batch_size, f"{tmp}/{i}"))
            print(json.dumps({k: v[-1] for k, v in runs.items()}), flush=True)
    median = {name: {key: statistics.median(r[key] for r in rs) for key in ("train_sents_per_s", "decode_sents_per_s")}
              for name, rs in runs.items()}
    for name, rs in runs.items():  # peak memory over the repeats (one epoch of training + decoding each)
        median[name]["peak_rss_mb"] = max(r["peak_rss_mb"] for r in rs)
    median["seqlab"]["predict_raw_text_sents_per_s"] = statistics.median(
        r["predict_raw_text_sents_per_s"] for r in runs["seqlab"])
    result = {
        "machine": {"cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
                    "torch": torch.__version__, "device": "cpu"},
        "batch_size": args.batch_size, "eval_batch_size": args.eval_batch_size, "runs": runs, "median": median,
        "train_ratio": round(median["seqlab"]["train_sents_per_s"] / median["yardstick"]["train_sents_per_s"], 3),
        "decode_ratio": round(median["seqlab"]["decode_sents_per_s"] / median["yardstick"]["decode_sents_per_s"], 3),
        "predict_ratio": round(median["seqlab"]["predict_raw_text_sents_per_s"]
                               / median["yardstick"]["decode_sents_per_s"], 3),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_speed.json").write_text(json.dumps(result, indent=2))
    rows = [f"| {name} | {m['train_sents_per_s']:.0f} | {m['decode_sents_per_s']:.0f} | {m['peak_rss_mb']:.0f} |"
            for name, m in median.items()]
    table = "\n".join([
        f"CoNLL-2003, CPU ({result['machine']['threads']} threads, torch {torch.__version__}), "
        f"train batch {args.batch_size}, decode batch {args.eval_batch_size}, median of {args.repeats}",
        "", "| loop | train sentences/s | decode sentences/s | peak RSS (MB) |", "|---|---|---|---|", *rows,
        f"| **seqlab / yardstick** | **{result['train_ratio']:.2f}x** | **{result['decode_ratio']:.2f}x** | |", "",
        f"seqlab Predictor on raw text (split, encode, Viterbi + marginals, spans with scores): "
        f"{median['seqlab']['predict_raw_text_sents_per_s']:.0f} sentences/s = "
        f"**{result['predict_ratio']:.2f}x** the yardstick's decode.", "",
    ])
    (out / "bench_speed.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
