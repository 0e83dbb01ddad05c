"""The ranged reader: the bytes of the file, fetched once, in few requests."""

from __future__ import annotations

import io
import itertools
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keras_rescaling_patch.files.stores import ranged


class Fetcher:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.calls: list[tuple[int, int]] = []

    def __call__(self, start: int, end: int) -> bytes:
        assert 0 <= start < end <= len(self.data), (start, end)
        self.calls.append((start, end))
        return self.data[start:end]


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 400_000),
    reads=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 70_000)), max_size=12),
)
def test_every_read_gives_the_files_bytes_and_nothing_is_fetched_twice(
    size: int, reads: list[tuple[float, int]]
) -> None:
    data = bytes(range(256)) * (size // 256 + 1)
    data = data[:size]
    fetch = Fetcher(data)
    reader = ranged.RangeReader(fetch, size)
    for fraction, length in reads:
        start = int(fraction * size)
        reader.seek(start)
        assert reader.read(length) == data[start : start + length]
    fetched = sorted(fetch.calls)
    for (_, end), (start, _) in itertools.pairwise(fetched):
        assert end <= start, "a byte was fetched twice"
    assert reader.bytes_fetched == sum(end - start for start, end in fetched)
    assert reader.requests == len(fetched)


def test_zipfile_reads_a_big_archive_in_two_requests() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", b'{"a": 1}')
        archive.writestr("model.weights.h5", b"\0" * (4 << 20))
    data = buffer.getvalue()
    fetch = Fetcher(data)
    reader = ranged.RangeReader(fetch, len(data))
    with zipfile.ZipFile(reader) as archive:
        info = archive.getinfo("config.json")
        reader.prefetch(info.header_offset, info.header_offset + 30 + 11 + 256 + 8)
        assert archive.read("config.json") == b'{"a": 1}'
    assert reader.requests == 2  # the tail (end record, directory), the member
    assert reader.bytes_fetched < ranged.TAIL_BYTES + 400


def test_a_budget_bounds_the_bytes_fetched() -> None:
    reader = ranged.RangeReader(Fetcher(b"x" * 1_000_000), 1_000_000, budget=200_000)
    reader.seek(900_000)
    reader.read(10)  # the tail: 128 KiB
    reader.seek(0)
    with pytest.raises(ranged.ReadBudgetExceeded, match="more than 200000 bytes"):
        reader.read(300_000)
    assert reader.bytes_fetched <= 200_000
