"""Command-line entry points (thin ``@hydra.main`` wrappers around :mod:`seqlab.train.pipeline`)."""
