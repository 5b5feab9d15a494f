"""``seqlab-predict ... select=K [measure=...]``: write only the K texts the model is least sure of.

The K most uncertain texts (:mod:`seqlab.predict.selection`) go to ``output`` in its ``format``,
most uncertain first, each JSON line with its ``uncertainty``; the scores' summary (selected and
all texts: count, min, median, mean, max) and the selected scores in output order go to
``<output stem>.selection.json`` beside it (the run folder's ``selection.json`` for ``output=-``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

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


@dataclass(frozen=True)
class LineWriter:
    """``format=jsonl|conll``: each prediction on its own lines, nothing before or after."""

    style: str
    head: str = ""
    tail: str = ""

    def item(self, prediction: dict[str, Any], first: bool) -> str:
        from seqlab.cli.predict import format_prediction

        return format_prediction(prediction, self.style)


def summary_path(output: str, run_dir: Path) -> Path:
    """Where the scores' summary goes: beside ``output`` (``<stem>.selection.json``), or in the run folder."""
    return run_dir / "selection.json" if output == "-" else Path(output).with_suffix(".selection.json")


def write_selection(
    predictions: Iterable[dict[str, Any]], k: int, measure: str, output: str, writer: OutputWriter, run_dir: Path
) -> dict[str, Any]:
    """Write the ``k`` most uncertain of ``predictions`` to ``output`` (``-``: standard output) with
    ``writer`` and their summary beside it; returns the summary."""
    from seqlab.cli.predict import partial_path

    scores: list[float] = []
    resolved: list[str] = []

    def scored(items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for prediction in items:
            if not resolved:
                resolved.append(resolved_measure(measure, prediction))
            scores.append(uncertainty(prediction, resolved[0]))
            yield prediction

    chosen = select_most_uncertain(scored(predictions), k, measure)
    partial = partial_path(output)
    sink = sys.stdout if partial is None else open(partial, "w", encoding="utf-8")
    try:
        sink.write(writer.head)
        for i, prediction in enumerate(chosen):
            sink.write(writer.item(prediction, i == 0))
        sink.write(writer.tail)
        if partial is not None:
            sink.close()
            os.replace(partial, output)
    finally:
        if partial is not None:
            sink.close()
            partial.unlink(missing_ok=True)
    selected, every = summarize(p["uncertainty"] for p in chosen), summarize(scores)
    name = resolved[0] if resolved else measure
    summary = {
        "measure": name,
        "select": k,
        "selected": selected,
        "all": every,
        "scores": [p["uncertainty"] for p in chosen],
        "output": output,
    }
    path = summary_path(output, run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    log.info(
        "%d of %d texts selected by %s -> %s; uncertainty min %.4f median %.4f max %.4f (scores: %s)",
        selected["count"],
        every["count"],
        name,
        output,
        selected["min"],
        selected["median"],
        selected["max"],
        path,
    )
    return summary
