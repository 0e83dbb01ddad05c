"""Scan one file or many, local or remote, by the same code.

A local file is read through its descriptor (``files/keras_file.py``); a
remote one through ranged reads (``files/ranged.py``), so its weights are
never fetched: the end of the archive and ``config.json``, in at most three
requests (the size, the end, the member). Both then go through the same
``read_model`` and the same walk of the config, with the same limits.

Many files are scanned by a few worker threads (``jobs``), fed from a
bounded queue so that a listing of millions of objects is never held in
memory, and reported as each finishes. A file that fails is a report with
its reason; a file that takes longer than its deadline (a server that
stops answering mid-file) is reported as timed out and left behind, and
the scan goes on.
"""

from __future__ import annotations

import io
import queue
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from keras_rescaling_patch.files import keras_file, locations, ranged, remote, scan
from keras_rescaling_patch.files.reports import FileReport

DEFAULT_TIMEOUT = 30.0
LOCAL_JOBS = 1  # reading small local files is CPU-bound: threads only add cost
REMOTE_JOBS = 16  # remote reads wait on the network: overlap them


@dataclass(frozen=True)
class Limits:
    """What one file may cost (the command line's ``--max-*`` options)."""

    max_config_bytes: int = keras_file.DEFAULT_MAX_CONFIG_BYTES
    max_read_bytes: int = keras_file.DEFAULT_MAX_READ_BYTES
    timeout: float = DEFAULT_TIMEOUT

    @property
    def budget(self) -> int:
        """Bytes a remote file may cost in all."""
        config = self.max_config_bytes + self.max_config_bytes // 100 + 4096
        return ranged.TAIL_BYTES + ranged.MIN_FETCH_BYTES + self.max_read_bytes + config

    @property
    def deadline(self) -> float:
        """Seconds one remote file may take in all (a few requests)."""
        return 4 * self.timeout


class _Counted(io.RawIOBase):
    """A local file's stream that notes which bytes are read through it
    (zipfile reads some twice: they count once)."""

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


def _covered(spans: list[tuple[int, int]]) -> int:
    """How many bytes the spans cover together."""
    total, reached = 0, 0
    for start, end in sorted(spans):
        if end > reached:
            total += end - max(start, reached)
            reached = end
    return total


class _LocalSource:
    """A local model file, read through a counting stream."""

    def __init__(self, source: keras_file.ModelSource) -> None:
        self._counter = _Counted(source.stream)
        self.stream: IO[bytes] = self._counter  # type: ignore[assignment]
        self.size = source.size
        self.mappable = source.mappable

    def bytes_read(self, mapped: int = 0) -> int:
        """Bytes of the file read, each once, with the first ``mapped``
        bytes looked at through a memory map."""
        return _covered([*self._counter.spans, (0, mapped)])


class _RemoteSource:
    """A remote model file, read through ranged reads."""

    def __init__(self, reader: ranged.RangeReader) -> None:
        self.stream: IO[bytes] = reader  # type: ignore[assignment]
        self.size = reader.seek(0, io.SEEK_END)
        reader.seek(0)
        self.mappable = None


def _format(model: keras_file.ModelFile) -> str:
    if model.legacy_hdf5:
        return "hdf5"
    return "keras" if model.archive is not None else "json"


def _report(name: str, model: keras_file.ModelFile, **counts: Any) -> FileReport:
    found = scan.scan_config(model.config)
    return FileReport(
        name,
        format=_format(model),
        affected=found.affected,
        suspect=found.suspect,
        other=found.other,
        **counts,
    )


def scan_local(path: str, limits: Limits) -> FileReport:
    """Scan a local file (never raises for a problem with the file)."""
    source: _LocalSource | None = None
    try:
        with keras_file.open_source(path) as opened:
            source = _LocalSource(opened)
            model = keras_file.read_model(
                source, limits.max_config_bytes, limits.max_read_bytes
            )
        read = source.bytes_read(model.mapped_bytes)
        return _report(path, model, bytes_read=read, size=source.size)
    except keras_file.UnreadableModel as error:
        return FileReport(
            path, error=str(error), bytes_read=source.bytes_read() if source else 0
        )


def scan_remote(url: str, limits: Limits, size: int | None = None) -> FileReport:
    """Scan a remote file by ranged reads (never raises for a problem with it)."""
    reader: ranged.RangeReader | None = None
    handle: remote.RemoteFile | None = None
    try:
        handle = remote.open_file(url, limits.timeout)
        total = size if size is not None else handle.backend.size()
        reader = ranged.RangeReader(handle.backend.fetch, total, budget=limits.budget)
        model = keras_file.read_model(
            _RemoteSource(reader), limits.max_config_bytes, limits.max_read_bytes
        )
        return _report(
            url, model, bytes_read=reader.bytes_fetched, requests=handle.requests,
            remote=True, size=total,
        )  # fmt: skip
    except keras_file.UnreadableModel as error:
        why = str(error)
    except remote.RemoteUnavailable as error:
        why = str(error)
    except FileNotFoundError:
        why = "no such file"
    except PermissionError:
        why = "cannot read it (access denied)"
    except OSError as error:
        why = f"cannot read it ({_one_line(error)})"
    except Exception as error:  # noqa: BLE001 - any store's error is one line
        why = _one_line(error)
    return FileReport(
        url,
        error=why,
        bytes_read=reader.bytes_fetched if reader is not None else 0,
        requests=handle.requests if handle is not None else 0,
        remote=True,
    )


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:300] if text else type(error).__name__


