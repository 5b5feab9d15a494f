"""Data shipped inside the package (small samples for the default run and the tests)."""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).parent / "sample"


def sample_path(name: str) -> Path:
    """Folder of the shipped sample ``name`` (e.g. ``"conll"``)."""
    path = SAMPLES / name
    if not path.is_dir():
        available = ", ".join(sorted(p.name for p in SAMPLES.iterdir() if p.is_dir())) or "none"
        raise FileNotFoundError(f"no shipped sample {name!r} under {SAMPLES}; available: {available}")
    return path
