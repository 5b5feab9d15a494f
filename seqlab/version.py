"""seqlab's version, as installed (``unknown`` in a checkout that was never installed)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seqlab")
except PackageNotFoundError:  # pragma: no cover - a source tree on sys.path without installing
    __version__ = "unknown"

#: Format of the ``seqlab`` entry in checkpoints; bump on incompatible changes.
#: 1: seqlab 0.1 (one embedding module, tokenizers beside the spec); 2: seqlab 0.2 (embedding parts,
#: the spec holds vocabularies and encoding settings); 3: seqlab 0.3 (the task's network under
#: ``network.``, its output named under ``output``; format 2 is still read, and mapped on reading).
CHECKPOINT_FORMAT = 3
#: The older formats this seqlab still reads (:func:`seqlab.predict.checkpoint_file.upgraded`).
READABLE_FORMATS = (2, 3)
