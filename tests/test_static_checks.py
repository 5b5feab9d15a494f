"""Lint, format, types and layering of the package, run with the rest of the suite (so `.ci/run` runs them)."""

from __future__ import annotations

import importlib.util
import os
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


@pytest.mark.slow
def test_documentation_site_builds_strictly(tmp_path: Path) -> None:
    """``mkdocs build --strict``: broken links, missing snippets or API docstrings fail the suite."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
                            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-4000:]
    assert (tmp_path / "site" / "api" / "index.html").read_text().count("from_pretrained") > 0


def test_every_config_file_is_documented_as_it_is() -> None:
    """docs/configuration.md holds each config file inline (readable on GitHub), equal to the file."""
    script = ROOT / "scripts" / "sync_configuration_doc.py"
    spec = importlib.util.spec_from_file_location("sync_configuration_doc", script)
    assert spec is not None and spec.loader is not None
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)
    documented = (ROOT / "docs" / "configuration.md").read_text()
    assert sync.synced(documented) == documented, "run python scripts/sync_configuration_doc.py"
    assert "--8<--" not in documented
    for path in sorted((ROOT / "conf").rglob("*.yaml")):
        if "hydra" not in path.parts:
            assert f"<!-- {path.relative_to(ROOT)} -->" in documented, f"{path} is not in docs/configuration.md"


SLOW = {"mypy"}  # minutes on two cores without a cache


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in CHECKS])
def test_static_check_finds_nothing(name: str) -> None:
    command = CHECKS[name]
    if command[0] == "lint-imports":
        found = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
        assert found, "lint-imports is not installed: pip install -e '.[dev]'"
        command = [found]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"{name}:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
