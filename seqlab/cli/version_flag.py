"""``--version`` on every command, answered before Hydra parses the arguments."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from seqlab.version import __version__

F = TypeVar("F", bound=Callable[..., Any])


def answers_version(program: str) -> Callable[[F], F]:
    """Make a command's entry point print ``<program> (seqlab X.Y.Z)`` for ``--version`` or ``-V``."""

    def wrap(main: F) -> F:
        @functools.wraps(main)
        def run(*args: Any, **kwargs: Any) -> Any:
            if sys.argv[1:] in (["--version"], ["-V"]):
                print(f"{program} (seqlab {__version__})")
                return None
            return main(*args, **kwargs)

        return run  # type: ignore[return-value]

    return wrap
