"""Repair the files many inputs stand for, each as ``repair_file`` does one.

From folders, glob patterns and URL prefixes (as ``scan`` takes them), each
file is repaired into an output folder or prefix that mirrors its place
below the input it was found in (a file named on its own goes there by its
own name), or in place with its backup. Every guarantee of one repair
holds for each: streamed, atomic, never over something that changed
meanwhile, never a partial output. Two files whose results would land on
the same output are never both written: the second is an error.

A few worker threads (``jobs``) take files from the listing as it comes
(each repair waits on the disk or the network as much as it computes); a
report is given back for each, as its repair ends or (``ordered``) in the
order the files were found. Setting ``stop`` starts no further file; those
under way finish and are reported, so a run cut short and resumed
(``skip``: what it reported) writes every output once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace

from keras_rescaling_patch.files.jobs.batches import in_order, without
from keras_rescaling_patch.files.jobs.repair_file import repair_file
from keras_rescaling_patch.files.options import (
    LOCAL_JOBS,
    OUTPUT,
    REMOTE_JOBS,
    BatchOptions,
    RepairOptions,
    SettingError,
)
from keras_rescaling_patch.files.problems import message, one_line
from keras_rescaling_patch.files.reports.repair_report import ERROR, RepairReport
from keras_rescaling_patch.files.stores.listing import (
    Found,
    Selection,
    Unlisted,
    expand,
)
from keras_rescaling_patch.files.stores.location import (
    LocalPath,
    Location,
    Url,
    has_magic,
)
from keras_rescaling_patch.files.stores.patterns import fixed_part


def names_one_file(location: Location) -> bool:
    """Whether an input names one file, rather than a folder, a prefix or a
    pattern (a repair of one file writes to an output file, not a folder)."""
    if isinstance(location, Url):
        return not location.names_folder and not has_magic(location.text)
    path = location.path
    return not (has_magic(path) or path.endswith("/") or os.path.isdir(path))


def output_for(found: Found, root: Location) -> Location:
    """Where a file's result goes below ``root``: its place below the input
    it was found in, or its own name."""
    below = found.below or _basename(found.location)
    if isinstance(root, Url):
        return Url(f"{root.text.rstrip('/')}/{below}", root.scheme)
    return LocalPath(os.path.join(root.text, below), os.path.join(root.path, below))


DONE = ("repaired", "copied", "unchanged")


def done_here(
    previous: Mapping[str, tuple[str, int, str | None]], root: Location | None
) -> dict[str, int]:
    """Of a previous run's results (file -> status, exit code, output), the
    files this run need not take again, with their exit codes: those done
    into this run's output folder (``root``; ``None``: in place). A file
    refused, failed, or written elsewhere is taken again."""
    skip = {}
    for file, (status, code, output) in previous.items():
        if status in DONE and _written_here(file, output, root):
            skip[file] = code
    return skip


def _written_here(file: str, output: str | None, root: Location | None) -> bool:
    if root is None:  # in place: the file itself, or left as it was
        return output in (None, file)
    if output is None:
        return False
    if isinstance(root, Url):
        return output.startswith(root.text.rstrip("/") + "/")
    folder = os.path.abspath(root.path)
    return os.path.abspath(output).startswith(folder.rstrip(os.sep) + os.sep)


def _stays_below(found: Found) -> bool:
    """Whether a file's place below its input names a place below the
    output too: an object store's key may hold ``..`` or start with ``/``,
    which must not lead a result out of the output folder."""
    if found.below is None:
        return True
    parts = found.below.split("/")
    return bool(found.below) and all(part not in ("", ".", "..") for part in parts)


def _basename(location: Location) -> str:
    if isinstance(location, Url):
        return location.basename
    return os.path.basename(location.path.rstrip("/")) or location.path


def _check_root(root: Location, inputs: list[Location]) -> None:
    """Refuse an output folder that is a file, or that an input would walk
    into: its results would be taken as inputs of the same run."""
    if isinstance(root, LocalPath) and os.path.exists(root.path):
        if not os.path.isdir(root.path):
            raise SettingError(
                OUTPUT,
                root.text,
                problem=message(
                    f"{root.text} is a file; many files are written into a folder"
                ),
            )
    for item in inputs:
        if isinstance(root, Url) and isinstance(item, Url):
            inside = (root.text.rstrip("/") + "/").startswith(
                item.text.rstrip("/") + "/"
            ) and not names_one_file(item)
        elif isinstance(root, LocalPath) and isinstance(item, LocalPath):
            folder = item.path if os.path.isdir(item.path) else None
            if has_magic(item.path):
                folder = fixed_part(item.path)[0] or "."
            inside = folder is not None and _within(root.path, folder)
        else:
            inside = False
        if inside:
            raise SettingError(
                OUTPUT,
                root.text,
                problem=message(
                    f"{root.text} lies within the input {item.text}: its results "
                    "would be taken as inputs; write them outside it"
                ),
            )


def _within(path: str, folder: str) -> bool:
    inner, outer = os.path.realpath(path), os.path.realpath(folder)
    return inner == outer or inner.startswith(outer.rstrip(os.sep) + os.sep)


class _Outputs:
    """The outputs this run has given out: one file each, at most."""

    def __init__(self) -> None:
        self._taken: dict[str, str] = {}
        self._lock = threading.Lock()

    def claim(self, output: Location, source: str) -> str | None:
        """The input that already has ``output``, if one has."""
        key = output.path if isinstance(output, LocalPath) else output.text
        key = os.path.normpath(key) if isinstance(output, LocalPath) else key
        with self._lock:
            first = self._taken.get(key)
            if first is None:
                self._taken[key] = source
            return first


def _repair_one(
    item: Found | Unlisted,
    root: Location | None,
    options: RepairOptions,
    outputs: _Outputs,
) -> RepairReport:
    if isinstance(item, Unlisted):
        problem = message(f"{item.name}: ") + item.reason + message("; nothing written")
        return RepairReport(item.name, ERROR, problem=problem)
    if root is not None and not _stays_below(item):
        return RepairReport(
            item.name,
            ERROR,
            problem=message(
                f"{item.name}: its name below the input ({item.below!r}) would "
                "leave the output folder; nothing written"
            ),
        )
    output = None if root is None else output_for(item, root)
    if output is not None:
        first = outputs.claim(output, item.name)
        if first is not None:
            return RepairReport(
                item.name,
                ERROR,
                problem=message(
                    f"{item.name}: its output {output.text} is the output of "
                    f"{first} too; nothing written"
                ),
            )
    if isinstance(output, LocalPath):  # the folders of the layout mirrored
        folder = os.path.dirname(output.path) or "."
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as error:
            why = error.strerror or one_line(error)
            return RepairReport(
                item.name,
                ERROR,
                problem=message(
                    f"{item.name}: cannot make the output's folder {folder}: "
                    f"{why}; nothing written"
                ),
            )
    report = repair_file(item.location, output, options)
    if report.error is not None and not report.error.startswith(item.name):
        # Among many files, every line names the file it is about.
        assert report.problem is not None
        report = replace(report, problem=message(f"{item.name}: ") + report.problem)
    return report


def repair_many(
    inputs: Iterable[Location],
    root: Location | None,
    options: RepairOptions,
    batch: BatchOptions,
) -> Iterator[RepairReport]:
    """Every file the inputs stand for, repaired into ``root`` (``None``: in
    place, as ``options`` say), one report each. Raises ``SettingError``,
    before any work, for an output folder inside an input."""
    locations = list(inputs)
    if root is not None:
        _check_root(root, locations)
    return _reports(locations, root, options, batch)


def _reports(
    locations: list[Location],
    root: Location | None,
    options: RepairOptions,
    batch: BatchOptions,
) -> Iterator[RepairReport]:
    selection = Selection(tuple(batch.include), tuple(batch.exclude))
    found = without(
        expand(locations, selection, options.limits.timeout), batch.skip, batch.on_skip
    )
    jobs = batch.jobs or (
        REMOTE_JOBS if any(item.remote for item in locations) else LOCAL_JOBS
    )
    numbered = _run(found, root, options, batch, jobs)
    if batch.ordered:
        yield from in_order(numbered)
    else:
        yield from (report for _, report in numbered)


def _run(
    found: Iterable[Found | Unlisted],
    root: Location | None,
    options: RepairOptions,
    batch: BatchOptions,
    jobs: int,
) -> Iterator[tuple[int, RepairReport]]:
    """``(number, report)`` as each repair ends, ``jobs`` at a time, taking
    files from the listing only as workers free up."""
    outputs = _Outputs()
    if jobs == 1:  # no thread to wait on: the caller's own
        for number, item in enumerate(found, 1):
            if batch.stop.is_set():
                return
            yield number, _repair_one(item, root, options, outputs)
        return
    pending: dict[Future[RepairReport], int] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        number = 0
        for item in found:
            if batch.stop.is_set():
                break
            while len(pending) >= jobs:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                yield from _finished(pending, done)
            number += 1
            pending[pool.submit(_repair_one, item, root, options, outputs)] = number
        while pending:  # those under way finish, stopped or not
            done, _ = wait(pending)
            yield from _finished(pending, done)


def _finished(
    pending: dict[Future[RepairReport], int], done: set[Future[RepairReport]]
) -> Iterator[tuple[int, RepairReport]]:
    for future in done:
        yield pending.pop(future), future.result()
