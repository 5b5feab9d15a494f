"""scripts/make_lowercased_conll.py: tokens lower-cased, everything else kept line for line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "scripts" / "make_lowercased_conll.py"
TRAIN = "-DOCSTART- -X- O O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\nGerman JJ I-NP I-MISC\n\n"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], check=False, capture_output=True, text=True)


def test_tokens_are_lowercased_and_tags_docstart_and_blank_lines_kept(tmp_path: Path) -> None:
    source, out = tmp_path / "conll", tmp_path / "lower"
    source.mkdir()
    (source / "train.txt").write_text(TRAIN, encoding="utf-8")
    (source / "test.txt").write_text("Ärger NN I-NP O\nBERLIN\tNNP\tI-NP\tB-LOC\n", encoding="utf-8")
    done = run(str(source), str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "train.txt").read_text(encoding="utf-8") == (
        "-DOCSTART- -X- O O\n\neu NNP I-NP I-ORG\nrejects VBZ I-VP O\ngerman JJ I-NP I-MISC\n\n"
    )
    assert (out / "test.txt").read_text(encoding="utf-8") == "ärger NN I-NP O\nberlin\tNNP\tI-NP\tB-LOC\n"
    assert not (out / "dev.txt").exists()


def test_a_folder_without_splits_is_one_line_naming_it(tmp_path: Path) -> None:
    done = run(str(tmp_path), str(tmp_path / "lower"))
    assert done.returncode == 1
    assert done.stderr.strip() == f"{tmp_path}: expected a folder holding train.txt, dev.txt, test.txt; none there"
