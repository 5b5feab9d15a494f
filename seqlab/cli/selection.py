"""``seqlab-predict ... select=K [measure=...]``: write only the K texts the model is least sure of.

The K most uncertain texts (:mod:`seqlab.predict.selection`) go to ``output`` in its ``format``,
most uncertain first, each JSON line with its ``uncertainty``; the scores' summary (selected and
all texts: count, min, median, mean, max) and the selected scores in output order go to
``<output stem>.selection.json`` beside it (the run folder's ``selection.json`` for ``output=-``).
``seqlab-predict`` writes through its own machinery (temporary file, signals, full disks): this
module only chooses, writes to the sink it is given and reports.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from omegaconf import DictConfig

from seqlab.errors import ConfigError
from seqlab.predict.selection import MEASURES, resolved_measure, select_most_uncertain, summarize, uncertainty

log = logging.getLogger(__name__)


def check_selection(cfg: DictConfig, bulk: bool = False) -> int | None:
    """``select`` as a count (``None``: predict every text) after checking it and ``measure`` (one
    line each); ``bulk``: the command runs as several processes, which selection refuses."""
    select, measure = cfg.get("select"), cfg.get("measure", "auto")
    if measure != "auto" and measure not in MEASURES:
        raise ConfigError(f"measure must be auto or one of {', '.join(MEASURES)}, got {measure!r}")
    if select is None:
        return None
    if isinstance(select, bool) or not isinstance(select, int) or select < 1:
        raise ConfigError(f"select must be a positive number of texts, got {select!r}")
    if bulk:
        raise ConfigError("select=K ranks every text in one process: leave processes=1, outside torchrun or srun")
    return select


class OutputWriter(Protocol):
    """Writes ``format=``: ``head``, one ``item`` per prediction (``first``: the output's first), ``tail``."""

    @property
    def head(self) -> str: ...

    @property
    def tail(self) -> str: ...

    def item(self, prediction: dict[str, Any], first: bool) -> str: ...


def summary_path(output: str | None, run_dir: Path) -> Path:
    """Where the scores' summary goes: beside ``output`` (``<stem>.selection.json``; the default
    output's is ``predictions.selection.json`` in the run folder), or ``selection.json`` in the run
    folder for standard output."""
    if output == "-":
        return run_dir / "selection.json"
    return Path(output).with_suffix(".selection.json") if output else run_dir / "predictions.selection.json"


def select_into(
    cfg: DictConfig, predictions: Iterable[dict[str, Any]], sink: IO[str], writer: OutputWriter, run_dir: Path
) -> int:
    """Write the ``cfg.select`` most uncertain of ``predictions`` (by ``cfg.measure``) to ``sink``
    with ``writer``, and their scores' summary beside ``cfg.output``; the number written."""
    k, measure = int(cfg.select), cfg.get("measure", "auto")
    scores: list[float] = []
    resolved: list[str] = []

    def scored(items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for prediction in items:
            if not resolved:
                resolved.append(resolved_measure(measure, prediction))
            scores.append(uncertainty(prediction, resolved[0]))
            yield prediction

    chosen = select_most_uncertain(scored(predictions), k, measure)
    sink.write(writer.head)
    for i, prediction in enumerate(chosen):
        sink.write(writer.item(prediction, i == 0))
    sink.write(writer.tail)
    selected, every = summarize(p["uncertainty"] for p in chosen), summarize(scores)
    name = resolved[0] if resolved else measure
    path = summary_path(cfg.output, run_dir)
    summary = {
        "measure": name,
        "select": k,
        "selected": selected,
        "all": every,
        "scores": [p["uncertainty"] for p in chosen],
        "input": str(cfg.input),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    log.info(
        "%d of %d texts selected by %s; uncertainty min %.4f median %.4f max %.4f (scores: %s)",
        selected["count"],
        every["count"],
        name,
        selected["min"],
        selected["median"],
        selected["max"],
        path,
    )
    return len(chosen)
