"""What every remote store offers: the one protocol the stores implement.

A store reads an object by its size and ranges (:class:`ObjectReader`),
lists what a URL stands for, and moves whole files in and out
(:class:`Store`); ``stores/schemes.py`` picks the store of a URL.
:class:`RemoteFile` is what the formats read: a stream over ranged reads.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from keras_rescaling_patch.files.problems import FileProblem
from keras_rescaling_patch.files.stores.location import Url
from keras_rescaling_patch.files.stores.ranged import RangeReader


class RemoteUnavailable(FileProblem):
    """The URL cannot be used here (a package is missing, an unknown scheme,
    a listing or a write the store cannot do); the message says what to do."""


@dataclass(frozen=True)
class Listed:
    """A file a URL names (``below`` is ``None``), or one found under a prefix
    or by a pattern (``below``: its path below the prefix, or below the
    pattern's fixed part; only model files are taken from those)."""

    url: str
    below: str | None
    size: int | None = None  # when the listing said it


class ObjectReader(Protocol):
    """One remote object: its size, any range of its bytes, and how many
    requests that took."""

    requests: int

    def size(self) -> int: ...

    def fetch(self, start: int, end: int) -> bytes: ...


class Store(Protocol):
    """Where URLs of one kind lead."""

    def reader(self, url: Url) -> ObjectReader: ...

    def list(self, url: Url) -> Iterator[Listed]: ...

    def exists(self, url: Url) -> bool: ...

    def download(self, url: Url, destination: Path) -> None: ...

    def upload(self, source: Path, url: Url, *, replace: bool) -> None: ...


class RemoteFile:
    """A remote object of ``size`` bytes as the formats read it: only the
    bytes looked at are fetched, within ``budget`` bytes."""

    def __init__(self, reader: ObjectReader, size: int, budget: int) -> None:
        self.ranges = RangeReader(reader.fetch, size, budget=budget)
        self.stream: IO[bytes] = self.ranges  # type: ignore[assignment]
        self.size = size
        self.mappable: int | None = None
        self.ranges.seek(0, io.SEEK_SET)

    @property
    def bytes_read(self) -> int:
        return self.ranges.bytes_fetched
