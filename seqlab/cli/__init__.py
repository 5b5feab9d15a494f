"""Command-line entry points (thin ``@hydra.main`` wrappers around :mod:`seqlab.training.pipeline`)."""
