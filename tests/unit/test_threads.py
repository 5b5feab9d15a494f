"""threads: a count is used as given; OMP_NUM_THREADS wins over auto; auto leaves the cores other
jobs keep busy (at least one); anything else is a config error naming the key."""
from __future__ import annotations

import os

import pytest

from seqlab import threads
from seqlab.errors import ConfigError


def test_a_count_is_used_as_given() -> None:
    assert threads.choose_threads(3) == (3, "threads=3")


def test_omp_num_threads_wins_over_auto(monkeypatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert threads.choose_threads("auto")[0] == 1


@pytest.mark.parametrize("load, expected", [(0.0, 4), (1.2, 3), (3.6, 1), (9.0, 1)])
def test_auto_leaves_the_cores_other_jobs_use(monkeypatch, load: float, expected: int) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "available_cpus", lambda: 4)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    count, why = threads.choose_threads(None)
    assert count == expected and "4 CPUs" in why and f"load {load:.1f}" in why


@pytest.mark.parametrize("bad", [0, -2, "many", True, 1.5])
def test_anything_else_is_a_config_error(bad) -> None:
    with pytest.raises(ConfigError, match="threads: expected a positive integer or auto"):
        threads.choose_threads(bad)
