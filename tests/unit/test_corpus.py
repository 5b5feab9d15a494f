"""The corpus of malformed and unusual inputs (tests/corpus): every malformed file is one ReaderError at
the right line, every unusual file reads losslessly, every odd one reads with a warning naming its
line, and the command line reports in one line."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from seqlab.data.readers import ReaderError, read_conll, read_text_classification

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
BAD = json.loads((CORPUS / "bad" / "manifest.json").read_text())
GOOD = json.loads((CORPUS / "good" / "manifest.json").read_text())
WARN = json.loads((CORPUS / "warn" / "manifest.json").read_text())


def read(reader: str, path: Path, kwargs: dict) -> list[dict]:
    if reader == "conll":
        return list(read_conll(path, **{"file_scheme": "IOB2", **kwargs}))
    return list(read_text_classification(path, **kwargs))


@pytest.mark.parametrize("case", BAD, ids=[c["file"] for c in BAD])
def test_malformed_file_is_one_error_at_its_line(case: dict) -> None:
    path = CORPUS / "bad" / case["file"]
    with pytest.raises(ReaderError) as info:
        read(case["reader"], path, case["kwargs"])
    error = info.value
    assert error.path == str(path) and case["message"] in str(error) and "\n" not in str(error)
    if case["line"] is not None:
        assert error.line == case["line"], str(error)


@pytest.mark.parametrize("case", GOOD, ids=[c["file"] for c in GOOD])
def test_unusual_file_reads_losslessly(case: dict) -> None:
    rows = read(case["reader"], CORPUS / "good" / case["file"], case["kwargs"])
    assert [row["tokens"] if case["reader"] == "conll" else row["text"] for row in rows] == case["expected"]


@pytest.mark.parametrize("case", WARN, ids=[c["file"] for c in WARN])
def test_odd_file_reads_with_a_warning_at_its_line(case: dict, caplog: pytest.LogCaptureFixture) -> None:
    path = CORPUS / "warn" / case["file"]
    with caplog.at_level(logging.WARNING, logger="seqlab.data"):
        rows = read(case["reader"], path, case["kwargs"])
    assert [row["tokens"] if case["reader"] == "conll" else row["text"] for row in rows] == case["expected"]
    place = f"{path}:" + "".join(f"{case[key]}:" for key in ("line", "column") if case[key] is not None)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(m.startswith(place) and case["warning"] in m for m in warnings), warnings


@pytest.mark.slow
def test_the_command_line_reports_a_malformed_file_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "seqlab.cli.train", f"data.dir={CORPUS / 'bad'}",
                             "data.train_file=latin1.txt", "data.dev_file=latin1.txt", "data.test_file=null",
                             f"hydra.run.dir={tmp_path}"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"seqlab-train: error: {CORPUS / 'bad' / 'latin1.txt'}:2: bytes b'\\xe9' at column 4 are not valid UTF-8")
