"""One progress line on a terminal's stderr, only where someone watches.

A scan of thousands of files or a repair of a model of gigabytes takes a
while; a line that keeps changing tells the person waiting that it moves.
Pipelines and logs get nothing: the line is drawn only when stderr is a
terminal, only once the work has taken long enough to be worth it, at most
a few times a second, and it is taken away when the work ends. The
standard library draws it: the package needs nothing else installed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from keras_rescaling_patch.cli.output import clear_line

# A repair of a smaller file is over before a line would help.
REPAIR_ABOVE_BYTES = 100 * 1024 * 1024
REFRESH_SECONDS = 0.2
# A copy's speed (and the time left) is shown once it has run this long.
SPEED_AFTER_SECONDS = 1.0


def _is_a_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class ProgressLine:
    """A line redrawn in place on stderr; ``show`` is cheap to call often.

    ``after``: seconds of work before the line first appears.
    """

    def __init__(self, *, enabled: bool = True, after: float = 0.0) -> None:
        self.stream = sys.stderr
        self.live = enabled and _is_a_terminal(self.stream)
        self.began = time.monotonic()
        self.after = after
        self.shown = 0.0

    def show(self, text: Callable[[], str]) -> None:
        """Redraw the line with ``text()`` (called only when it is drawn)."""
        if not self.live:
            return
        now = time.monotonic()
        if now - self.began < self.after or now - self.shown < REFRESH_SECONDS:
            return
        self.shown = now
        try:
            self.stream.write(f"\r\033[K{text()}")
            self.stream.flush()
        except OSError:
            self.live = False

    def close(self) -> None:
        if self.live and self.shown:
            clear_line()


@contextmanager
def progress_line(
    *, enabled: bool = True, after: float = 0.0
) -> Iterator[ProgressLine]:
    """A :class:`ProgressLine`, taken away when the block ends."""
    line = ProgressLine(enabled=enabled, after=after)
    try:
        yield line
    finally:
        line.close()


class BytesDone:
    """What a copy of ``total`` bytes shows: share, bytes, speed, time left."""

    def __init__(self, description: str, total: int) -> None:
        self.description = description
        self.total = total
        self.done = 0
        self.began = time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count

    def text(self) -> str:
        from keras_rescaling_patch.files.reports.text import size_text

        share = 100 * self.done / self.total if self.total else 100.0
        line = (
            f"{self.description}: {share:3.0f}% {size_text(self.done)} of "
            f"{size_text(self.total)}"
        )
        elapsed = time.monotonic() - self.began
        if elapsed < SPEED_AFTER_SECONDS or not self.done:
            return line  # too early for a speed worth showing
        speed = self.done / elapsed
        left = (self.total - self.done) / speed
        return f"{line}, {size_text(speed)}/s, {left:.0f} s left"


@contextmanager
def copy_progress(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A callback taking byte counts; draws a line for big files on a terminal."""
    done = BytesDone(description, total)
    with progress_line(enabled=total > REPAIR_ABOVE_BYTES) as line:

        def advance(count: int) -> None:
            done.advance(count)
            line.show(done.text)

        yield advance
