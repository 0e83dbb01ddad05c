"""Replace a file in one step, so readers see the old or the new, never half.

Used wherever this package writes a file someone relies on: a vendored
Keras file (``vendor``), the ``.pth`` start-up hook in site-packages, and
a repaired model (``repair``). The new content goes to a temporary file
beside the target, which is renamed over it only once it is complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


def write_all(descriptor: int, data: bytes) -> None:
    """``os.write`` until every byte is written (it may write fewer)."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _fsync_folder(folder: Path) -> None:
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


@contextlib.contextmanager
def replacing(
    path: Path,
    *,
    mode: int,
    sync: bool = False,
    before_replace: Callable[[], None] = lambda: None,
) -> Iterator[int]:
    """Yield a descriptor to write the new ``path`` to; on success, swap it in.

    The temporary file is removed if anything fails, and the result gets
    permission bits ``mode``. With ``sync`` the data and the rename are on
    disk, not only in the page cache, when the block ends. ``before_replace``
    runs once the new file is complete, just before the rename.
    """
    handle, name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    temporary = Path(name)
    try:
        try:
            yield handle
            os.chmod(temporary, mode)
            if sync:
                os.fsync(handle)
        finally:
            os.close(handle)
        before_replace()
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if sync:
        _fsync_folder(path.parent)


def write_text_atomically(path: Path, text: str, *, mode: int) -> None:
    """Replace ``path`` with ``text`` (UTF-8, newlines as given), atomically."""
    with replacing(path, mode=mode) as handle:
        write_all(handle, text.encode("utf-8"))
