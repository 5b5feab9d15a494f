"""``python -m seqlab``: the commands seqlab installs, and its version."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

from seqlab.version import __version__

#: What each command does, for the listing.
COMMANDS = {
    "seqlab-train": "train a model (Hydra: seqlab-train experiment=... key=value)",
    "seqlab-eval": "score a checkpoint on a test file",
    "seqlab-predict": "tag or classify raw text with a checkpoint or a model folder",
    "seqlab-export": "export a checkpoint to an ONNX model folder",
    "seqlab-serve": "serve a model over HTTP",
    "seqlab-info": "print the model card of a checkpoint or a model folder",
    "seqlab-tasks": "list the installed tasks (built-in and plug-ins)",
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        print(f"seqlab {__version__}")
        return 0
    installed = sorted(ep.name for ep in entry_points(group="console_scripts") if ep.value.startswith("seqlab."))
    print(f"seqlab {__version__}: neural sequence labelling and text classification\n\ncommands:")
    width = max(map(len, installed), default=0)
    for name in installed:
        print(f"  {name:<{width}}  {COMMANDS.get(name, '')}".rstrip())
    print("\nEach takes --version; Hydra commands take --help. Documentation: README.md and docs/.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
