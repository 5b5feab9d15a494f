"""Lint, format, types and layering of the package, run with the rest of the suite (so `.ci/run` runs them)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHECKS = {
    "ruff check": [sys.executable, "-m", "ruff", "check", "seqlab"],
    "ruff format": [sys.executable, "-m", "ruff", "format", "--check", "seqlab"],
    "mypy": [sys.executable, "-m", "mypy"],
    "import-linter": ["lint-imports"],
}


@pytest.mark.parametrize("name", CHECKS)
def test_static_check_finds_nothing(name: str) -> None:
    command = CHECKS[name]
    if command[0] == "lint-imports":
        found = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
        assert found, "lint-imports is not installed: pip install -e '.[dev]'"
        command = [found]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"{name}:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