def scan_location(location: locations.Location, limits: Limits) -> FileReport:
    if location.remote:
        return scan_remote(location.name, limits, location.size)
    return scan_local(location.name, limits)


def default_jobs(inputs: Iterable[str]) -> int:
    return REMOTE_JOBS if any(remote.is_remote(text) for text in inputs) else LOCAL_JOBS


def scan_many(
    inputs: Iterable[str],
    selection: locations.Selection | None = None,
    limits: Limits | None = None,
    jobs: int | None = None,
    *,
    skip: Collection[str] = (),
    on_skip: Callable[[str], object] | None = None,
    ordered: bool = True,
) -> Iterator[FileReport]:
    """Every file the inputs stand for, scanned, one report each.

    ``skip``: names not to scan (a resumed scan); ``on_skip`` is told each
    one met. ``ordered``: reports in the order the files were found;
    otherwise as each scan ends (with more than one job), which is what a
    stream of JSON lines wants.
    """
    names = list(inputs)
    selection = selection or locations.Selection()
    limits = limits or Limits()
    found = _without(locations.expand(names, selection, limits.timeout), skip, on_skip)
    count = jobs if jobs is not None else default_jobs(names)
    if count <= 1:
        for item in found:
            yield _scan_item(item, limits)
        return
    numbered = _Pool(count, limits).run(found)
    yield from (_in_order(numbered) if ordered else (r for _, r in numbered))


def _without(
    found: Iterator[locations.Location | locations.Problem],
    skip: Collection[str],
    on_skip: Callable[[str], object] | None,
) -> Iterator[locations.Location | locations.Problem]:
    for item in found:
        if isinstance(item, locations.Location) and item.name in skip:
            if on_skip is not None:
                on_skip(item.name)
            continue
        yield item


def _in_order(numbered: Iterator[tuple[int, FileReport]]) -> Iterator[FileReport]:
    """Reports by their number, 1, 2, 3..., whatever order they come in."""
    waiting: dict[int, FileReport] = {}
    expected = 1
    for number, report in numbered:
        waiting[number] = report
        while expected in waiting:
            yield waiting.pop(expected)
            expected += 1


def _scan_item(
    item: locations.Location | locations.Problem, limits: Limits
) -> FileReport:
    if isinstance(item, locations.Problem):
        return FileReport(item.name, error=item.reason)
    return scan_location(item, limits)


class _Pool:
    """Worker threads over a bounded queue, with a deadline per file.

    Daemon threads: one stuck in a transport without a time limit of its
    own never keeps the process from ending; its file is reported as timed
    out and a new thread takes its place.
    """

    def __init__(self, jobs: int, limits: Limits) -> None:
        self.jobs = jobs
        self.limits = limits
        self.work: queue.Queue[Any] = queue.Queue(maxsize=jobs * 4)
        self.done: queue.Queue[tuple[int, FileReport]] = queue.Queue()
        self.started: dict[int, tuple[float, str]] = {}
        self.lock = threading.Lock()
        self.total: int | None = None  # known once the listing has ended

    def _worker(self) -> None:
        while True:
            job = self.work.get()
            if job is None:
                return
            number, item = job
            with self.lock:
                self.started[number] = (time.monotonic(), item.name)
            report = _scan_item(item, self.limits)
            with self.lock:
                if self.started.pop(number, None) is None:
                    continue  # already reported as timed out
            self.done.put((number, report))

    def _spawn(self) -> None:
        threading.Thread(target=self._worker, daemon=True).start()

    def _feed(self, found: Iterator[locations.Location | locations.Problem]) -> None:
        number = 0
        try:
            for number, item in enumerate(found, 1):
                self.work.put((number, item))
        except Exception as error:  # noqa: BLE001 - the listing's failure is a report
            number += 1
            self.done.put((number, FileReport("(listing)", error=_one_line(error))))
        finally:
            self.total = number
            for _ in range(self.jobs):
                self.work.put(None)

    def run(
        self, found: Iterator[locations.Location | locations.Problem]
    ) -> Iterator[tuple[int, FileReport]]:
        for _ in range(self.jobs):
            self._spawn()
        threading.Thread(target=self._feed, args=(found,), daemon=True).start()
        reported = 0
        while self.total is None or reported < self.total:
            try:
                yield self.done.get(timeout=0.2)
                reported += 1
            except queue.Empty:
                for late in self._overdue():
                    reported += 1
                    yield late

    def _overdue(self) -> list[tuple[int, FileReport]]:
        now = time.monotonic()
        late = []
        with self.lock:
            for number, (began, name) in list(self.started.items()):
                if now - began > self.limits.deadline:
                    del self.started[number]
                    late.append((number, name))
        for _ in late:
            self._spawn()  # the stuck thread's replacement
        return [
            (
                number,
                FileReport(name, error=f"timed out after {self.limits.deadline:g} s"),
            )
            for number, name in late
        ]
