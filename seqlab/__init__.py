"""seqlab: neural sequence labelling and text classification with Lightning and Hydra.

``seqlab.train``, ``seqlab.evaluate`` and ``seqlab.Predictor`` are imported only when they are
asked for, so ``import seqlab`` stays instant.
"""

from typing import Any

from seqlab.version import __version__

__all__ = ["Predictor", "RunResult", "__version__", "evaluate", "train"]


def __getattr__(name: str) -> Any:
    if name == "Predictor":
        from seqlab.predict.predictor import Predictor

        return Predictor
    if name in ("train", "evaluate", "RunResult"):
        from seqlab import api

        return getattr(api, name)
    raise AttributeError(f"module 'seqlab' has no attribute {name!r}")
