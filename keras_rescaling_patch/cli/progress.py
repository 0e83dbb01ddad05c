"""A progress bar for long file operations, only where someone watches.

Copying a model of a few hundred megabytes takes seconds; a bar on the
terminal tells the person waiting that it is moving. Pipelines and logs
get nothing: the bar is drawn only on a terminal and only for big files,
and ``rich`` (which Keras installs) is imported only then.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

SHOW_ABOVE_BYTES = 100 * 1024 * 1024


@contextlib.contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """Yield a callback taking a byte count; draws on stderr when it helps."""
    if total <= SHOW_ABOVE_BYTES or not sys.stderr.isatty():
        yield lambda advance: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda advance: bar.advance(task, advance)
