"""Writing to the terminal so that no terminal can turn a result into a crash.

Streams escape what they cannot encode (an ASCII terminal, a lone
surrogate in a layer name); a reader that went away (``| head``) or a full
device only stops the output, with one line on stderr saying so, and the
exit code still tells what was done;
names and paths from files are printed with control characters escaped.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

_output_failure: str | None = None  # why stdout or stderr stopped taking output


def say(text: str, *, error: bool = False, flush: bool = False) -> None:
    """Print one line on stdout (or stderr); never raise for the stream.

    Before a line on stderr, what stdout holds is flushed, so output sent to
    one file or pipe (``2>&1``) keeps the order a terminal shows.
    """
    stream = sys.stderr if error else sys.stdout
    if error:
        try:
            sys.stdout.flush()
        except OSError as failure:
            _stop_writing(sys.stdout, failure)
    try:
        print(text, file=stream, flush=flush)
    except OSError as failure:
        _stop_writing(stream, failure)


def write(text: str, *, flush: bool = False) -> None:
    """Write ``text`` to stdout as it is (no newline added)."""
    try:
        sys.stdout.write(text)
        if flush:
            sys.stdout.flush()
    except OSError as failure:
        _stop_writing(sys.stdout, failure)


def _stop_writing(stream: Any, failure: OSError) -> None:
    """Send what else goes to ``stream`` nowhere, and remember why."""
    global _output_failure
    if _output_failure is None:
        if isinstance(failure, BrokenPipeError):
            _output_failure = "its reader closed the pipe before the end"
        else:
            _output_failure = failure.strerror or str(failure)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def finish() -> None:
    """Flush stdout now (not at exit, where a failure would be a traceback)."""
    try:
        sys.stdout.flush()
    except OSError as failure:
        _stop_writing(sys.stdout, failure)
    if _output_failure is not None:
        try:
            print(
                f"keras-rescaling-patch: could not write the output: {_output_failure}",
                file=sys.stderr,
                flush=True,
            )
        except OSError:
            pass


def escape_unencodable() -> None:
    """An ASCII terminal, a C locale or a lone surrogate in a layer name:
    escape instead of raising UnicodeEncodeError mid-output."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass


def printable(text: object) -> str:
    """``text`` with every non-printable character escaped (``\\x1b``, ``\\n``).

    Names and paths come from files and from users: an ANSI sequence or a
    carriage return in a layer name must not rewrite what the terminal
    shows. JSON output stays exact.
    """
    value = str(text)
    if value.isprintable():
        return value
    return "".join(
        character if character.isprintable() else repr(character)[1:-1]
        for character in value
    )


@contextlib.contextmanager
def waiting_for(what: str, after: float = 1.0) -> Iterator[None]:
    """Say on a terminal's stderr what a command waits for, if it takes more
    than ``after`` seconds; take the line away when it is done."""
    if not _is_a_terminal(sys.stderr):
        yield
        return
    shown = threading.Event()

    def show() -> None:
        try:
            sys.stderr.write(f"keras-rescaling-patch: {what}...")
            sys.stderr.flush()
            shown.set()
        except OSError:
            pass

    timer = threading.Timer(after, show)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if shown.is_set():
            clear_line()


def clear_line() -> None:
    """Take away what a terminal's stderr shows on its current line."""
    try:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
    except OSError:
        pass


def _is_a_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
