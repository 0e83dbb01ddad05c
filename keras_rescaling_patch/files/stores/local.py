"""A local file, opened once and safely; everything is read through it.

The file tools treat every file as hostile, and a file can change while it
is read. So a file is opened once, without blocking (a FIFO or a device is
refused, not waited on), and the bytes examined, copied and backed up are
those of that one open file, even if the path is replaced meanwhile:
:class:`LocalFile` keeps the file's :class:`Identity`, which ``repair``
compares with the path's before it publishes. The stream counts the bytes
read through it, each once (zipfile reads some twice), for ``bytes_read``.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from keras_rescaling_patch.files.problems import FileProblem


class CannotOpen(FileProblem):
    """The path names no regular file that can be read; the message says why."""


@dataclass(frozen=True)
class Identity:
    """What tells one file from another, and a changed file from itself."""

    device: int
    inode: int
    size: int
    modified_ns: int

    @classmethod
    def of(cls, status: os.stat_result) -> Identity:
        return cls(status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


class _Counted(io.RawIOBase):
    """A file's stream that notes which bytes are read through it."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self._stream = stream
        self.spans: list[tuple[int, int]] = []

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def readinto(self, buffer: Any) -> int:
        start = self._stream.tell()
        count = int(self._stream.readinto(buffer) or 0)  # type: ignore[attr-defined]
        if count:
            self.spans.append((start, start + count))
        return count


def covered(spans: list[tuple[int, int]]) -> int:
    """How many bytes the spans cover together."""
    total, reached = 0, 0
    for start, end in sorted(spans):
        if end > reached:
            total += end - max(start, reached)
            reached = end
    return total


class LocalFile:
    """A file opened once for reading (a ``Readable`` for the formats)."""

    def __init__(self, path: str, raw: IO[bytes]) -> None:
        self.path = path
        self._raw = raw
        self._counter = _Counted(raw)
        self.stream: IO[bytes] = self._counter  # type: ignore[assignment]
        self.status = os.fstat(raw.fileno())
        self.identity = Identity.of(self.status)

    @property
    def descriptor(self) -> int:
        return self._raw.fileno()

    @property
    def size(self) -> int:
        return self.status.st_size

    @property
    def mappable(self) -> int | None:
        return self.descriptor

    def bytes_read(self, mapped: int = 0) -> int:
        """Bytes read, each once, with the first ``mapped`` bytes looked at
        through a memory map."""
        return covered([*self._counter.spans, (0, mapped)])

    def unchanged(self) -> bool:
        """The open file still has the size and time it had when opened."""
        return Identity.of(os.fstat(self.descriptor)) == self.identity

    def still_at_path(self) -> bool:
        """The path still names this very file, unchanged."""
        try:
            return Identity.of(os.stat(self.path)) == self.identity
        except OSError:
            return False


BROKEN_LINK = "is a broken symbolic link"


def _link_problem(path: str) -> CannotOpen:
    """ELOOP: a loop of links, or (not following links) a link at all."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return CannotOpen(BROKEN_LINK)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return CannotOpen("is a symbolic link loop")
    return CannotOpen("is a symbolic link; pass the file it points to")


@contextmanager
def open_local(path: str, *, follow_symlinks: bool = True) -> Iterator[LocalFile]:
    """Open ``path`` for reading, refusing anything but a regular file.

    ``follow_symlinks=False`` refuses a symbolic link (where the file will
    be written to, a link would be replaced by a regular file). FIFOs and
    devices are opened without blocking and refused.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        if os.path.islink(path):  # scan's listing says the same of it
            raise CannotOpen(BROKEN_LINK) from None
        raise CannotOpen("no such file") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise _link_problem(path) from None
        raise CannotOpen(f"cannot read it ({error.strerror or error})") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise CannotOpen("is a folder, not a model file")
        if not stat.S_ISREG(mode):
            raise CannotOpen("is not a regular file")
        if not follow_symlinks and os.path.islink(path):
            raise _link_problem(path)
    except BaseException:
        os.close(descriptor)
        raise
    with os.fdopen(descriptor, "rb") as raw:
        yield LocalFile(path, raw)
