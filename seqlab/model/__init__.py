"""The network alone, in plain torch: embedder -> encoder -> head, the head protocols, and
:func:`~seqlab.model.build.build_network`, the one builder training, prediction and checkpoint
restore share. Imports no Lightning, Hydra or ``datasets``."""
