"""Training: config to objects at the edge (:mod:`~seqlab.training.build`), the whole jobs
(:mod:`~seqlab.training.pipeline`), checkpoint restore and atomic writes, callbacks, DDP and sweeps."""
