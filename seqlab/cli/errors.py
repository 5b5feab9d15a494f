"""How the commands end on the user's mistakes: one line on standard error and exit code 2.

Only seqlab's own errors (:class:`~seqlab.errors.SeqlabError`) and missing or wrong-kind files
are reported so; any other exception is a bug and keeps its traceback. ``SEQLAB_DEBUG=1`` (or
``hydra.verbose=true``) shows the traceback of every error. A closed standard output (``| head``)
ends a command quietly. A command stopped by SIGINT or SIGTERM prints what it left behind in one
line and exits with 130 or 143, as a shell reports a process killed by the signal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from omegaconf.errors import MissingMandatoryValue

from seqlab.errors import SeqlabError
from seqlab.signals import Interrupted

#: Exceptions that are the user's to fix, reported in one line.
USER_ERRORS: tuple[type[BaseException], ...] = (SeqlabError, FileNotFoundError, IsADirectoryError, NotADirectoryError)

#: The exit code of a command stopped by a user error (as argparse uses for usage errors).
USAGE_ERROR = 2


def debugging(verbose: bool = False) -> bool:
    """Whether to show tracebacks: ``SEQLAB_DEBUG`` set to anything but 0, or ``hydra.verbose``."""
    return verbose or os.environ.get("SEQLAB_DEBUG", "0") not in ("", "0")


@contextmanager
def reported_errors(program: str, verbose: bool = False) -> Iterator[None]:
    """Run the body; a user error becomes ``<program>: error: <message>`` and exit code 2; a stop
    by SIGINT or SIGTERM (:class:`~seqlab.signals.Interrupted`) its own line and exit code 130 or 143."""
    try:
        yield
    except Interrupted as err:
        if debugging(verbose):
            raise
        print(str(err), file=sys.stderr, flush=True)
        sys.exit(err.exit_code)
    except MissingMandatoryValue as err:  # a required key (``ckpt_path: ???``) the command line did not set
        if debugging(verbose):
            raise
        key = err.full_key or "a required setting"
        print(f"{program}: error: {key} is required: add {key}=... to the command", file=sys.stderr, flush=True)
        sys.exit(USAGE_ERROR)
    except USER_ERRORS as err:
        if debugging(verbose):
            raise
        print(f"{program}: error: {user_message(err)}", file=sys.stderr, flush=True)
        sys.exit(USAGE_ERROR)
    except BrokenPipeError:
        # The reader of standard output went away (`| head -1`): stop quietly, without a traceback
        # when Python flushes the closed pipe at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)


def user_message(err: BaseException) -> str:
    """The one line a user error is reported with (a file error names its file)."""
    return str(err) if not isinstance(err, OSError) or not err.filename else _os_message(err)


def _os_message(err: OSError) -> str:
    """``path: is a directory`` and the like, for the file errors Python words as ``[Errno N] ...``."""
    reason = {
        FileNotFoundError: "no such file",
        IsADirectoryError: "is a directory, expected a file",
        NotADirectoryError: "a part of the path is not a directory",
    }.get(type(err), err.strerror)
    return f"{err.filename}: {reason}"
