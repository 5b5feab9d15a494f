"""Hydra multirun sweeps that survive a failing trial and end with a summary table.

Each trial records ``trial.json`` in its own run directory (status, overrides, best validation
score, test scores or the error). :class:`SweepSummary`, a Hydra callback, reads them all when
the sweep ends and writes ``sweep_summary.md`` and ``sweep_summary.json`` in the sweep
directory. Records are files, so the summary works with any Hydra launcher (in-process,
joblib, submitit).
"""

from __future__ import annotations

import json
import logging
import math
import statistics
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)

TRIAL_FILE = "trial.json"


def record_trial(
    out_dir: Path,
    job: int,
    overrides: list[str],
    monitor: str,
    results: dict[str, Any] | None = None,
    error: BaseException | None = None,
) -> None:
    """Write ``out_dir/trial.json``: ``results`` of a finished trial, or the ``error`` that ended it."""
    record: dict[str, Any] = {"job": job, "overrides": list(overrides), "monitor": monitor}
    if error is None:
        results = results or {}
        record.update(
            status="ok",
            best=results.get(f"{monitor}_best"),
            test={k: v for k, v in results.items() if k.startswith("test/")},
            val={k: v for k, v in results.items() if k.startswith("val/") and not k.endswith("_best")},
            epochs=results.get("epochs"),
            wall_time_s=results.get("wall_time_s"),
        )
    else:
        record.update(status="failed", error=f"{type(error).__name__}: {error}")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / TRIAL_FILE).write_text(json.dumps(record, indent=2))


def read_trials(sweep_dir: Path) -> list[dict[str, Any]]:
    """Every trial record under ``sweep_dir``, in job order."""
    trials = []
    for path in sweep_dir.rglob(TRIAL_FILE):
        trial = json.loads(path.read_text())
        trial["dir"] = str(path.parent.relative_to(sweep_dir))
        trials.append(trial)
    return sorted(trials, key=lambda t: t["job"])


def summary_table(trials: list[dict[str, Any]]) -> str:
    """Markdown: the overrides all trials share, then a row per trial (its own overrides, status,
    best validation score, test score of the same metric); the best trial in bold."""
    if not trials:
        return "no trials recorded\n"
    common = [o for o in trials[0]["overrides"] if all(o in t["overrides"] for t in trials)]
    scored = [t for t in trials if t["status"] == "ok" and _is_number(t.get("best"))]
    best = max(scored, key=lambda t: t["best"]) if scored else None
    monitor = trials[0]["monitor"]
    test_key = "test/" + monitor.rsplit("/", 1)[-1]
    lines = [
        f"common overrides: `{' '.join(common) or '(none)'}`",
        "",
        f"| trial | overrides | status | best {monitor} | {test_key} | epochs | wall time | dir |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in trials:
        score = test = wall = epochs = ""
        if t["status"] == "ok":
            status = "ok"
            score = f"{t['best']:.4f}" if _is_number(t.get("best")) else ""
            score = f"**{score}**" if t is best else score
            test = f"{t['test'][test_key]:.4f}" if _is_number(t["test"].get(test_key)) else ""
            wall = f"{t['wall_time_s']:.0f} s" if _is_number(t.get("wall_time_s")) else ""
            epochs = t.get("epochs", "")
        else:
            status = f"failed: {t['error'][:160]}".replace("|", "\\|").replace("\n", " ")
        own = " ".join(o for o in t["overrides"] if o not in common).replace("|", "\\|") or "(none)"
        lines.append(f"| {t['job']} | `{own}` | {status} | {score} | {test} | {epochs} | {wall} | {t['dir']} |")
    tests = [t["test"][test_key] for t in scored if _is_number(t["test"].get(test_key))]
    if len(scored) > 1:  # seeds or cross-validation folds: the spread
        spread = f"best {monitor} {_spread([t['best'] for t in scored])}"
        spread += f", {test_key} {_spread(tests)}" if tests else ""
        for split, key in (("val", "val/accuracy"), ("test", "test/accuracy")):  # classifiers: accuracy too
            values = [t.get(split, {}).get(key) for t in scored]
            if all(_is_number(v) for v in values):
                spread += f", {key} {_spread(values)}"
        lines += ["", f"mean ± std over {len(scored)} completed trials: {spread}"]
    return "\n".join(lines) + "\n"


def _spread(values: list[float]) -> str:
    """``mean ± sample standard deviation`` to four places."""
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} ± {std:.4f}"


def study_summary(sweep_dir: Path, name: str | None = None) -> str:
    """The best of an Optuna study (its sweeper's ``optimization_results.yaml``), or nothing."""
    path = sweep_dir / "optimization_results.yaml"
    if not path.is_file():
        return ""
    results = OmegaConf.to_container(OmegaConf.load(path))
    assert isinstance(results, dict)
    params = " ".join(f"{k}={v}" for k, v in (results.get("best_params") or {}).items())
    return f"\nOptuna study {name or ''}: best value {results.get('best_value')} with `{params}`\n"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not math.isnan(value)


class SweepSummary(Callback):
    """At the end of a multirun, write ``sweep_summary.{md,json}`` in the sweep directory and log the table."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        trials = read_trials(sweep_dir)
        table = summary_table(trials) + study_summary(sweep_dir, config.hydra.sweeper.get("study_name"))
        (sweep_dir / "sweep_summary.md").write_text(table)
        (sweep_dir / "sweep_summary.json").write_text(json.dumps(trials, indent=2))
        failed = [t for t in trials if t["status"] != "ok"]
        log.info(
            "sweep of %d trials (%d failed); summary in %s\n%s",
            len(trials),
            len(failed),
            sweep_dir / "sweep_summary.md",
            table,
        )
        if failed:
            log.warning("failed trials: %s", ", ".join(str(t["job"]) for t in failed))
        _FAILED_JOBS[:] = [t["job"] for t in failed]


#: The failed jobs of the last sweep this process ran (set when the sweep ends).
_FAILED_JOBS: list[int] = []


def failed_trials() -> list[int]:
    """The job numbers of the failed trials of the last sweep this process ran (empty if none)."""
    return list(_FAILED_JOBS)
