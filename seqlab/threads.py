"""How many threads torch computes with: the CPUs this process may use, less what other jobs keep
busy, unless the config (``threads=N``) or ``OMP_NUM_THREADS`` says.

Threads beyond the free cores do not add speed but contend: on a 2-core machine a second job
made threaded torch 10-20x slower. So ``threads: auto`` counts the CPUs this process may run
on and subtracts the 1-minute load average at start (other jobs), keeping at least one.
"""

from __future__ import annotations

import os

from seqlab.errors import ConfigError


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def choose_threads(setting: int | str | None) -> tuple[int, str]:
    """The thread count for ``setting`` (``"auto"``/``None``, or a positive count) and why, in words."""
    if setting not in (None, "auto"):
        if not isinstance(setting, int) or isinstance(setting, bool) or setting < 1:
            raise ConfigError(f"threads: expected a positive integer or auto, got {setting!r}")
        return setting, "threads=" + str(setting)
    cpus = available_cpus()
    if os.environ.get("OMP_NUM_THREADS", "").isdigit() and int(os.environ["OMP_NUM_THREADS"]) > 0:
        return int(os.environ["OMP_NUM_THREADS"]), f"OMP_NUM_THREADS; {cpus} CPUs"
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this platform
        busy = 0.0
    free = max(1, min(cpus, round(cpus - busy)))
    return free, f"auto: {cpus} CPUs, load {busy:.1f} from other jobs"
