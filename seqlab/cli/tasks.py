"""``seqlab-tasks``: list the tasks that ``seqlab-train task=<name>`` accepts."""

from __future__ import annotations

from seqlab.cli.version_flag import answers_version
from seqlab.registry import available_tasks


@answers_version("seqlab-tasks")
def main() -> None:
    tasks = available_tasks()
    width = max([len(name) for name in tasks] + [4])
    print(f"{'task':<{width}}  package                class")
    for name, entry in sorted(tasks.items()):
        print(f"{name:<{width}}  {entry.distribution:<22} {entry.target}")


if __name__ == "__main__":
    main()
