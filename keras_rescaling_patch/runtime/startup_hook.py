"""The opt-in start-up hook: a ``.pth`` file that covers every interpreter.

Python executes ``import`` lines of ``*.pth`` files in site-packages at
start-up. Ours imports the package, whose import only
registers a post-import hook for Keras (see ``runtime.activation``):
interpreters that never import Keras pay a fraction of a millisecond and
import nothing else, and the ones that do (spawned workers, pool
processes, test runners) get the shim the moment Keras is imported.
``KERAS_RESCALING_PATCH=off`` skips even the import, and any error is
swallowed: a broken hook must never break Python.

The file is recorded in the installed distribution's ``RECORD`` when it is
written, so ``pip uninstall`` (and ``uv pip uninstall``) remove it with the
package: nothing of ours stays behind in site-packages.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import site
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from keras_rescaling_patch._atomic import write_text_atomically

FILE_NAME = "keras_rescaling_patch_startup.pth"
DISTRIBUTION_GLOB = "keras_rescaling_patch-*.dist-info"
MARKER = "# keras-rescaling-patch start-up hook"
# One physical line: site.py executes lines that start with "import".
HOOK_LINE = (
    "import os; exec('try:\\n"
    " from keras_rescaling_patch.runtime import activation\\n"
    " activation.start_at_interpreter_start()\\nexcept Exception:\\n pass')"
    " if os.environ.get('KERAS_RESCALING_PATCH', '').strip().lower() != 'off'"
    " else None"
)
CONTENT = (
    f"{MARKER}: applies keras_rescaling_patch when Keras is imported.\n"
    "# Remove with: keras-rescaling-patch uninstall-startup-hook (pip uninstall\n"
    "# keras-rescaling-patch removes it too).\n"
    f"{HOOK_LINE}\n"
)


class HookError(Exception):
    """The hook cannot be installed or removed here; the message says why."""


def site_directory(user: bool) -> Path:
    """The site-packages folder of this interpreter (or its user site)."""
    if user:
        if not site.ENABLE_USER_SITE:
            raise HookError("this interpreter does not use a user site-packages")
        return Path(site.getusersitepackages())
    return Path(sysconfig.get_paths()["purelib"])


def _site_directories() -> list[Path]:
    folders = [Path(sysconfig.get_paths()["purelib"])]
    if site.ENABLE_USER_SITE:
        folders.append(Path(site.getusersitepackages()))
    return folders


def _is_ours(path: Path) -> bool:
    """Whether ``path`` is a hook written by this package (any version)."""
    try:
        with path.open("rb") as stream:
            return stream.read(len(MARKER)) == MARKER.encode()
    except OSError:
        return False


def installed_hooks() -> list[Path]:
    """Every copy of our hook this interpreter would run."""
    return sorted(
        path
        for path in (folder / FILE_NAME for folder in _site_directories())
        if path.is_file() and _is_ours(path)
    )


def _refuse_foreign(path: Path) -> None:
    if os.path.lexists(path) and not (path.is_file() and _is_ours(path)):
        raise HookError(
            f"{path} exists and was not written by keras-rescaling-patch; "
            "left alone (remove it yourself if it is stale)"
        )


def _record_file(hook: Path) -> Path | None:
    """The ``RECORD`` of the installed distribution that should own ``hook``.

    Preferably the distribution installed in the hook's own folder, else
    the one in another site folder of this interpreter; ``None`` when the
    package was not installed by an installer (a plain checkout).
    """
    folders = [hook.parent, *(f for f in _site_directories() if f != hook.parent)]
    for folder in folders:
        for dist_info in sorted(folder.glob(DISTRIBUTION_GLOB)):
            record = dist_info / "RECORD"
            if record.is_file():
                return record
    return None


def _record_line(hook: Path, record: Path) -> str:
    """A RECORD row for ``hook``: its path from the dist-info's folder, hash, size."""
    data = CONTENT.encode()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    where = os.path.relpath(hook, record.parent.parent).replace(os.sep, "/")
    return f"{where},sha256={digest.decode()},{len(data)}"


def _update_record(hook: Path, add: bool) -> Path | None:
    """Add (or drop) the hook's row in the owning RECORD; return that RECORD.

    Best effort: ``None`` when there is no RECORD or it cannot be rewritten
    (then ``pip uninstall`` would leave the hook, which the caller says).
    """
    record = _record_file(hook)
    if record is None:
        return None
    try:
        line = _record_line(hook, record)
        name = line.split(",", 1)[0]
        text = record.read_text(encoding="utf-8")
        rows = [row for row in text.splitlines() if row.split(",", 1)[0] != name]
        if add:
            rows.append(line)
        updated = "".join(f"{row}\n" for row in rows)
        if updated != text:
            mode = record.stat().st_mode & 0o777
            write_text_atomically(record, updated, mode=mode)
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return record


@dataclass(frozen=True)
class Change:
    """What ``install`` or ``uninstall`` did."""

    path: Path
    changed: bool
    record: Path | None  # the RECORD that lists the hook (install), if any


@contextlib.contextmanager
def _exclusively(folder: Path) -> Iterator[None]:
    """Serialize our own installs and uninstalls in ``folder`` (``flock``), so
    the file and its RECORD row always change together."""
    try:
        import fcntl

        descriptor = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):  # no flock here, or no folder to lock
        yield
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def install(user: bool = False) -> Change:
    """Write the hook (or refresh an older one of ours) and record it."""
    folder = site_directory(user)
    path = folder / FILE_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HookError(f"cannot write {path}: {error.strerror or error}") from error
    with _exclusively(folder):
        _refuse_foreign(path)
        try:
            unchanged = path.is_file() and path.read_bytes() == CONTENT.encode()
            if not unchanged:
                write_text_atomically(path, CONTENT, mode=0o644)
        except OSError as error:
            raise HookError(
                f"cannot write {path}: {error.strerror or error}"
            ) from error
        return Change(path, not unchanged, _update_record(path, add=True))


def uninstall(user: bool = False) -> Change:
    """Remove the hook (only ours) and its RECORD row."""
    folder = site_directory(user)
    path = folder / FILE_NAME
    with _exclusively(folder):
        if not os.path.lexists(path):
            return Change(path, False, None)
        _refuse_foreign(path)
        try:
            path.unlink()
        except OSError as error:
            raise HookError(
                f"cannot remove {path}: {error.strerror or error}"
            ) from error
        _update_record(path, add=False)
        return Change(path, True, None)
