"""From what the user typed to the files to scan.

``scan`` takes any mix of files, folders, glob patterns and URLs. A file
named explicitly is scanned whatever its name (a bare model ``.json``
included); from a folder, a URL prefix or a pattern only model files are
taken: ``.keras``, ``.h5`` and ``.hdf5`` (and the ending a pattern spells
out, ``*.json``), narrowed further by include and exclude patterns matched
against the path below the folder (for a pattern, the path below its fixed
part; for a URL prefix, below the prefix). Folders are walked depth first
in sorted order, following symbolic links but never into a folder twice; a
local pattern is matched while walking its fixed part, so ``**`` never
follows a link loop either. A link loop, an unreadable folder, a broken
link that would have been taken, and an input that gives no model file at
all are each an :class:`Unlisted` to report; the walk goes on.

Nothing here reads a model; listing a URL imports fsspec, a local path
never does.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from keras_rescaling_patch.files.options import SELECTION
from keras_rescaling_patch.files.problems import (
    FileProblem,
    Message,
    message,
    one_line,
)
from keras_rescaling_patch.files.stores.local import BROKEN_LINK
from keras_rescaling_patch.files.stores.location import (
    LocalPath,
    Location,
    Url,
    has_magic,
)
from keras_rescaling_patch.files.stores.patterns import (
    fixed_part,
    matches_path,
    matches_selection,
    may_match_below,
    may_select_below,
    spelled_suffix,
)
from keras_rescaling_patch.files.stores.schemes import store_for

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


@dataclass(frozen=True)
class Found:
    """One file to scan, and its size where a listing said it. ``below``: its
    path below the folder, prefix or pattern it was found in (``None``: it
    was named itself), which a repair of many files mirrors."""

    location: Location
    size: int | None = None
    below: str | None = None

    @property
    def name(self) -> str:
        return self.location.text


@dataclass(frozen=True)
class Unlisted:
    """Something named or met that cannot be scanned, and why."""

    name: str
    reason: Message


@dataclass(frozen=True)
class Selection:
    """Which files a folder, prefix or pattern contributes."""

    include: Sequence[str] = ()
    exclude: Sequence[str] = ()

    def takes(self, relative: str, suffixes: tuple[str, ...] = MODEL_SUFFIXES) -> bool:
        """Whether the file at ``relative`` (below its folder) is scanned."""
        if not relative.lower().endswith(suffixes):
            return False
        if self.include and not any(
            matches_selection(p, relative) for p in self.include
        ):
            return False
        return not self.excludes(relative)

    def excludes(self, relative: str) -> bool:
        """Whether an exclude pattern leaves ``relative`` out (a folder: with
        all below it, as ``archive/*`` leaves out ``archive``)."""
        return any(
            matches_selection(p, relative) or matches_selection(p, relative + "/")
            for p in self.exclude
        )

    def may_hold(self, folder: str) -> bool:
        """Whether a file this selection takes can lie inside ``folder``
        (below its walked folder): not where every include pattern points
        elsewhere, nor where an exclude pattern leaves the folder out."""
        if self.excludes(folder):
            return False
        return not self.include or any(
            may_select_below(p, folder) for p in self.include
        )

    @property
    def narrowed(self) -> bool:
        return bool(self.include or self.exclude)


Listing = Iterator[Found | Unlisted]


def expand(inputs: Iterable[Location], selection: Selection, timeout: float) -> Listing:
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
    keys = _NameKeys()
    for item in _expand_all(inputs, selection, timeout):
        key = keys.of(item)
        if key not in given:
            given.add(key)
            yield item


class _NameKeys:
    """What tells two names of one file apart from two files: a URL as
    written (its scheme in lower case), a local path made absolute with its
    folder's symbolic links resolved (``/mnt/models/a.keras`` is
    ``/data/models/a.keras`` when ``/mnt/models`` links there). A link to a
    file keeps its own name: it is what the user asked about. Keys are
    digests, so a scan of millions of files holds 16 bytes for each."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def of(self, item: Found | Unlisted) -> bytes:
        location = item.location if isinstance(item, Found) else None
        kind = type(item).__name__
        if isinstance(location, Url):
            rest = location.text.split("://", 1)[1]
            key = f"{kind} {location.scheme}://{rest}"
        else:
            path = location.path if isinstance(location, LocalPath) else item.name
            folder, base = os.path.split(os.path.abspath(path))
            if folder not in self._folders:
                if len(self._folders) > 4096:
                    self._folders.clear()
                self._folders[folder] = os.path.realpath(folder)
            key = f"{kind} {os.path.join(self._folders[folder], base)}"
        digest = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=16)
        return digest.digest()


def _expand_all(
    inputs: Iterable[Location], selection: Selection, timeout: float
) -> Listing:
    for location in inputs:
        if isinstance(location, Url):
            found = _expand_url(location, selection, timeout)
            empty = "matches" if has_magic(location.text) else "holds"
        else:
            found = _expand_path(location, selection)
            empty = (
                "is a folder that holds" if os.path.isdir(location.path) else "matches"
            )
        yield from _at_least_one(found, location.text, selection, empty)


def _at_least_one(
    found: Iterator[Found | Unlisted | None],
    name: str,
    selection: Selection,
    empty: str,
) -> Listing:
    """``found``, and a problem saying that ``name`` gave no file to scan
    where it gave none (``empty``: how, such as "matches" for a pattern):
    pointing a scan at nothing is a mistake worth a non-zero exit, whatever
    problems were met on the way. (``found`` yields ``None`` for an input
    that stands for a collection.)"""
    anything = False
    collection = False
    for item in found:
        if item is None:
            collection = True
            continue
        anything = anything or isinstance(item, Found)
        yield item
    if collection and not anything:
        text = f"{empty} no model file (.keras, .h5, .hdf5)"
        if selection.narrowed:
            reason = message(text, " (as narrowed by ", SELECTION, ")")
        else:
            reason = message(text)
        yield Unlisted(name, reason)


def _expand_url(
    url: Url, selection: Selection, timeout: float
) -> Iterator[Found | Unlisted | None]:
    suffixes = MODEL_SUFFIXES + spelled_suffix(url.text)
    try:
        for listed in store_for(url, timeout).list(url):
            found = Found(Url(listed.url, url.scheme), listed.size, listed.below)
            if listed.below is None:
                yield found
                continue
            yield None  # a prefix or a pattern
            if selection.takes(listed.below, suffixes):
                yield found
    except FileProblem as problem:
        yield Unlisted(url.text, problem.message)
    except FileNotFoundError:
        yield Unlisted(url.text, message("no such file or prefix"))
    except Exception as error:  # noqa: BLE001 - any store's error is one line
        yield Unlisted(url.text, message(f"cannot list it ({one_line(error)})"))


def _cannot_read(error: OSError) -> Message:
    return message(f"cannot read it ({error.strerror or error})")


def _expand_path(
    location: LocalPath, selection: Selection
) -> Iterator[Found | Unlisted | None]:
    path = location.path
    try:
        status = os.stat(path)
    except FileNotFoundError:
        if has_magic(path):
            yield None
            yield from _expand_pattern(path, selection)
        elif os.path.islink(path):
            yield Unlisted(location.text, message(BROKEN_LINK))
        else:
            yield Found(location)  # reading it says "no such file"
        return
    except OSError as error:
        if error.errno == errno.ELOOP:
            yield Unlisted(location.text, message("is a symbolic link loop"))
        else:
            yield Unlisted(location.text, _cannot_read(error))
        return
    if stat.S_ISDIR(status.st_mode):
        yield None
        yield from walk(path, selection.takes, selection.may_hold)
    else:
        yield Found(location)


def _expand_pattern(pattern: str, selection: Selection) -> Listing:
    """The files a pattern matches, found by walking its fixed part."""
    fixed, rest = fixed_part(pattern)
    root = fixed or "."
    if pattern.startswith("/") and fixed == "":
        root = "/"
    suffixes = MODEL_SUFFIXES + spelled_suffix(pattern)

    def accept(below: str) -> bool:
        return matches_path(rest, below) and selection.takes(below, suffixes)

    def may_hold(folder: str) -> bool:
        return may_match_below(rest, folder) and selection.may_hold(folder)

    if os.path.isdir(root):
        shown = root if fixed or pattern.startswith("/") else ""
        yield from walk(root, accept, may_hold, shown_as=shown)


def walk(
    root: str,
    accept: Callable[[str], bool],
    may_hold: Callable[[str], bool],
    shown_as: str | None = None,
) -> Listing:
    """The files under ``root`` that ``accept`` takes (by their path below
    it), depth first, in sorted order.

    Symbolic links are followed. A folder that cannot hold a file taken
    (``may_hold``: a pattern that stays shallower, an include pattern that
    points elsewhere, an exclude pattern) is not entered, and nothing in it
    is a problem; a link back to a folder it is inside (a loop) is reported
    and not followed; a folder reached again by another way is walked once.
    ``shown_as``: how ``root`` is spelled in the names reported.
    """
    try:
        first = os.stat(root)
    except OSError as error:
        yield Unlisted(root, _cannot_read(error))
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
            yield Unlisted(
                _join(prefix, below) or folder,
                message(f"cannot read this folder ({error.strerror or error})"),
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
                    message(BROKEN_LINK) if entry.is_symlink() else _cannot_read(error)
                )
                yield Unlisted(shown, why)
                continue
            if stat.S_ISDIR(status.st_mode):
                key = (status.st_dev, status.st_ino)
                if not may_hold(relative):
                    continue
                if key in ancestors:
                    yield Unlisted(
                        shown, message("is a symbolic link loop; not followed")
                    )
                elif key not in seen:
                    seen.add(key)
                    deeper.append((entry.path, relative, ancestors | {key}))
                continue
            if stat.S_ISREG(status.st_mode) and accept(relative):
                yield Found(LocalPath(shown, _join(root, relative)), below=relative)
        stack.extend(reversed(deeper))


def _join(prefix: str, relative: str) -> str:
    if not prefix:
        return relative
    if not relative:
        return prefix
    return f"{prefix.rstrip('/')}/{relative}" if prefix != "/" else f"/{relative}"
