"""seqlab's version, as installed (``unknown`` in a checkout that was never installed)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seqlab")
except PackageNotFoundError:  # pragma: no cover - a source tree on sys.path without installing
    __version__ = "unknown"
