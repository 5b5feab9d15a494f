"""scripts/recipes_table.py: the four recipe runs as one table, with what lower-casing costs each recipe."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "scripts" / "recipes_table.py"


def run_folder(folder: Path, suite: str, test: float, dev: float, wall_s: float, peak_rss_mb: float) -> Path:
    """A ``benchmark_accuracy.py --out`` folder holding one run of ``suite``."""
    run_dir = folder / "runs" / f"{suite}_seed1"
    run_dir.mkdir(parents=True)
    scores = {"peak_rss_mb": peak_rss_mb, "test/f1_PER": test / 100, "test/f1_ORG": (test - 5) / 100}
    (run_dir / "results.json").write_text(json.dumps(scores))
    run = {"seed": 1, "dev_f1": dev, "test": test, "epochs": 15, "wall_s": wall_s, "epoch_s": [40.0, 20.0, 22.0]}
    entry = {"overrides": ["x"], "metric": "f1", "runs": [run], "machine": {"device": "cpu", "threads": 1}}
    (folder / "accuracy.json").write_text(json.dumps({suite: entry}))
    return folder


def test_the_table_reads_each_run_and_names_what_did_not_run(tmp_path: Path) -> None:
    folders = [
        run_folder(tmp_path / "a", "conll_default_recipe_15ep", 90.0, 93.0, 400.0, 900.0),
        run_folder(tmp_path / "b", "conll_lower_default_recipe_15ep", 86.0, 91.0, 410.0, 880.0),
        run_folder(tmp_path / "c", "conll_minilm_frozen_glove_15ep", 91.0, 94.0, 1200.0, 1800.0),
    ]
    out = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, folders), "--out", str(out), "--note", "Read me."],
        check=False,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    table = (out / "recipes.md").read_text()
    assert (
        "| cased | GloVe 50d alone (default recipe) | `conll_default_recipe_15ep` | **90.00** | 93.00 | 15 | 400 s"
        in table
    )
    assert "| 40, 21 | 900 MB | 1 |" in table
    assert "`conll_lower_minilm_frozen_glove_15ep` | not run |" in table
    assert "lower-casing costs GloVe 50d alone (default recipe) **4.00** test F1" in table
    assert "on cased text MiniLM frozen + GloVe scores **+1.00** test F1 against GloVe alone, at 3.00x" in table
    assert table.rstrip().endswith("Read me.")
    stored = json.loads((out / "recipes.json").read_text())
    assert stored["not_run"] == ["conll_lower_minilm_frozen_glove_15ep"]
    assert stored["rows"][0]["test_f1_by_type"] == {"PER": 90.0, "ORG": 85.0}


def test_a_folder_without_accuracy_json_is_one_line_naming_it(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], check=False, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip() == f"{tmp_path}: expected an accuracy.json of benchmark_accuracy.py there; none"
