"""seqlab: neural sequence labelling and text classification with Lightning and Hydra.

``from seqlab import Predictor`` imports the predictor only when it is asked for, so ``import
seqlab`` stays instant.
"""

from typing import Any

from seqlab.version import __version__

__all__ = ["Predictor", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Predictor":
        from seqlab.predict.predictor import Predictor

        return Predictor
    raise AttributeError(f"module 'seqlab' has no attribute {name!r}")
