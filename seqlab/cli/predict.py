"""``seqlab-predict ckpt_path=... input=raw.txt|-``: tag or classify raw text with a checkpoint."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from seqlab.config import config_dir

log = logging.getLogger(__name__)


def read_lines(source: IO[bytes], name: str) -> Iterator[str]:
    """Lines of ``source`` without their line ends; bytes that are not UTF-8 become U+FFFD
    (a warning names the line), so one bad line never stops a long file."""
    for number, raw in enumerate(source, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            log.warning(
                "%s:%d: bytes %r are not valid UTF-8; replaced by U+FFFD", name, number, raw[err.start : err.end]
            )
            line = raw.decode("utf-8", errors="replace")
        yield line.rstrip("\r\n")


def format_prediction(prediction: dict, style: str) -> str:
    """One prediction as a JSON line, or as CoNLL rows (token, tag) and a blank line."""
    if style == "jsonl":
        return json.dumps(prediction, ensure_ascii=False) + "\n"
    if "tags" not in prediction:
        raise ValueError("format=conll needs a sequence-labelling checkpoint; use format=jsonl")
    return "".join(f"{token}\t{tag}\n" for token, tag in zip(prediction["tokens"], prediction["tags"])) + "\n"


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="predict")
def main(cfg: DictConfig) -> None:
    from seqlab.predictor import Predictor

    if cfg.format not in ("jsonl", "conll"):
        raise ValueError(f"format must be jsonl or conll, got {cfg.format!r}")
    predictor = Predictor.from_checkpoint(
        cfg.ckpt_path, device=cfg.device, splitter=cfg.splitter, batch_size=cfg.batch_size, nbest=cfg.nbest
    )
    output = cfg.output or str(Path(HydraConfig.get().runtime.output_dir) / f"predictions.{cfg.format}")
    source = sys.stdin.buffer if cfg.input == "-" else open(cfg.input, "rb")
    sink = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")
    count = 0
    try:
        for prediction in predictor.predict_stream(read_lines(source, "<stdin>" if cfg.input == "-" else cfg.input)):
            sink.write(format_prediction(prediction, cfg.format))
            count += 1
    finally:
        if source is not sys.stdin.buffer:
            source.close()
        if sink is not sys.stdout:
            sink.close()
    log.info("%d texts predicted -> %s", count, output)


if __name__ == "__main__":
    main()
