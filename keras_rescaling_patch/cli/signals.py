"""SIGTERM as an exception, so a command stopped by it cleans up after itself.

A service manager or a CI runner stops a command with SIGTERM; by default
the process then ends on the spot, leaving its temporary files, and its
children, behind. While a command does work that must be undone, SIGTERM
raises :class:`Terminated` instead, which unwinds like Ctrl-C's
``KeyboardInterrupt``; the command line then exits 143, as the signal would.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_TERMINATED = 128 + signal.SIGTERM


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
