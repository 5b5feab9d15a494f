"""seqlab: neural sequence labelling and text classification with Lightning and Hydra."""

__version__ = "0.1.0"
