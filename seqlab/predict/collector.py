"""Keep a prediction process's long-lived objects out of Python's cyclic garbage collector.

Once a model is open, the interpreter holds some 290,000 objects that live as long as it does
(torch's modules and functions, the model's own). Predicting allocates many short-lived dicts and
lists, so the collector's full passes come every few thousand sentences and walk all of those
objects each time: about a tenth of ``Predictor.predict``'s time on raw text (CoNLL-2003 test,
torch, 1 thread), and a latency spike for the request that triggers one. :func:`gc.freeze` moves
them to a generation the collector skips; reference counting still frees them as before.
"""

from __future__ import annotations

import gc


def set_aside_loaded_objects() -> None:
    """Exclude every object alive now from future collections: call once, after the model is open.

    Meant for the processes the commands start (``seqlab-predict``, its ranks, ``seqlab-serve``'s
    workers); a program of one's own that loads a model and then predicts can call it too.
    """
    gc.freeze()
