"""A trained model's card: provenance and metrics, from what its checkpoint records (torch-free)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seqlab.version import __version__


def checkpoint_card(meta: dict[str, Any], ckpt_path: str | Path, selection_metric: str) -> dict[str, Any]:
    """The card of a checkpoint (its ``seqlab`` entry ``meta``): seqlab versions, task, labels,
    scheme, command, data files, the best dev score, and the test metrics of its run's
    ``results.json`` when that run selected this checkpoint."""
    ckpt_path = Path(ckpt_path)
    spec = meta["spec"]
    config = meta.get("config") or {}
    metrics: dict[str, Any] = {}
    if meta.get("best_val_score") is not None:
        metrics[f"val/{selection_metric}_best"] = float(meta["best_val_score"])
    results_file = ckpt_path.resolve().parent.parent / "results.json"
    if results_file.is_file():
        try:
            results = json.loads(results_file.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            results = {}
        best = results.get("best_checkpoint")
        if best and Path(best).resolve() == ckpt_path.resolve():
            metrics.update({k: v for k, v in results.items() if k.startswith("test/")})
    return {
        "name": ckpt_path.parent.parent.name or ckpt_path.stem,
        "seqlab_version": __version__,
        "trained_with_seqlab": meta.get("version"),
        "task": (config.get("task") or {}).get("_target_", "?"),
        "labels": list(spec["labels"]),
        "tag_scheme": spec.get("tag_scheme"),
        "command": meta.get("command"),
        "data_files": meta.get("data_files", []),
        "metrics": metrics,
        "checkpoint": str(ckpt_path),
    }
