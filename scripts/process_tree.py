"""A process and everything it started, from Linux ``/proc``: the benchmarks' memory and CPU sums."""

from __future__ import annotations

import os
from pathlib import Path


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants alive now (a process that ended meanwhile is skipped)."""
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        try:
            children = [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
                        for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
        found.append(pid)
        stack.extend(children)
    return found


def rss_kb(pid: int) -> int:
    """Resident memory of one process (kB; 0 for one with no memory of its own left, a zombie)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)


def tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, summed (kB)."""
    total = 0
    for pid in process_tree(root):
        try:
            total += rss_kb(pid)
        except (OSError, ValueError):
            continue
    return total


def tree_cpu_s(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and its descendants alive now."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total
