"""SIGINT (Ctrl-C) and SIGTERM as one way to stop a command: the work in progress ends cleanly,
temporary files are removed, and the exit code is ``128 + signal`` (130, 143), as a shell reports
a process killed by that signal.

:class:`StopSignals` records the first signal. Where a loop has installed its own SIGTERM handler
that chains to the one before it (Lightning's trainer does, and stops after the current step), the
first SIGINT is passed on to that handler as a SIGTERM, so both signals stop the loop the same
way. Anywhere else, and on a second signal, :class:`Interrupted` is raised at once.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

#: The signals a command stops on.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def exit_code(signum: int) -> int:
    """The exit status a shell gives a process ended by ``signum`` (SIGINT 130, SIGTERM 143)."""
    return 128 + int(signum)


def signal_name(signum: int) -> str:
    """``SIGINT``, ``SIGTERM``."""
    return signal.Signals(signum).name


class Interrupted(BaseException):
    """A command stopped by SIGINT or SIGTERM (a BaseException, as KeyboardInterrupt: ``except
    Exception`` around a sweep trial or a rank must not swallow it)."""

    def __init__(self, signum: int, message: str | None = None) -> None:
        super().__init__(message or f"interrupted by {signal_name(signum)}")
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        return exit_code(self.signum)


class StopSignals:
    """Within ``with StopSignals() as signals:``, SIGINT and SIGTERM stop the work (see the module
    docstring); ``signals.received`` is the first one seen. The previous handlers come back on exit.
    Outside the main thread it does nothing (Python delivers signals to the main thread only)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, Any] = {}
        self._forwarding = False

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.getsignal(signum)
                signal.signal(signum, self._handle)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        self._previous = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._forwarding:  # our own SIGINT coming back through the loop's chained handler
            return
        first = self.received is None
        if first:
            self.received = signum
        loop_handler = signal.getsignal(signal.SIGTERM)
        if first and loop_handler != self._handle and callable(loop_handler):  # bound methods: equal, not identical
            # A loop's handler is installed and chains to this one: it stops after the current step.
            if signum != signal.SIGTERM:  # it was not called through the loop's handler: pass it on
                self._forwarding = True
                try:
                    loop_handler(signal.SIGTERM, frame)
                finally:
                    self._forwarding = False
            return
        raise Interrupted(signum)
