"""Where the Hydra configs live, for an installed wheel and for a source checkout."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def config_dir() -> Path:
    """``seqlab/conf`` inside an installed wheel, else the checkout's top-level ``conf/``."""
    for candidate in (PACKAGE_DIR / "conf", PACKAGE_DIR.parent / "conf"):
        if (candidate / "train.yaml").is_file():
            return candidate
    raise FileNotFoundError(
        f"seqlab's Hydra configs (train.yaml) were found neither in {PACKAGE_DIR / 'conf'} "
        f"nor in {PACKAGE_DIR.parent / 'conf'}; reinstall seqlab"
    )
