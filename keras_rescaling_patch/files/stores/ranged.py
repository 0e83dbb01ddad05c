"""A read-only file over ranged reads: only the bytes looked at are fetched.

``zipfile`` reads an archive by seeking: the end-of-archive record, the
central directory, then one member. Over a network each seek that misses
would be a request, and a naive buffered reader fetches megabytes around
each. :class:`RangeReader` keeps the fetched ranges and fetches a missing
one in a single request: a read near the end fetches the whole tail
window at once (the end record and, for a model archive, the directory),
and a reader that knows what comes next says so with :meth:`prefetch`
(the archive reader does for ``config.json``). A budget bounds the bytes
fetched per file, whatever the file claims about itself.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from keras_rescaling_patch.files.options import MAX_CONFIG, MAX_READ
from keras_rescaling_patch.files.problems import LimitReached, message

# The end of an archive: its 22-byte end record, a comment of up to 64 KiB,
# and (for a Keras archive) a directory of a few hundred bytes.
TAIL_BYTES = 128 * 1024
# A miss elsewhere fetches at least this much.
MIN_FETCH_BYTES = 64 * 1024


class ReadBudgetExceeded(LimitReached):
    """More bytes were needed than the file may cost; the message says how many."""


class RangeReader(io.RawIOBase):
    """A seekable binary file of ``size`` bytes read with ``fetch(start, end)``.

    ``fetch`` returns ``end - start`` bytes (fewer only at the end of the
    object) and raises ``OSError`` when it cannot. ``requests`` and
    ``bytes_fetched`` count what it did; ``budget`` bounds the latter.
    """

    def __init__(
        self,
        fetch: Callable[[int, int], bytes],
        size: int,
        *,
        budget: int | None = None,
        tail: int = TAIL_BYTES,
        min_fetch: int = MIN_FETCH_BYTES,
    ) -> None:
        super().__init__()
        self._fetch = fetch
        self._size = size
        self._budget = budget
        self._tail = tail
        self._min_fetch = min_fetch
        self._ranges: list[tuple[int, bytes]] = []  # sorted, not overlapping
        self._position = 0
        self.requests = 0
        self.bytes_fetched = 0

    # -- the file protocol --------------------------------------------------

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        elif whence == io.SEEK_END:
            position = self._size + offset
        else:
            raise ValueError(f"invalid whence: {whence}")
        if position < 0:
            raise ValueError("negative seek position")
        self._position = position
        return position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._read_at(self._position, len(view))
        view[: len(data)] = data
        self._position += len(data)
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = max(0, self._size - self._position)
        data = self._read_at(self._position, size)
        self._position += len(data)
        return data

    # -- ranges -------------------------------------------------------------

    def prefetch(self, start: int, end: int) -> None:
        """Fetch ``[start, end)`` now, in one request, if not held yet (no
        more than asked: the caller knows what it needs)."""
        self._ensure(max(0, start), min(end, self._size), exact=True)

    def _read_at(self, start: int, length: int) -> bytes:
        end = min(start + length, self._size)
        if start >= end:
            return b""
        self._ensure(start, end)
        return self._slice(start, end)

    def _slice(self, start: int, end: int) -> bytes:
        parts = []
        position = start
        for first, data in self._ranges:
            last = first + len(data)
            if last <= position or first >= end:
                continue
            parts.append(data[position - first : min(end, last) - first])
            position = min(end, last)
            if position >= end:
                break
        return b"".join(parts)

    def _missing(self, start: int, end: int) -> tuple[int, int] | None:
        """The span from the first byte of ``[start, end)`` not held to the last."""
        holes = []
        position = start
        for first, data in self._ranges:
            last = first + len(data)
            if last <= position:
                continue
            if first >= end:
                break
            if first > position:
                holes.append((position, first))
            position = max(position, last)
        if position < end:
            holes.append((position, end))
        if not holes:
            return None
        return holes[0][0], holes[-1][1]

    def _ensure(self, start: int, end: int, *, exact: bool = False) -> None:
        missing = self._missing(start, end)
        if missing is None:
            return
        low, high = missing
        if exact:
            pass
        elif high > self._size - self._tail:  # near the end: the whole tail
            low, high = min(low, max(0, self._size - self._tail)), self._size
        elif high - low < self._min_fetch:
            high = min(self._size, low + self._min_fetch)
        low, high = self._trim(low, high)
        self._spend(high - low)
        self.requests += 1
        data = self._fetch(low, high)
        self.bytes_fetched += len(data)
        self._store(low, data)

    def _trim(self, low: int, high: int) -> tuple[int, int]:
        """Do not fetch again what is held at either end of ``[low, high)``."""
        for first, data in self._ranges:
            last = first + len(data)
            if first <= low < last:
                low = last
            if first < high <= last:
                high = first
        return low, max(low, high)

    def _spend(self, count: int) -> None:
        if self._budget is not None and self.bytes_fetched + count > self._budget:
            raise ReadBudgetExceeded(
                message(
                    f"reading it needs more than {self._budget} bytes (the limit "
                    "for one file; raise ",
                    MAX_CONFIG,
                    " or ",
                    MAX_READ,
                    " to allow more)",
                ),
                self._budget,
                MAX_CONFIG,
                MAX_READ,
            )

    def _store(self, start: int, data: bytes) -> None:
        if not data:
            return
        merged: list[tuple[int, bytes]] = []
        new_start, new_data = start, data
        for first, held in self._ranges:
            last = first + len(held)
            new_last = new_start + len(new_data)
            if last < new_start or first > new_last:
                merged.append((first, held))
                continue
            low = min(first, new_start)
            combined = bytearray(max(last, new_last) - low)
            combined[first - low : last - low] = held
            combined[new_start - low : new_last - low] = new_data
            new_start, new_data = low, bytes(combined)
        merged.append((new_start, new_data))
        merged.sort(key=lambda item: item[0])
        self._ranges = merged
