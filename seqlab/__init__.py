"""seqlab: neural sequence labelling and text classification with Lightning and Hydra."""

from seqlab.version import __version__

__all__ = ["__version__"]
