"""The file scheme is detected from the training tags, ambiguity is said, and predictions are
written back in the file's scheme (gold column equal to the input file's labels)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from seqlab.data.tag_schemes import TagScheme, convert, detect_scheme
from seqlab.resources import sample_path

SPANS = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "B-ORG", "O"], ["B-MISC", "I-MISC", "I-MISC"]]


@pytest.mark.parametrize("scheme", list(TagScheme))
def test_each_scheme_is_detected(scheme: TagScheme) -> None:
    written = [convert(tags, "IOB2", scheme) for tags in SPANS]
    found, evidence = detect_scheme(written)
    assert found is scheme, evidence


def test_plain_labels_and_ambiguous_files_say_so() -> None:
    assert detect_scheme([["NN", "VBZ"]]) == (None, "label 'NN' is not a span tag (O or P-TYPE): plain labels")
    found, evidence = detect_scheme([["O", "O"], ["O"]])
    assert found is TagScheme.IOB1 and evidence.startswith("ambiguous") and "assuming IOB1" in evidence


@pytest.mark.slow
def test_predictions_are_written_in_the_files_scheme(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "seqlab.cli.train", "trainer.max_epochs=2",
                             f"hydra.run.dir={out}"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "tag scheme of" in (out / "train.log").read_text() and "IOB1 (587 spans opened by I-" in (
        out / "train.log").read_text()
    written = [line.split()[1] for line in (out / "reports" / "test_predictions.conll").read_text().splitlines()
               if line.strip()]
    source = [line.split()[-1] for line in (sample_path("conll") / "test.txt").read_text().splitlines()
              if line.strip() and not line.startswith("-DOCSTART-")]
    assert written == source  # the gold column diffs cleanly against the input file
