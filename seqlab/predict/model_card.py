"""A trained model's card: provenance and metrics, from what its checkpoint records (torch-free)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seqlab.version import __version__


def checkpoint_card(meta: dict[str, Any], ckpt_path: str | Path, selection_metric: str | None = None) -> dict[str, Any]:
    """The card of a checkpoint (its ``seqlab`` entry ``meta``): seqlab versions, task, labels,
    scheme, command, config, data files, the best dev score, and the test metrics (recorded in the
    checkpoint after testing, or read from its run's ``results.json`` when that run selected it).
    ``selection_metric`` names the dev score (default: the one the checkpoint records)."""
    ckpt_path = Path(ckpt_path)
    selection_metric = selection_metric or meta.get("selection_metric", "f1")  # older checkpoints do not record it
    spec = meta["spec"]
    config = meta.get("config") or {}
    metrics: dict[str, Any] = {}
    if meta.get("best_val_score") is not None:
        metrics[f"val/{selection_metric}_best"] = float(meta["best_val_score"])
    metrics.update(meta.get("test_metrics") or {})
    results_file = ckpt_path.resolve().parent.parent / "results.json"
    if not meta.get("test_metrics") and results_file.is_file():
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
        "config": config,
    }


def card_summary(card: dict[str, Any]) -> str:
    """The card as aligned text for a terminal (the config is left to ``--json``)."""
    rows = [(k, v) for k, v in card.items() if k not in ("metrics", "data_files", "config", "labels")]
    rows.append(("labels", f"{len(card.get('labels', []))}: {' '.join(card.get('labels', []))}"))
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v if v is not None else '-'}" for k, v in rows]
    metrics = card.get("metrics") or {}
    if metrics:
        lines += ["", "metrics:"]
        lines += [
            f"  {k:<{width}}  {v:.4f}" if isinstance(v, float) else f"  {k:<{width}}  {v}" for k, v in metrics.items()
        ]
    files = card.get("data_files") or []
    if files:
        lines += ["", "data files:"]
        lines += [f"  {f['split']:<6} {f['file']}  {f['bytes']} bytes  sha256 {f['sha256']}" for f in files]
    return "\n".join(lines)
