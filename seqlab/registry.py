"""Task registry: names -> Task classes, from entry points in group ``seqlab.tasks``.

Built-in tasks are registered exactly like plug-ins (in seqlab's own ``pyproject.toml``), and
nothing is imported until a task is used: listing reads package metadata only.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from seqlab.errors import SeqlabError

GROUP = "seqlab.tasks"
#: Entry-point group of packages whose classes a checkpoint may name (embedding parts, encoders,
#: heads, ... of a plug-in that registers no task): ``mypkg = "mypkg"``.
COMPONENTS_GROUP = "seqlab.components"


class UnknownTaskError(SeqlabError, ValueError):
    """A task name that no installed package registers."""


@dataclass(frozen=True)
class TaskEntry:
    """One registered task: its name, where its class lives, and the distribution that provides it."""

    name: str
    target: str
    distribution: str

    @classmethod
    def from_entry_point(cls, entry_point: EntryPoint) -> TaskEntry:
        dist = entry_point.dist.name if entry_point.dist is not None else "?"
        return cls(entry_point.name, entry_point.value.replace(":", "."), dist)


def available_tasks() -> dict[str, TaskEntry]:
    """Every registered task by name (built-in and installed plug-ins), without importing them."""
    return {ep.name: TaskEntry.from_entry_point(ep) for ep in entry_points(group=GROUP)}


def task_entry(name: str) -> TaskEntry:
    """The registered task ``name``; an unknown name lists the valid ones and suggests the closest."""
    tasks = available_tasks()
    if name in tasks:
        return tasks[name]
    raise UnknownTaskError(unknown_task_message(name, sorted(tasks)))


def unknown_task_message(name: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
    hint = f" Did you mean task={close[0]}?" if close else ""
    listed = ", ".join(valid) or "none (is seqlab installed?)"
    return (
        f"unknown task {name!r}.{hint} Available tasks: {listed}. "
        f"A plug-in task becomes available once its package is installed (see `seqlab-tasks`)."
    )


def task_owner(target: str) -> str:
    """Human-readable provider of a task class path: ``"task 'pos' (package seqlab-pos)"``, if registered."""
    for entry in available_tasks().values():
        if entry.target == target:
            return f"task {entry.name!r} (package {entry.distribution})"
    return f"task class {target!r}"


def component_packages() -> set[str]:
    """Top-level packages whose classes a checkpoint's config may name: seqlab, every installed task
    plug-in's, and those registered in the ``seqlab.components`` entry-point group."""
    tasks = {entry.target.split(".")[0] for entry in available_tasks().values()}
    return {"seqlab"} | tasks | {ep.value.split(".")[0].split(":")[0] for ep in entry_points(group=COMPONENTS_GROUP)}
