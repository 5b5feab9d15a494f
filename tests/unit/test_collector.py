import gc

from seqlab.predict.collector import set_aside_loaded_objects


def test_objects_alive_at_the_call_leave_the_collectors_generations():
    alive = [[] for _ in range(100)]
    frozen_before = gc.get_freeze_count()
    try:
        set_aside_loaded_objects()
        assert gc.get_freeze_count() >= frozen_before + len(alive)
        assert sum(gc.get_count()) == 0  # nothing left for the next collection to walk
    finally:
        gc.unfreeze()
