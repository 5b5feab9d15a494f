"""``seqlab-predict ckpt_path=... input=raw.txt|-``: tag or classify raw text with a checkpoint."""

from __future__ import annotations

import errno
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from seqlab.cli.composition import composition_errors_reported
from seqlab.cli.errors import reported_errors
from seqlab.cli.version_flag import answers_version
from seqlab.config import config_dir
from seqlab.errors import ConfigError, OutputError
from seqlab.predict.pre_annotations import PRE_ANNOTATION_FORMATS, PreAnnotationWriter
from seqlab.signals import Interrupted, StopSignals, signal_name
from seqlab.writable import check_writable_folder

if TYPE_CHECKING:
    from seqlab.predict.predictor import Predictor

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
        raise ConfigError("format=conll needs a sequence-labelling checkpoint; use format=jsonl")
    return "".join(f"{token}\t{tag}\n" for token, tag in zip(prediction["tokens"], prediction["tags"])) + "\n"


#: The ``format=`` values: seqlab's own JSONL, CoNLL rows, and pre-annotations for annotation tools.
FORMATS = ("jsonl", "conll", *PRE_ANNOTATION_FORMATS)


def check_output_format(predictor: Predictor, style: str, source: str) -> None:
    """``format=conll`` and ``format=spans`` need a model that tags tokens (one line naming ``source`` otherwise)."""
    if style == "spans" and not predictor.output.per_word:
        raise ConfigError(
            f"format=spans writes entity spans; {source} predicts {predictor.output.name!r} per text: "
            "use format=labelstudio or format=doccano"
        )
    if style == "conll" and not predictor.output.per_word:
        raise ConfigError(
            f"format=conll needs a model that tags tokens; {source} predicts "
            f"{predictor.output.name!r} per text: use format=jsonl"
        )


class _LineWriter:
    """``format=jsonl|conll``: each prediction on its own, nothing before or after."""

    head = tail = ""

    def __init__(self, style: str) -> None:
        self.style = style

    def item(self, prediction: dict, first: bool) -> str:
        return format_prediction(prediction, self.style)


def output_writer(cfg: DictConfig, predictor: Predictor) -> _LineWriter | PreAnnotationWriter:
    """What writes ``format=``: JSONL or CoNLL rows, or pre-annotations whose ``model_version`` is
    ``model_version=`` (default: the model's name on its card)."""
    if cfg.format not in PRE_ANNOTATION_FORMATS:
        return _LineWriter(cfg.format)
    version = cfg.get("model_version") or str(predictor.card.get("name") or "seqlab")
    return PreAnnotationWriter(cfg.format, version, cfg.get("from_name"), cfg.get("to_name") or "text")


def open_arguments(cfg: DictConfig) -> dict[str, Any]:
    """The :meth:`~seqlab.predict.predictor.Predictor.open` arguments a ``seqlab-predict`` command line gives."""
    return {
        "model": cfg.model,
        "ckpt_path": cfg.ckpt_path,
        "backend": cfg.get("backend", "auto"),
        "device": cfg.device,
        "threads": cfg.threads,
        "splitter": cfg.splitter,
        "batch_size": cfg.batch_size,
        "nbest": cfg.nbest,
    }


#: Write errors of a disk that is full or read-only (told in one line, not as a traceback).
FULL_OR_READ_ONLY = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)


def partial_path(output: str) -> Path | None:
    """Where ``output`` is written before it is renamed into place (``None``: standard output, ``-``)."""
    return None if output == "-" else Path(output).with_name(f".{Path(output).name}.partial")


@answers_version("seqlab-predict")
@composition_errors_reported("seqlab-predict", "predict")
@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="predict")
def main(cfg: DictConfig) -> None:
    with reported_errors("seqlab-predict", bool(HydraConfig.get().verbose)):
        predict(cfg)


def predict(cfg: DictConfig) -> None:
    """Check every argument and the output's folder, then predict into a temporary file renamed into
    place at the end, so an existing output is never truncated or half-written; on an error, SIGINT
    or SIGTERM the temporary file is removed."""
    from seqlab.cli.predict_bulk import check_processes, launched_world, predict_bulk
    from seqlab.cli.selection import check_selection

    if cfg.format not in FORMATS:
        raise ConfigError(f"format must be one of {', '.join(FORMATS)}, got {cfg.format!r}")
    processes = check_processes(cfg.get("processes", 1))
    suffix = {"labelstudio": "json", "doccano": "jsonl", "spans": "jsonl"}.get(cfg.format, cfg.format)
    output = cfg.output or str(Path(HydraConfig.get().runtime.output_dir) / f"predictions.{suffix}")
    world = launched_world()
    if (processes > 1 or world is not None) and cfg.format in PRE_ANNOTATION_FORMATS:
        raise ConfigError(
            f"format={cfg.format} is written by one process: leave processes=1 (jsonl and conll run bulk)"
        )
    check_selection(cfg, bulk=processes > 1 or world is not None)
    if processes > 1 or world is not None:
        predict_bulk(cfg, processes, world, output)
        return
    partial = partial_path(output)
    if partial is not None:  # before the model loads: the output's folder takes a file, and a stale .partial goes
        check_writable_folder(partial.parent, "output folder")
    with StopSignals():
        sink = sys.stdout if partial is None else open(partial, "w", encoding="utf-8")  # replaces a stale one
        try:
            count = _predict_into(cfg, sink)
            if partial is not None:
                sink.close()
                os.replace(partial, output)
        except Interrupted as err:
            left = "" if partial is None else f"; {output} was not written"
            raise Interrupted(err.signum, f"interrupted by {signal_name(err.signum)}{left}") from None
        except OSError as err:
            if partial is None or err.errno not in FULL_OR_READ_ONLY:
                raise
            raise OutputError(f"{output}: cannot be written ({err.strerror}); nothing was written") from None
        finally:
            if partial is not None:
                sink.close()
                partial.unlink(missing_ok=True)
    log.info("%d texts predicted -> %s", count, output)


def _predict_into(cfg: DictConfig, sink: IO[str]) -> int:
    """Open the model, predict every input line into ``sink`` (with ``select=K``, the K most
    uncertain only); the number of texts written."""
    from seqlab.cli.selection import select_into
    from seqlab.predict.collector import set_aside_loaded_objects
    from seqlab.predict.predictor import Predictor

    predictor = Predictor.open(**open_arguments(cfg))
    set_aside_loaded_objects()
    check_output_format(predictor, cfg.format, cfg.ckpt_path or cfg.model)
    writer = output_writer(cfg, predictor)
    count = 0
    source = sys.stdin.buffer if cfg.input == "-" else open(cfg.input, "rb")
    try:
        texts = read_lines(source, "<stdin>" if cfg.input == "-" else cfg.input)
        if cfg.get("select") is not None:  # only the K most uncertain texts, their scores beside them
            run_dir = Path(HydraConfig.get().runtime.output_dir)
            return select_into(cfg, predictor.predict_stream(texts), sink, writer, run_dir)
        sink.write(writer.head)
        for prediction in predictor.predict_stream(texts):
            sink.write(writer.item(prediction, count == 0))
            count += 1
        sink.write(writer.tail)
    finally:
        if source is not sys.stdin.buffer:
            source.close()
    return count


if __name__ == "__main__":
    main()
