"""Publish a new file in one step, so readers see the old or the new, never half.

Used wherever this package writes a file someone relies on: a vendored
Keras file (``vendor``), the ``.pth`` start-up hook and its ``RECORD`` row,
and a repaired model (``repair``). The new content goes to a temporary
file beside the destination (:func:`staged`); only once it is complete is
it moved into place, by one of three primitives:

- :meth:`StagedFile.replace`: ``rename``, over whatever is there;
- :meth:`StagedFile.link_no_clobber`: ``link`` (or ``renameat2`` with
  ``RENAME_NOREPLACE``), which fails if the destination appeared meanwhile;
- :meth:`StagedFile.exchange`: ``renameat2`` with ``RENAME_EXCHANGE``, which
  swaps the two names atomically, so the caller can check what it took
  out of place and swap back if it is not what it read.

The temporary file is removed if anything fails before publishing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
_AT_FDCWD = -100
# renameat2 is missing here, or this file system does not do that flag.
_UNSUPPORTED = frozenset(
    {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", -1)}
)


def write_all(descriptor: int, data: bytes) -> None:
    """``os.write`` until every byte is written (it may write fewer)."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def fsync_folder(folder: Path) -> None:
    """Make a rename durable too, where the platform allows (best effort).

    The new file is complete either way; this only makes sure a crash just
    after the rename cannot bring back the old name's entry.
    """
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every platform lets a folder be opened
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems refuse fsync on a folder
    finally:
        os.close(descriptor)


def renameat2(source: Path, target: Path, flags: int) -> bool:
    """Linux's ``renameat2``; ``False`` where the system or file system lacks it.

    Any other failure raises ``OSError`` (``FileExistsError`` for
    ``RENAME_NOREPLACE`` onto an existing name).
    """
    import ctypes  # only repair gets here

    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    done = function(
        _AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags
    )
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(target))


class StagedFile:
    """A new file being written beside ``destination``, not yet published."""

    def __init__(self, destination: Path, descriptor: int, path: Path) -> None:
        self.destination = destination
        self.descriptor = descriptor
        self.path = path
        self.published = False

    def finish(self, *, mode: int, sync: bool) -> None:
        """Give it its permission bits, put its data on disk (``sync``), close it."""
        os.chmod(self.path, mode)
        if sync:
            os.fsync(self.descriptor)
        self.close()

    def close(self) -> None:
        if self.descriptor >= 0:
            os.close(self.descriptor)
            self.descriptor = -1

    def replace(self) -> None:
        """Move it over the destination, whatever is there."""
        os.replace(self.path, self.destination)
        self.published = True

    def link_no_clobber(self) -> None:
        """Publish it only where nothing exists (else ``FileExistsError``)."""
        try:
            os.link(self.path, self.destination)
        except FileExistsError:
            raise
        except OSError:  # no hard links on this file system
            if not renameat2(self.path, self.destination, RENAME_NOREPLACE):
                if os.path.lexists(self.destination):
                    raise FileExistsError(
                        errno.EEXIST, os.strerror(errno.EEXIST), str(self.destination)
                    ) from None
                os.replace(self.path, self.destination)  # no atomic way left
            self.published = True
            return
        self.published = True
        os.unlink(self.path)

    def exchange(self) -> bool:
        """Swap it with the destination atomically; ``False`` if unsupported.

        Afterwards ``path`` names what the destination was, which the caller
        must check, then remove or keep, or swap back with another call
        (which unpublishes it again: ``path`` then names the new file, and
        leaving :func:`staged` removes it).
        """
        swapped = renameat2(self.path, self.destination, RENAME_EXCHANGE)
        if swapped:
            self.published = not self.published
        return swapped


RANDOM_PART = 8  # the characters tempfile adds to a temporary name


def _longest_name(folder: Path) -> int:
    """The longest file name ``folder``'s file system takes, in bytes."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255  # Linux's and most file systems' limit


def hidden_prefix(destination: Path, room: int) -> str:
    """``.NAME.``: the start of a hidden name beside ``destination``, the
    name cut short where it must be so that ``room`` more bytes still fit
    within the longest name the folder takes (a legal name's temporary
    twin must not be the part that fails)."""
    name = destination.name
    limit = _longest_name(destination.parent) - room - 2
    encoded = os.fsencode(name)
    if len(encoded) > limit:
        cut = encoded[: max(limit, 1)]
        try:
            encoded.decode("utf-8")
        except UnicodeDecodeError:
            name = os.fsdecode(cut)
        else:  # never half a character of a name that is UTF-8
            name = cut.decode("utf-8", "ignore")
    return f".{name}."


def sibling(destination: Path, tag: str, suffix: str = ".tmp") -> Path:
    """A hidden name beside ``destination`` (``.NAME.TAG.tmp``) that fits
    the folder's file system."""
    room = len(os.fsencode(tag + suffix))
    return destination.with_name(hidden_prefix(destination, room) + tag + suffix)


@contextlib.contextmanager
def staged(destination: Path) -> Iterator[StagedFile]:
    """A :class:`StagedFile` for ``destination``; removed unless published."""
    suffix = ".tmp"
    handle, name = tempfile.mkstemp(
        dir=destination.parent,
        prefix=hidden_prefix(destination, RANDOM_PART + len(suffix)),
        suffix=suffix,
    )
    staged_file = StagedFile(destination, handle, Path(name))
    try:
        yield staged_file
    finally:
        staged_file.close()
        if not staged_file.published:
            staged_file.path.unlink(missing_ok=True)


def write_text_atomically(path: Path, text: str, *, mode: int) -> None:
    """Replace ``path`` with ``text`` (UTF-8, newlines as given), atomically."""
    with staged(path) as new:
        write_all(new.descriptor, text.encode("utf-8"))
        new.finish(mode=mode, sync=False)
        new.replace()
