"""Replace a file in one step, so readers see the old or the new, never half.

Used wherever this package writes into someone else's tree: a vendored
Keras file (``vendor``) and the ``.pth`` start-up hook in site-packages.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomically(path: Path, text: str, *, mode: int) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it.

    The temporary file is removed if anything fails, and the result gets
    permission bits ``mode``. Newlines are written as given.
    """
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
