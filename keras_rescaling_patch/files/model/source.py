"""What the model formats read from, and what they say when they cannot.

The formats never open anything: they read a :class:`Readable` that a
store opened (a local file through its descriptor, a remote object through
ranged reads), so the code that judges a local file judges a remote one.
"""

from __future__ import annotations

from typing import IO, Protocol

from keras_rescaling_patch.files.problems import FileProblem


class UnreadableModel(FileProblem):
    """The bytes are not a model this tool can read; the message says why."""


class Readable(Protocol):
    """A seekable binary stream of known size.

    ``stream.prefetch(start, end)`` (optional) is told which bytes come
    next, so a remote stream fetches them in one request. ``mappable``: the
    stream's descriptor, where the whole file may be memory-mapped (a local
    file), else ``None``.
    """

    @property
    def stream(self) -> IO[bytes]: ...

    @property
    def size(self) -> int: ...

    @property
    def mappable(self) -> int | None: ...
