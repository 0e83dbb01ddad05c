"""From what the user typed to the files to scan.

``scan`` takes any mix of files, folders, glob patterns and URLs. A file
named explicitly is scanned whatever its name (a bare model ``.json``
included); from a folder, a URL prefix or a pattern only model files are
taken: ``.keras``, ``.h5`` and ``.hdf5``, narrowed further by ``--include``
and ``--exclude`` patterns matched against the path below the folder (or
the whole URL). Folders are walked depth first in sorted order, following
symbolic links but never twice into the same folder; a link loop or an
unreadable folder is a :class:`Problem` to report, and the walk goes on.

Nothing here reads a model; listing a URL imports fsspec, a local path
never does.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from keras_rescaling_patch.files import remote

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


@dataclass(frozen=True)
class Location:
    """One file to scan: a local path, or a URL (``remote``)."""

    name: str  # as reported: the path as given or walked, or the URL
    remote: bool = False
    size: int | None = None  # when a listing said it


@dataclass(frozen=True)
class Problem:
    """Something named or met that cannot be scanned, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class Selection:
    """Which files a folder, prefix or pattern contributes."""

    include: Sequence[str] = ()
    exclude: Sequence[str] = ()

    def takes(self, relative: str, pattern: str = "") -> bool:
        """Whether the file at ``relative`` is scanned: a model file, or one
        whose ending the ``pattern`` it was matched by spells out
        (``models/*.json`` takes model ``.json`` files)."""
        suffixes = MODEL_SUFFIXES + _spelled_suffix(pattern)
        if not relative.lower().endswith(suffixes):
            return False
        if self.include and not any(fnmatch.fnmatch(relative, p) for p in self.include):
            return False
        return not any(fnmatch.fnmatch(relative, p) for p in self.exclude)


def _spelled_suffix(pattern: str) -> tuple[str, ...]:
    """``(".json",)`` for ``a/**/*.json``: an ending without wildcards."""
    last = pattern.rsplit("/", 1)[-1]
    _, dot, ending = last.rpartition(".")
    if not dot or not ending or glob.has_magic(ending):
        return ()
    return (f".{ending.lower()}",)


def expand(
    inputs: Iterable[str], selection: Selection, timeout: float
) -> Iterator[Location | Problem]:
    """Every file the inputs stand for, in order, and every problem met."""
    for text in inputs:
        if remote.is_remote(text):
            yield from _expand_url(text, selection, timeout)
        else:
            yield from _expand_path(remote.local_path(text), selection)


def _expand_url(
    url: str, selection: Selection, timeout: float
) -> Iterator[Location | Problem]:
    try:
        for listed in remote.list_files(url, timeout):
            if not listed.walked or selection.takes(listed.url, url):
                yield Location(listed.url, remote=True, size=listed.size)
    except remote.RemoteUnavailable as error:
        yield Problem(url, str(error))
    except FileNotFoundError:
        yield Problem(url, "no such file or prefix")
    except Exception as error:  # noqa: BLE001 - any store's error is one line
        yield Problem(url, f"cannot list it ({_describe(error)})")


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return text or type(error).__name__


def _expand_path(path: str, selection: Selection) -> Iterator[Location | Problem]:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        if glob.has_magic(path):
            yield from _expand_pattern(path, selection)
        elif os.path.islink(path):
            yield Problem(path, "is a broken symbolic link")
        else:
            yield Location(path)  # reading it says "no such file"
        return
    except OSError as error:
        yield Problem(path, f"cannot read it ({error.strerror or error})")
        return
    if stat.S_ISDIR(status.st_mode):
        yield from _at_least_one(walk(path, selection), path, "is a folder", selection)
    else:
        yield Location(path)


EMPTY = "holding no model file to scan (.keras, .h5, .hdf5{narrowed})"


def _at_least_one(
    found: Iterator[Location | Problem],
    name: str,
    what: str,
    selection: Selection | None = None,
) -> Iterator[Location | Problem]:
    """``found``, or a problem saying that ``name`` gave no file to scan:
    pointing a scan at nothing is a mistake worth a non-zero exit."""
    any_file = False
    for item in found:
        any_file = any_file or isinstance(item, Location)
        yield item
    if not any_file:
        narrowed = (
            ", as narrowed by --include/--exclude"
            if selection and (selection.include or selection.exclude)
            else ""
        )
        yield Problem(name, f"{what} {EMPTY.format(narrowed=narrowed)}")


def _expand_pattern(pattern: str, selection: Selection) -> Iterator[Location | Problem]:
    matched = False
    for found in sorted(glob.iglob(pattern, recursive=True)):
        matched = True
        if os.path.isdir(found):
            yield from walk(found, selection)
        elif selection.takes(found, pattern):
            yield Location(found)
    if not matched:
        yield Problem(pattern, "matches no file")


def walk(root: str, selection: Selection) -> Iterator[Location | Problem]:
    """The model files under ``root``, depth first, in sorted order.

    Symbolic links are followed. A link back to a folder it is inside (a
    loop) is reported and not followed; a folder reached again by another
    way is walked once.
    """
    try:
        first = os.stat(root)
    except OSError as error:
        yield Problem(root, f"cannot read it ({error.strerror or error})")
        return
    top = (first.st_dev, first.st_ino)
    seen = {top}
    stack: list[tuple[str, frozenset[tuple[int, int]]]] = [(root, frozenset({top}))]
    while stack:
        folder, ancestors = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            yield Problem(
                folder, f"cannot read this folder ({error.strerror or error})"
            )
            continue
        below = []
        for entry in entries:
            try:
                status = entry.stat()  # follows a symbolic link
            except OSError as error:
                why = (
                    "is a broken symbolic link"
                    if entry.is_symlink()
                    else (f"cannot read it ({error.strerror or error})")
                )
                yield Problem(entry.path, why)
                continue
            if stat.S_ISDIR(status.st_mode):
                key = (status.st_dev, status.st_ino)
                if key in ancestors:
                    yield Problem(entry.path, "is a symbolic link loop; not followed")
                elif key not in seen:
                    seen.add(key)
                    below.append((entry.path, ancestors | {key}))
                continue
            relative = os.path.relpath(entry.path, root).replace(os.sep, "/")
            if stat.S_ISREG(status.st_mode) and selection.takes(relative):
                yield Location(entry.path)
        stack.extend(reversed(below))
