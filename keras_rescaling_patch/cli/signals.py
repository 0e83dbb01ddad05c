"""SIGTERM and Ctrl-C, so a command stopped by them cleans up after itself.

A service manager or a CI runner stops a command with SIGTERM; by default
the process then ends on the spot, leaving its temporary files, and its
children, behind. While a command does work that must be undone, SIGTERM
raises :class:`Terminated` instead, which unwinds like Ctrl-C's
``KeyboardInterrupt``; the command line then exits 143, as the signal would.

A command over many files stops more gently (:func:`stopping_on_signals`):
the first SIGINT or SIGTERM only asks it to start no further file, so the
files under way are finished and reported, and a resumed run takes up
exactly where it stopped; a second Ctrl-C interrupts at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

EXIT_TERMINATED = 128 + signal.SIGTERM
EXIT_INTERRUPTED = 128 + signal.SIGINT


class Terminated(BaseException):
    """SIGTERM arrived: unwind, then exit.

    A ``BaseException``, like ``KeyboardInterrupt``: the file tools turn any
    ``Exception`` from a store into a one-line report, and a signal must
    not become "cannot read it"."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


@contextmanager
def terminated_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated`."""
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass
class StopRequest:
    """Set by the first SIGINT or SIGTERM: ``event`` for the work to watch,
    ``signal_number`` for the exit code (``None``: no signal came)."""

    event: threading.Event = field(default_factory=threading.Event)
    signal_number: int | None = None

    @property
    def exit_code(self) -> int | None:
        """128 plus the signal's number, as a shell reports it."""
        return None if self.signal_number is None else 128 + self.signal_number


@contextmanager
def stopping_on_signals() -> Iterator[StopRequest]:
    """Within the block, SIGINT and SIGTERM set the request's event; a
    second SIGINT raises ``KeyboardInterrupt``."""
    request = StopRequest()

    def stop(signum: int, frame: object) -> None:
        if request.event.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        if request.signal_number is None:
            request.signal_number = signum
        request.event.set()

    previous = {
        number: signal.signal(number, stop)
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield request
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
