"""The opt-in start-up hook: a ``.pth`` file that covers every interpreter.

Python executes ``import`` lines of ``*.pth`` files in site-packages at
start-up. Ours imports this package, whose import only registers a
post-import hook for Keras (see ``_activation``): interpreters that never
import Keras pay a fraction of a millisecond and import nothing else, and
the ones that do (spawned workers, pool processes, test runners) get the
shim the moment Keras is imported. ``KERAS_RESCALING_PATCH=off`` skips even
the import, and any error is swallowed (logged at DEBUG): a broken hook
must never break Python.
"""

from __future__ import annotations

import site
import sysconfig
from pathlib import Path

from keras_rescaling_patch._atomic import write_text_atomically

FILE_NAME = "keras_rescaling_patch_startup.pth"
MARKER = "# keras-rescaling-patch start-up hook"
# One physical line: site.py executes lines that start with "import".
HOOK_LINE = (
    "import os; exec('try:\\n import keras_rescaling_patch\\n"
    "except Exception:\\n import logging\\n logging.getLogger"
    '("keras_rescaling_patch").debug("start-up hook failed", exc_info=True)\')'
    " if os.environ.get('KERAS_RESCALING_PATCH', '').strip().lower() != 'off'"
    " else None"
)
CONTENT = (
    f"{MARKER}: applies keras_rescaling_patch when Keras is imported.\n"
    "# Remove with: keras-rescaling-patch uninstall-startup-hook\n"
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


def installed_hooks() -> list[Path]:
    """Every copy of our hook this interpreter would run."""
    folders = {Path(sysconfig.get_paths()["purelib"])}
    if site.ENABLE_USER_SITE:
        folders.add(Path(site.getusersitepackages()))
    return sorted(
        path
        for path in (folder / FILE_NAME for folder in folders)
        if path.is_file() and path.read_text(encoding="utf-8").startswith(MARKER)
    )


def install(user: bool = False) -> tuple[Path, bool]:
    """Write the hook; return its path and whether anything changed."""
    folder = site_directory(user)
    path = folder / FILE_NAME
    if path.is_file() and path.read_text(encoding="utf-8") == CONTENT:
        return path, False
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomically(path, CONTENT, mode=0o644)
    except OSError as error:
        raise HookError(f"cannot write {path}: {error.strerror or error}") from error
    return path, True


def uninstall(user: bool = False) -> tuple[Path, bool]:
    """Remove the hook; return its path and whether it was there."""
    path = site_directory(user) / FILE_NAME
    if not path.is_file():
        return path, False
    if not path.read_text(encoding="utf-8").startswith(MARKER):
        raise HookError(f"{path} was not written by keras-rescaling-patch; left alone")
    try:
        path.unlink()
    except OSError as error:
        raise HookError(f"cannot remove {path}: {error.strerror or error}") from error
    return path, True
