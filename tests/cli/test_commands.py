"""Every command answers --version; ``python -m seqlab`` lists them; seqlab-info refuses what is
not a model with one line."""
from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from seqlab.version import __version__


@pytest.mark.parametrize("module, program", [
    ("seqlab.cli.train", "seqlab-train"), ("seqlab.cli.evaluate", "seqlab-eval"),
    ("seqlab.cli.predict", "seqlab-predict"), ("seqlab.cli.export", "seqlab-export"),
    ("seqlab.cli.serve", "seqlab-serve"), ("seqlab.cli.info", "seqlab-info"), ("seqlab.cli.tasks", "seqlab-tasks"),
])
def test_every_command_answers_version(module: str, program: str) -> None:
    result = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == f"{program} (seqlab {__version__})", result.stderr


def test_python_m_seqlab_lists_the_commands() -> None:
    result = subprocess.run([sys.executable, "-m", "seqlab"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("seqlab-train", "seqlab-predict", "seqlab-export", "seqlab-serve", "seqlab-info"):
        assert command in result.stdout
    version = subprocess.run([sys.executable, "-m", "seqlab", "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == f"seqlab {__version__}"


def test_seqlab_info_refuses_what_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    for path, message in [(tmp_path / "none.ckpt", "no such checkpoint"), (tmp_path / "notes.txt", "cannot be read"),
                          (tmp_path, "seqlab-model.json")]:
        result = subprocess.run([sys.executable, "-m", "seqlab.cli.info", str(path)], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 2 and result.stderr.startswith("seqlab-info: error: ") and message in result.stderr


def test_the_package_ships_its_license_and_type_marker() -> None:
    """The installed distribution's metadata (what pip and PyPI show) names the licence and carries its text."""
    root = Path(__file__).resolve().parents[2]
    assert (root / "seqlab" / "py.typed").is_file()
    distribution = importlib.metadata.distribution("seqlab")
    assert distribution.metadata["License"] == "Apache-2.0"
    assert "LICENSE" in (distribution.metadata.get_all("License-File") or [])
    shipped = distribution.read_text("licenses/LICENSE") or distribution.read_text("LICENSE")
    assert shipped is not None and shipped.startswith((root / "LICENSE").read_text()[:200])
    assert "Apache License" in shipped and "Version 2.0" in shipped
