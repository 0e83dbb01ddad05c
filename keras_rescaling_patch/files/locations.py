"""From what the user typed to the files to scan.

``scan`` takes any mix of files, folders, glob patterns and URLs. A file
named explicitly is scanned whatever its name (a bare model ``.json``
included); from a folder, a URL prefix or a pattern only model files are
taken: ``.keras``, ``.h5`` and ``.hdf5`` (and the ending a pattern spells
out, ``*.json``), narrowed further by ``--include`` and ``--exclude``
patterns matched against the path below the folder (for a pattern, the
path below its fixed part; for a URL prefix, below the prefix). Folders are
walked depth first in sorted order, following symbolic links but never into
a folder twice; a local pattern is matched while walking its fixed part,
so ``**`` never follows a link loop either. A link loop, an unreadable
folder, a broken link that would have been taken, and an input that gives
no model file at all are each a :class:`Problem` to report; the walk goes
on.

Nothing here reads a model; listing a URL imports fsspec, a local path
never does.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
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

    def takes(self, relative: str, suffixes: tuple[str, ...] = MODEL_SUFFIXES) -> bool:
        """Whether the file at ``relative`` (below its folder) is scanned."""
        if not relative.lower().endswith(suffixes):
            return False
        if self.include and not any(fnmatch.fnmatch(relative, p) for p in self.include):
            return False
        return not self.excludes(relative)

    def excludes(self, relative: str) -> bool:
        """Whether ``--exclude`` leaves ``relative`` out (a folder: with all
        below it, as ``archive/*`` leaves out ``archive``)."""
        return any(
            fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(relative + "/", p)
            for p in self.exclude
        )


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
    """Every file the inputs stand for, in order, and every problem met.

    A file that several inputs name (``models/ models/prod/``, or
    ``./a.keras a.keras``) is given once, under the first name it was
    reached by, so it is scanned and counted once.
    """
    inputs = list(inputs)
    if len(inputs) < 2:  # one input never names a file twice: nothing to hold
        yield from _expand_all(inputs, selection, timeout)
        return
    given: set[bytes] = set()
    identity = _Identity()
    for item in _expand_all(inputs, selection, timeout):
        key = identity.of(item)
        if key not in given:
            given.add(key)
            yield item


class _Identity:
    """What tells two names of one file apart from two files: a URL as
    written (its scheme in lower case), a local path made absolute with its
    folder's symbolic links resolved (``/mnt/models/a.keras`` is
    ``/data/models/a.keras`` when ``/mnt/models`` links there). A link to a
    file keeps its own name: it is what the user asked about. Keys are
    digests, so a scan of millions of files holds 16 bytes for each."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def of(self, item: Location | Problem) -> bytes:
        name = item.name
        if remote.is_remote(name):
            scheme, rest = name.split("://", 1)
            key = f"{type(item).__name__} {scheme.lower()}://{rest}"
        else:
            folder, base = os.path.split(os.path.abspath(remote.local_path(name)))
            if folder not in self._folders:
                if len(self._folders) > 4096:
                    self._folders.clear()
                self._folders[folder] = os.path.realpath(folder)
            key = f"{type(item).__name__} {os.path.join(self._folders[folder], base)}"
        digest = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=16)
        return digest.digest()


def _expand_all(
    inputs: Iterable[str], selection: Selection, timeout: float
) -> Iterator[Location | Problem]:
    for text in inputs:
        if remote.is_remote(text):
            found = _expand_url(text, selection, timeout)
            empty = "matches" if glob.has_magic(text) else "holds"
        else:
            path = remote.local_path(text)
            found = _expand_path(path, selection)
            empty = "is a folder that holds" if os.path.isdir(path) else "matches"
        yield from _at_least_one(found, text, selection, empty)


def _at_least_one(
    found: Iterator[Location | Problem | None],
    name: str,
    selection: Selection,
    empty: str,
) -> Iterator[Location | Problem]:
    """``found``, or a problem saying that ``name`` gave no file to scan
    (``empty``: how, such as "matches" for a pattern):
    pointing a scan at nothing is a mistake worth a non-zero exit. (``found``
    yields ``None`` for an input that stands for a collection.)"""
    anything = False
    collection = False
    for item in found:
        if item is None:
            collection = True
            continue
        anything = True
        yield item
    if collection and not anything:
        narrowed = (
            " (as narrowed by --include/--exclude)"
            if selection.include or selection.exclude
            else ""
        )
        yield Problem(name, f"{empty} no model file (.keras, .h5, .hdf5){narrowed}")


def _expand_url(
    url: str, selection: Selection, timeout: float
) -> Iterator[Location | Problem | None]:
    try:
        for listed in remote.list_files(url, timeout):
            if listed.below is None:
                yield Location(listed.url, remote=True, size=listed.size)
                continue
            yield None  # a prefix or a pattern
            if selection.takes(listed.below, MODEL_SUFFIXES + _spelled_suffix(url)):
                yield Location(listed.url, remote=True, size=listed.size)
    except remote.RemoteUnavailable as error:
        yield Problem(url, str(error))
    except FileNotFoundError:
        yield Problem(url, "no such file or prefix")
    except Exception as error:  # noqa: BLE001 - any store's error is one line
        yield Problem(url, f"cannot list it ({_describe(error)})")


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split())[:300]
    return text or type(error).__name__


def _expand_path(
    path: str, selection: Selection
) -> Iterator[Location | Problem | None]:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        if glob.has_magic(path):
            yield None
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
        yield None
        yield from walk(path, lambda below: selection.takes(below), selection)
    else:
        yield Location(path)


def _expand_pattern(pattern: str, selection: Selection) -> Iterator[Location | Problem]:
    """The files a pattern matches, found by walking its fixed part."""
    parts = pattern.split("/")
    fixed = []
    for part in parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    root = "/".join(fixed) or "."
    if pattern.startswith("/") and not fixed[1:]:
        root = "/"
    rest = "/".join(parts[len(fixed) :])
    matcher = re.compile(_translate(rest))
    suffixes = MODEL_SUFFIXES + _spelled_suffix(pattern)

    def accept(below: str) -> bool:
        return matcher.fullmatch(below) is not None and selection.takes(below, suffixes)

    if os.path.isdir(root):
        yield from walk(root, accept, selection, shown_as=root if fixed else "")


def _translate(pattern: str) -> str:
    """A glob pattern (``*``, ``?``, ``[...]``, ``**``) as a regular
    expression over ``/``-separated paths; ``**`` spans folders."""
    out = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        elif pattern[index] == "[":
            close = pattern.find("]", index + 2)
            if close < 0:
                out.append(re.escape("["))
                index += 1
                continue
            body = pattern[index + 1 : close]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append(f"[{body}]")
            index = close + 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return "".join(out)


def walk(
    root: str,
    accept: Callable[[str], bool],
    selection: Selection,
    shown_as: str | None = None,
) -> Iterator[Location | Problem]:
    """The files under ``root`` that ``accept`` takes (by their path below
    it), depth first, in sorted order.

    Symbolic links are followed. A link back to a folder it is inside (a
    loop) is reported and not followed; a folder reached again by another
    way is walked once; a folder ``--exclude`` leaves out is not entered.
    ``shown_as``: how ``root`` is spelled in the names reported.
    """
    try:
        first = os.stat(root)
    except OSError as error:
        yield Problem(root, f"cannot read it ({error.strerror or error})")
        return
    prefix = root if shown_as is None else shown_as
    top = (first.st_dev, first.st_ino)
    seen = {top}
    stack: list[tuple[str, str, frozenset[tuple[int, int]]]] = [
        (root, "", frozenset({top}))
    ]
    while stack:
        folder, below, ancestors = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            yield Problem(
                _join(prefix, below) or folder,
                f"cannot read this folder ({error.strerror or error})",
            )
            continue
        deeper = []
        for entry in entries:
            relative = f"{below}/{entry.name}" if below else entry.name
            shown = _join(prefix, relative)
            try:
                status = entry.stat()  # follows a symbolic link
            except OSError as error:
                if not accept(relative):
                    continue  # not a file this scan would take anyway
                why = (
                    "is a broken symbolic link"
                    if entry.is_symlink()
                    else f"cannot read it ({error.strerror or error})"
                )
                yield Problem(shown, why)
                continue
            if stat.S_ISDIR(status.st_mode):
                key = (status.st_dev, status.st_ino)
                if selection.excludes(relative):
                    continue
                if key in ancestors:
                    yield Problem(shown, "is a symbolic link loop; not followed")
                elif key not in seen:
                    seen.add(key)
                    deeper.append((entry.path, relative, ancestors | {key}))
                continue
            if stat.S_ISREG(status.st_mode) and accept(relative):
                yield Location(shown)
        stack.extend(reversed(deeper))


def _join(prefix: str, relative: str) -> str:
    if not prefix:
        return relative
    if not relative:
        return prefix
    return f"{prefix.rstrip('/')}/{relative}" if prefix != "/" else f"/{relative}"
