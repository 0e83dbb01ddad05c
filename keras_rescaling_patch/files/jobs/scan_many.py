"""Scan the files many inputs stand for, each as ``scan_file`` does one.

Many files are scanned by a few worker threads (``jobs``), fed from a
bounded queue so that a listing of millions of objects is never held in
memory, and reported as each finishes. A file that fails is a report with
its reason; a file that takes longer than its deadline (a server that
stops answering mid-file) is reported as timed out and left behind, and
the scan goes on.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from keras_rescaling_patch.files.jobs.batches import in_order, without
from keras_rescaling_patch.files.jobs.scan_file import deadline, scan_location
from keras_rescaling_patch.files.options import (
    LOCAL_JOBS,
    REMOTE_JOBS,
    Judging,
    Limits,
    ScanOptions,
)
from keras_rescaling_patch.files.problems import message, one_line
from keras_rescaling_patch.files.reports.scan_report import FileReport
from keras_rescaling_patch.files.stores.listing import (
    Found,
    Listing,
    Selection,
    Unlisted,
    expand,
)
from keras_rescaling_patch.files.stores.location import Location


def default_jobs(inputs: Iterable[Location]) -> int:
    """Remote reads wait on the network: with a URL among the inputs, many."""
    return REMOTE_JOBS if any(item.remote for item in inputs) else LOCAL_JOBS


def scan_many(inputs: Iterable[Location], options: ScanOptions) -> Iterator[FileReport]:
    """Every file the inputs stand for, scanned, one report each.

    ``options.skip``: names not to scan (a resumed scan), each one met told
    to ``options.on_skip``. ``options.ordered``: reports in the order the
    files were found; otherwise as each scan ends (with more than one job),
    which is what a stream of JSON lines wants.
    """
    locations = list(inputs)
    limits = options.limits
    selection = Selection(tuple(options.include), tuple(options.exclude))
    found = without(
        expand(locations, selection, limits.timeout), options.skip, options.on_skip
    )
    count = options.jobs if options.jobs is not None else default_jobs(locations)
    if count <= 1:
        for item in found:
            yield _scan_item(item, limits, options.judging)
        return
    numbered = _Pool(count, limits, options.judging).run(found)
    yield from (in_order(numbered) if options.ordered else (r for _, r in numbered))


def _scan_item(item: Found | Unlisted, limits: Limits, judging: Judging) -> FileReport:
    if isinstance(item, Unlisted):
        return FileReport(item.name, problem=item.reason)
    return scan_location(item.location, limits, item.size, judging)


class _Pool:
    """Worker threads over a bounded queue, with a deadline per file.

    Daemon threads: one stuck in a transport without a time limit of its
    own never keeps the process from ending; its file is reported as timed
    out and a new thread takes its place.
    """

    def __init__(self, jobs: int, limits: Limits, judging: Judging) -> None:
        self.jobs = jobs
        self.limits = limits
        self.judging = judging
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
            report = _scan_item(item, self.limits, self.judging)
            with self.lock:
                if self.started.pop(number, None) is None:
                    continue  # already reported as timed out
            self.done.put((number, report))

    def _spawn(self) -> None:
        threading.Thread(target=self._worker, daemon=True).start()

    def _feed(self, found: Listing) -> None:
        number = 0
        try:
            for number, item in enumerate(found, 1):
                self.work.put((number, item))
        except Exception as error:  # noqa: BLE001 - the listing's failure is a report
            number += 1
            failed = FileReport("(listing)", problem=message(one_line(error)))
            self.done.put((number, failed))
        finally:
            self.total = number
            for _ in range(self.jobs):
                self.work.put(None)

    def run(self, found: Listing) -> Iterator[tuple[int, FileReport]]:
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
                if now - began > deadline(self.limits):
                    del self.started[number]
                    late.append((number, name))
        for _ in late:
            self._spawn()  # the stuck thread's replacement
        timed_out = message(f"timed out after {deadline(self.limits):g} s")
        return [(number, FileReport(name, problem=timed_out)) for number, name in late]
