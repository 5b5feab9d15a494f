"""Training: config to objects at the edge (:mod:`~seqlab.train.build`), the whole jobs
(:mod:`~seqlab.train.pipeline`), checkpoint restore and atomic writes, callbacks, DDP and sweeps."""
